public import SecretService

/// A backend whose entries can be stored and found by arbitrary attributes, as Secret Service
/// items are. The git credential helper uses it to write items exactly as
/// git-credential-libsecret does (`xdg:schema` = ``GitCredentialKey/schema``, `protocol`, `server`,
/// `port`, `user`, `object`), so either tool reads what the other stored. Backends that do not
/// conform keep git credentials under a service name instead (``GitCredentialKey/service``).
public protocol KeyringAttributeBackend: KeyringBackend {
    /// The first entry whose attributes include all of `attributes`, with its secret.
    /// - Parameters:
    ///   - attributes: Names and values that must all match.
    ///   - absent: Attribute names the entry must not have (a credential for `host:8443` does not
    ///     answer for `host`).
    ///   - keyring: The keyring, or `nil` for the default (a Secret Service backend may search all).
    /// - Returns: The entry's attributes and its secret, or `nil` when nothing matches.
    /// - Throws: ``KeyringError``.
    func firstSecret(
        matching attributes: [String: String], absent: Set<String>, keyring: String?
    ) async throws(KeyringError) -> (attributes: [String: String], secret: Secret)?

    /// Stores a secret under exactly these attributes, replacing the entry that has exactly the
    /// same attribute set, if any.
    /// - Parameters:
    ///   - secret: The value.
    ///   - attributes: The entry's whole attribute set.
    ///   - label: Its label.
    ///   - keyring: The keyring, or `nil` for the default.
    /// - Throws: ``KeyringError``.
    func store(_ secret: Secret, attributes: [String: String], label: String, keyring: String?) async throws(KeyringError)

    /// Deletes every entry whose attributes include all of `attributes`.
    /// - Parameters:
    ///   - attributes: Names and values that must all match; never empty.
    ///   - keyring: The keyring, or `nil` for the default.
    /// - Returns: How many entries were deleted.
    /// - Throws: ``KeyringError``.
    func deleteAll(matching attributes: [String: String], keyring: String?) async throws(KeyringError) -> Int
}
