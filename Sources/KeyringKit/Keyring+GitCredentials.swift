public import KeyringSystem

// Git credentials kept the way git-credential-libsecret keeps them, on every backend.

extension Keyring {
    /// Finds a git credential: by git-credential-libsecret's attributes on backends that have
    /// them, else under ``GitCredentialKey/service`` (any account when the key has no user name).
    /// - Parameter key: What git asked for; must be ``GitCredentialKey/isComplete``.
    /// - Returns: The user name and the password, or `nil` when none is stored.
    /// - Throws: ``KeyringError``.
    public func gitCredential(_ key: GitCredentialKey) async throws(KeyringError) -> (username: String?, password: Secret)? {
        guard key.isComplete else { return nil }
        if let backend = backend as? any KeyringAttributeBackend {
            guard
                let found = try await backend.firstSecret(
                    matching: key.searchAttributes, absent: key.absentAttributes, keyring: keyring)
            else {
                return nil
            }
            return (found.attributes["user"] ?? key.username, found.secret)
        }
        let account: String
        if let username = key.username {
            account = username
        } else {
            guard let first = try await accounts(service: key.service).first else { return nil }
            account = first
        }
        guard let secret = try await get(service: key.service, account: account) else { return nil }
        return (account, secret)
    }

    /// Stores a git credential under git-credential-libsecret's attributes and label, or under
    /// ``GitCredentialKey/service`` on backends without attributes.
    /// - Parameters:
    ///   - key: Must be ``GitCredentialKey/isComplete`` and have a user name.
    ///   - password: The password (see ``secret(copying:)``).
    /// - Throws: ``KeyringError`` `invalidArgument` when the key is incomplete.
    public func storeGitCredential(_ key: GitCredentialKey, password: Secret) async throws(KeyringError) {
        guard key.isComplete, let username = key.username else {
            throw KeyringError(
                .invalidArgument,
                "git sent too little to store a credential: it needs protocol, host (or path), username and password")
        }
        let secret = password
        if let backend = backend as? any KeyringAttributeBackend {
            try await backend.store(secret, attributes: key.storeAttributes, label: key.label, keyring: keyring)
        } else {
            try await set(secret, service: key.service, account: username, label: key.label)
        }
    }

    /// Erases git credentials matching the key. When `password` is given, only a credential
    /// whose stored password equals it is erased (git sends the password it just saw fail).
    /// - Parameters:
    ///   - key: What to match; must not be ``GitCredentialKey/isEmpty``.
    ///   - password: The rejected password, or `nil` to erase regardless.
    /// - Returns: How many entries were erased.
    /// - Throws: ``KeyringError`` `invalidArgument` for an empty key.
    @discardableResult
    public func eraseGitCredential(_ key: GitCredentialKey, password: Secret?) async throws(KeyringError) -> Int {
        guard !key.isEmpty else {
            throw KeyringError(.invalidArgument, "git sent nothing to match; refusing to erase every git credential")
        }
        let rejected = password?.bytes
        if let backend = backend as? any KeyringAttributeBackend {
            var attributes = key.searchAttributes
            if let rejected {
                guard
                    let found = try await backend.firstSecret(
                        matching: attributes, absent: key.absentAttributes, keyring: keyring)
                else { return 0 }
                guard found.secret.bytes.constantTimeEquals(rejected) else { return 0 }
                attributes = found.attributes
            }
            return try await backend.deleteAll(matching: attributes, keyring: keyring)
        }
        guard key.isComplete else { return 0 }
        let accounts: [String]
        if let username = key.username {
            accounts = [username]
        } else {
            accounts = try await self.accounts(service: key.service)
        }
        var erased = 0
        for account in accounts {
            if let rejected {
                guard let stored = try await get(service: key.service, account: account),
                    stored.bytes.constantTimeEquals(rejected)
                else { continue }
            }
            if try await delete(service: key.service, account: account) { erased += 1 }
        }
        return erased
    }
}
