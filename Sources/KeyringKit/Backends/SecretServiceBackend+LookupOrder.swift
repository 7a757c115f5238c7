internal import KeyringSecretService
internal import KeyringSystem

extension SecretServiceBackend {
    /// The accounts of `service` in the order Python keyring's `get_credential` meets them: the
    /// items of the named (else the default) collection as its `SearchItems` returns them, then
    /// those found only in other collections (unlocked ones first).
    func accountsInLookupOrder(service: String, keyring: String?) async throws(KeyringError) -> [String] {
        try await translating("searching") {
            let attributes = ["service": service]
            var ordered: [String] = []
            func add(_ items: [SecretItem]) async throws {
                for item in items {
                    if let account = try await item.attributes()["username"], !ordered.contains(account) {
                        ordered.append(account)
                    }
                }
            }
            if let keyring {
                try await add(try await collection(named: keyring).searchItems(attributes))
                return ordered
            }
            // No default collection is no error here: the search over all of them still answers.
            if let preferred = try? await client.defaultCollection() {
                try await add(try await preferred.searchItems(attributes))
            }
            try await add(try await items(matching: attributes, keyring: nil))
            return ordered
        }
    }
}
