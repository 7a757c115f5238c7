internal import KeyringSystem

extension Keyring {
    /// The accounts stored for a service, the first being the one a lookup without a user name
    /// takes, as Python keyring's `get_credential` takes it: in the Secret Service, the order in
    /// which the default collection's search (`Collection.SearchItems`) returns the items, then
    /// those of other collections; other backends keep no order, and give the accounts sorted.
    /// - Parameter service: The service.
    /// - Returns: Account names, each once.
    /// - Throws: ``KeyringError``.
    public func accountsInLookupOrder(service: String) async throws(KeyringError) -> [String] {
        try EntryValidation.check(service: service)
        try EntryValidation.checkKeyring(keyring)
        if let backend = backend as? SecretServiceBackend {
            return try await backend.accountsInLookupOrder(service: service, keyring: keyring)
        }
        return try await accounts(service: service)
    }
}
