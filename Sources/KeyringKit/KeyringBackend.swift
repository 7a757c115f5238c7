public import SecretService

/// A place that stores secrets: the Secret Service, an encrypted file, the environment, memory,
/// or a third party's store.
///
/// Every entry is identified by a service and an account inside one keyring. `keyring: nil`
/// always means the backend's default keyring. Implementations must be safe to call from many
/// tasks at once, and must throw ``KeyringError`` (never another error type) so callers can
/// match on ``KeyringError/code``.
///
/// Only the entry operations are required. The keyring management operations have default
/// implementations that throw ``KeyringError/Code/unsupported``; implement those your store has.
public protocol KeyringBackend: Sendable {
    /// The backend's stable name: `secret-service`, `file`, `env`, `memory`, or a third party's.
    var name: String { get }

    /// Reads one secret.
    /// - Parameters:
    ///   - service: The service the secret belongs to.
    ///   - account: The account within the service.
    ///   - keyring: The keyring to read, or `nil` for the default.
    /// - Returns: The secret, or `nil` when there is no such entry.
    /// - Throws: ``KeyringError``: `locked`, `wrongPassword`, `badDataFormat`, `noSuchKeyring`, ...
    func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret?

    /// Stores a secret, creating the entry or replacing exactly that entry's value and label.
    /// - Parameters:
    ///   - secret: The value and its content type.
    ///   - service: The service the secret belongs to.
    ///   - account: The account within the service.
    ///   - keyring: The keyring to write, or `nil` for the default (created when missing).
    ///   - label: A human-readable label, or `nil` for ``KeyringEntry/defaultLabel(service:account:)``.
    /// - Throws: ``KeyringError``: `unsupported` for read-only backends, `locked`, `permissionDenied`, ...
    func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?) async throws(KeyringError)

    /// Deletes one entry.
    /// - Parameters:
    ///   - service: The service.
    ///   - account: The account.
    ///   - keyring: The keyring, or `nil` for the default.
    /// - Returns: `true` when an entry was deleted, `false` when there was none.
    /// - Throws: ``KeyringError``.
    func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool

    /// Lists the accounts that have an entry for a service.
    /// - Parameters:
    ///   - service: The service.
    ///   - keyring: The keyring, or `nil` for the default.
    /// - Returns: Account names, sorted.
    /// - Throws: ``KeyringError``.
    func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String]

    /// Finds entries whose attributes include all the given ones. Returns metadata, never values.
    /// - Parameters:
    ///   - attributes: Attribute names and values that must all match; empty matches everything.
    ///   - keyring: The keyring, or `nil` for the default.
    /// - Returns: Matching entries, sorted by service then account.
    /// - Throws: ``KeyringError``.
    func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry]

    /// Lists the backend's keyrings.
    /// - Throws: ``KeyringError``; `unsupported` by default.
    func keyrings() async throws(KeyringError) -> [KeyringInfo]

    /// Creates a keyring.
    /// - Parameters:
    ///   - name: The new keyring's name.
    ///   - password: Its password, or `nil` to let the backend ask (prompt, provider, environment).
    /// - Throws: ``KeyringError``: `alreadyExists`, `invalidArgument`; `unsupported` by default.
    func createKeyring(_ name: String, password: SecureBytes?) async throws(KeyringError)

    /// Deletes a keyring and every entry in it.
    /// - Parameter name: The keyring's name.
    /// - Throws: ``KeyringError``: `noSuchKeyring`; `unsupported` by default.
    func deleteKeyring(_ name: String) async throws(KeyringError)

    /// Locks a keyring: its secrets cannot be read until it is unlocked again.
    /// - Parameter keyring: The keyring, or `nil` for the default.
    /// - Throws: ``KeyringError``; `unsupported` by default.
    func lock(keyring: String?) async throws(KeyringError)

    /// Unlocks a keyring.
    /// - Parameters:
    ///   - keyring: The keyring, or `nil` for the default.
    ///   - password: The password, or `nil` to let the backend ask.
    /// - Throws: ``KeyringError``: `wrongPassword`, `locked` (no password available); `unsupported` by default.
    func unlock(keyring: String?, password: SecureBytes?) async throws(KeyringError)

    /// Tells whether a keyring is locked.
    /// - Parameter keyring: The keyring, or `nil` for the default.
    /// - Throws: ``KeyringError``; `unsupported` by default.
    func isLocked(keyring: String?) async throws(KeyringError) -> Bool

    /// Checks whether the backend can be used here and says exactly why or why not. Never throws.
    func diagnose() async -> BackendDiagnosis

    /// Finishes what the backend has outstanding (a Secret Service session request the daemon
    /// has not answered yet) and releases its connections, within the backend's own deadlines.
    /// A program calls it after its last use, before it exits or `exec`s; the backend stays
    /// usable (it reconnects). The default does nothing.
    func close() async
}

extension KeyringBackend {
    /// Does nothing: most backends hold nothing that outlives a call.
    public func close() async {}

    /// Throws ``KeyringError/Code/unsupported``.
    public func keyrings() async throws(KeyringError) -> [KeyringInfo] {
        throw KeyringError.unsupported("listing keyrings", backend: name)
    }

    /// Throws ``KeyringError/Code/unsupported``.
    public func createKeyring(_ name: String, password: SecureBytes?) async throws(KeyringError) {
        throw KeyringError.unsupported("creating keyrings", backend: self.name)
    }

    /// Throws ``KeyringError/Code/unsupported``.
    public func deleteKeyring(_ name: String) async throws(KeyringError) {
        throw KeyringError.unsupported("deleting keyrings", backend: self.name)
    }

    /// Throws ``KeyringError/Code/unsupported``.
    public func lock(keyring: String?) async throws(KeyringError) {
        throw KeyringError.unsupported("locking keyrings", backend: name)
    }

    /// Throws ``KeyringError/Code/unsupported``.
    public func unlock(keyring: String?, password: SecureBytes?) async throws(KeyringError) {
        throw KeyringError.unsupported("unlocking keyrings", backend: name)
    }

    /// Throws ``KeyringError/Code/unsupported``.
    public func isLocked(keyring: String?) async throws(KeyringError) -> Bool {
        throw KeyringError.unsupported("locking keyrings", backend: name)
    }
}
