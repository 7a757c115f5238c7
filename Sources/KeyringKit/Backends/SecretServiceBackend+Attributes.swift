internal import KeyringSecretService
public import KeyringSystem

/// Items by arbitrary attributes: what the git credential helper needs to write exactly what
/// git-credential-libsecret writes, and to read what it wrote.
extension SecretServiceBackend: KeyringAttributeBackend {
    public func firstSecret(
        matching attributes: [String: String], absent: Set<String>, keyring: String?
    ) async throws(KeyringError) -> (attributes: [String: String], secret: Secret)? {
        try await translating("searching") {
            for item in try await items(matching: attributes, keyring: keyring) {
                if try await item.isLocked() { try await client.unlock([item.path]) }
                let found = try await item.attributes()
                guard absent.isDisjoint(with: found.keys) else { continue }
                return (found, Self.normalized(try await item.secret()))
            }
            return nil
        }
    }

    public func store(_ secret: Secret, attributes: [String: String], label: String, keyring: String?) async throws(KeyringError)
    {
        try await translating("storing") {
            let collection = try await collection(for: keyring)
            if try await collection.isLocked() { try await collection.unlock() }
            let secret = Self.wireSecret(secret)
            do {
                try await collection.store(label: label, attributes: attributes, secret: secret)
            } catch let error as SecretServiceError {
                throw Self.writeFailure(error, secret: secret, what: "storing")
            }
        }
    }

    public func deleteAll(matching attributes: [String: String], keyring: String?) async throws(KeyringError) -> Int {
        guard !attributes.isEmpty else {
            throw KeyringError(.invalidArgument, "refusing to delete every item: no attributes to match")
        }
        return try await translating("deleting") {
            let items = try await items(matching: attributes, keyring: keyring)
            for item in items {
                if try await item.isLocked() { try await client.unlock([item.path]) }
                try await item.delete()
            }
            return items.count
        }
    }
}
