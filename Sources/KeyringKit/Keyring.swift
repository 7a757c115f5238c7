public import KeyringSystem

/// The front door: read, write and delete secrets by service and account in one backend.
///
/// ```swift
/// let keyring = try await Keyring.default
/// try await keyring.set("s3cr3t", service: "example.org", account: "alice")
/// let token = try await keyring.getString(service: "example.org", account: "alice")
/// ```
///
/// Every method throws ``KeyringError``. A missing entry is `nil` (or `false` for delete), not
/// an error.
public struct Keyring: Sendable {
    /// The backend that stores the secrets.
    public let backend: any KeyringBackend
    /// The keyring entries are read from and written to; `nil` for the backend's default.
    public let keyring: String?

    /// Creates a front over a backend.
    /// - Parameters:
    ///   - backend: Where secrets are kept.
    ///   - keyring: The keyring to use, or `nil` for the backend's default.
    public init(backend: any KeyringBackend, keyring: String? = nil) {
        self.backend = backend
        self.keyring = keyring
    }

    /// The same backend, another keyring.
    /// - Parameter keyring: The keyring, or `nil` for the backend's default.
    public func using(keyring: String?) -> Keyring {
        Keyring(backend: backend, keyring: keyring)
    }

    /// The keyring the environment asks for: see ``BackendSelection`` for the rules
    /// (`KEYRING_BACKEND`, the configuration file, then Secret Service or the encrypted file).
    /// - Throws: ``KeyringError`` when the chosen backend cannot be used.
    public static var `default`: Keyring {
        get async throws(KeyringError) {
            Keyring(backend: try await BackendSelection().choose().backend)
        }
    }

    /// Lists every built-in backend with whether it is usable here, and why.
    /// - Parameter selection: The environment and settings to judge by; the process's by default.
    public static func diagnose(selection: BackendSelection = BackendSelection()) async -> [BackendDiagnosis] {
        await selection.diagnose()
    }

    // MARK: Reading

    /// Reads a secret.
    /// - Parameters:
    ///   - service: The service (application, host, URL).
    ///   - account: The account within the service.
    /// - Returns: The secret, or `nil` when there is none.
    /// - Throws: ``KeyringError``.
    public func get(service: String, account: String) async throws(KeyringError) -> Secret? {
        try EntryValidation.check(service: service, account: account)
        try EntryValidation.checkKeyring(keyring)
        return try await backend.get(service: service, account: account, keyring: keyring)
    }

    /// Reads a secret as text.
    /// - Parameters:
    ///   - service: The service.
    ///   - account: The account.
    /// - Returns: The UTF-8 text, or `nil` when there is no entry.
    /// - Throws: ``KeyringError`` `badEncoding` when the secret is not UTF-8.
    public func getString(service: String, account: String) async throws(KeyringError) -> String? {
        guard let secret = try await get(service: service, account: account) else { return nil }
        guard let text = secret.stringValue else {
            throw KeyringError(
                .badEncoding,
                "the secret of '\(account)' on '\(service)' is \(secret.count) bytes of binary data, not UTF-8 text; read it with getBytes"
            )
        }
        return text
    }

    /// Reads a secret as bytes. The array is ordinary memory; prefer ``get(service:account:)``
    /// to keep the value in `SecureBytes`.
    /// - Parameters:
    ///   - service: The service.
    ///   - account: The account.
    /// - Returns: The bytes, or `nil` when there is no entry.
    /// - Throws: ``KeyringError``.
    public func getBytes(service: String, account: String) async throws(KeyringError) -> [UInt8]? {
        try await get(service: service, account: account)?.bytes.unprotectedArray
    }

    /// Lists the accounts that have a secret for a service.
    /// - Parameter service: The service.
    /// - Returns: Account names, sorted.
    /// - Throws: ``KeyringError``.
    public func accounts(service: String) async throws(KeyringError) -> [String] {
        try EntryValidation.check(service: service)
        try EntryValidation.checkKeyring(keyring)
        return try await backend.accounts(service: service, keyring: keyring)
    }

    /// Finds entries by attributes; returns metadata, never secret values.
    /// - Parameter attributes: Names and values that must all match, e.g. `["service": "example.org"]`;
    ///   empty lists everything.
    /// - Returns: Matching entries, sorted by service then account.
    /// - Throws: ``KeyringError``.
    public func search(_ attributes: [String: String] = [:]) async throws(KeyringError) -> [KeyringEntry] {
        try EntryValidation.checkKeyring(keyring)
        return try await backend.search(attributes: attributes, keyring: keyring)
    }

    // MARK: Writing

    /// Stores a secret, creating the entry or replacing exactly that entry.
    /// - Parameters:
    ///   - secret: The value and content type.
    ///   - service: The service.
    ///   - account: The account.
    ///   - label: A human-readable label, or `nil` for `Password for 'ACCOUNT' on 'SERVICE'`.
    /// - Throws: ``KeyringError``; `unsupported` for read-only backends.
    public func set(_ secret: Secret, service: String, account: String, label: String? = nil) async throws(KeyringError) {
        try EntryValidation.check(service: service, account: account)
        try EntryValidation.checkKeyring(keyring)
        try await backend.set(secret, service: service, account: account, keyring: keyring, label: label)
    }

    /// Stores text as a `text/plain` secret.
    /// - Parameters:
    ///   - string: The secret text.
    ///   - service: The service.
    ///   - account: The account.
    ///   - label: A label, or `nil` for the default.
    /// - Throws: ``KeyringError``.
    public func set(_ string: String, service: String, account: String, label: String? = nil) async throws(KeyringError) {
        try await set(Secret(string), service: service, account: account, label: label)
    }

    /// Stores bytes as an `application/octet-stream` secret.
    /// - Parameters:
    ///   - bytes: The secret bytes.
    ///   - service: The service.
    ///   - account: The account.
    ///   - label: A label, or `nil` for the default.
    /// - Throws: ``KeyringError``.
    public func set(bytes: [UInt8], service: String, account: String, label: String? = nil) async throws(KeyringError) {
        try await set(Secret(bytes: bytes), service: service, account: account, label: label)
    }

    /// Deletes a secret.
    /// - Parameters:
    ///   - service: The service.
    ///   - account: The account.
    /// - Returns: `true` when an entry was deleted, `false` when there was none.
    /// - Throws: ``KeyringError``; `unsupported` for read-only backends.
    @discardableResult
    public func delete(service: String, account: String) async throws(KeyringError) -> Bool {
        try EntryValidation.check(service: service, account: account)
        try EntryValidation.checkKeyring(keyring)
        return try await backend.delete(service: service, account: account, keyring: keyring)
    }

    /// Finishes the backend's outstanding work and releases its connections
    /// (``KeyringBackend/close()``). Call it after the last use, before the program exits.
    public func close() async {
        await backend.close()
    }

    // MARK: Keyrings

    /// Lists the backend's keyrings.
    /// - Throws: ``KeyringError``; `unsupported` where the backend has no keyrings to list.
    public func keyrings() async throws(KeyringError) -> [KeyringInfo] {
        try await backend.keyrings()
    }

    /// Creates a keyring.
    /// - Parameters:
    ///   - name: The new keyring's name.
    ///   - password: Its password, or `nil` to let the backend ask.
    /// - Throws: ``KeyringError``.
    public func createKeyring(_ name: String, password: SecureBytes? = nil) async throws(KeyringError) {
        try await backend.createKeyring(name, password: password)
    }

    /// Deletes a keyring and all its entries.
    /// - Parameter name: The keyring's name.
    /// - Throws: ``KeyringError``.
    public func deleteKeyring(_ name: String) async throws(KeyringError) {
        try await backend.deleteKeyring(name)
    }

    /// Locks this front's keyring (``keyring``).
    /// - Throws: ``KeyringError``.
    public func lock() async throws(KeyringError) {
        try EntryValidation.checkKeyring(keyring)
        try await backend.lock(keyring: keyring)
    }

    /// Unlocks this front's keyring.
    /// - Parameter password: The password, or `nil` to let the backend ask.
    /// - Throws: ``KeyringError`` `wrongPassword`, `locked`.
    public func unlock(password: SecureBytes? = nil) async throws(KeyringError) {
        try EntryValidation.checkKeyring(keyring)
        try await backend.unlock(keyring: keyring, password: password)
    }

    /// Whether this front's keyring is locked.
    /// - Throws: ``KeyringError``.
    public func isLocked() async throws(KeyringError) -> Bool {
        try EntryValidation.checkKeyring(keyring)
        return try await backend.isLocked(keyring: keyring)
    }
}
