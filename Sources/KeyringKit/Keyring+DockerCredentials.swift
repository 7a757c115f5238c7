public import KeyringSystem

// Docker registry credentials kept the way docker-credential-secretservice keeps them, on every
// backend. Docker keeps one credential per server: storing one replaces any other user's.

extension Keyring {
    /// Finds the Docker credential for a server: by docker-credential-secretservice's attributes
    /// on backends that have them, else under ``DockerCredentialKey/service``.
    /// - Parameter key: The server.
    /// - Returns: The user name and the secret, or `nil` when none is stored.
    /// - Throws: ``KeyringError``.
    public func dockerCredential(_ key: DockerCredentialKey) async throws(KeyringError) -> (
        username: String, secret: Secret
    )? {
        guard !key.server.isEmpty else { return nil }
        if let backend = backend as? any KeyringAttributeBackend {
            guard let found = try await backend.firstSecret(matching: key.searchAttributes, absent: [], keyring: keyring)
            else { return nil }
            return (found.attributes["username"] ?? "", found.secret)
        }
        guard let account = try await accounts(service: key.service).first,
            let secret = try await get(service: key.service, account: account)
        else { return nil }
        return (account, secret)
    }

    /// Stores a Docker credential, then removes the server's credentials for other users, so
    /// the server has exactly this one (never none, if something fails half-way).
    /// - Parameters:
    ///   - key: The server; must not be empty.
    ///   - username: The user name; must not be empty.
    ///   - secret: The password or token.
    /// - Throws: ``KeyringError`` `invalidArgument` for an empty server or user name.
    public func storeDockerCredential(_ key: DockerCredentialKey, username: String, secret: Secret) async throws(KeyringError) {
        guard !key.server.isEmpty, !username.isEmpty else {
            throw KeyringError(.invalidArgument, "a Docker credential needs a server URL and a user name")
        }
        if let backend = backend as? any KeyringAttributeBackend {
            try await backend.store(
                secret, attributes: key.storeAttributes(username: username), label: key.label, keyring: keyring)
            for entry in try await backend.search(attributes: key.searchAttributes, keyring: keyring)
            where entry.attributes["username"] != username {
                _ = try await backend.deleteAll(matching: entry.attributes, keyring: keyring)
            }
            return
        }
        try await set(secret, service: key.service, account: username, label: key.label)
        for other in try await accounts(service: key.service) where other != username {
            try await delete(service: key.service, account: other)
        }
    }

    /// Erases the Docker credentials of a server.
    /// - Parameter key: The server; must not be empty.
    /// - Returns: How many entries were erased (0 is not an error, as for docker's helpers).
    /// - Throws: ``KeyringError`` `invalidArgument` for an empty server.
    @discardableResult
    public func eraseDockerCredential(_ key: DockerCredentialKey) async throws(KeyringError) -> Int {
        guard !key.server.isEmpty else {
            throw KeyringError(.invalidArgument, "no Docker server URL to erase the credential of")
        }
        if let backend = backend as? any KeyringAttributeBackend {
            return try await backend.deleteAll(matching: key.searchAttributes, keyring: keyring)
        }
        var erased = 0
        for account in try await accounts(service: key.service) {
            if try await delete(service: key.service, account: account) { erased += 1 }
        }
        return erased
    }

    /// Every stored Docker credential's server and user name (never the secret), as
    /// docker-credential-secretservice's `list` finds them: by the `label` attribute
    /// ``DockerCredentialKey/labelAttribute``, else by the ``DockerCredentialKey/servicePrefix``.
    /// - Returns: Server URLs and user names, sorted by server.
    /// - Throws: ``KeyringError``.
    public func dockerCredentials() async throws(KeyringError) -> [(server: String, username: String)] {
        var found: [(server: String, username: String)] = []
        if backend is any KeyringAttributeBackend {
            for entry in try await search(["label": DockerCredentialKey.labelAttribute]) {
                found.append((entry.attributes["server"] ?? entry.label, entry.attributes["username"] ?? ""))
            }
        } else {
            for entry in try await search() where entry.service.hasPrefix(DockerCredentialKey.servicePrefix) {
                found.append((String(entry.service.dropFirst(DockerCredentialKey.servicePrefix.count)), entry.account))
            }
        }
        return found.sorted { ($0.server, $0.username) < ($1.server, $1.username) }
    }
}
