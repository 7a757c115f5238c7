public import KeyringSystem

/// Keeps secrets in password-protected, encrypted files: one file per keyring,
/// `NAME.keyring` in `$XDG_DATA_HOME/swift-keyring/` (else `~/.local/share/swift-keyring/`).
///
/// Each file holds a random data key wrapped (XChaCha20-Poly1305) under a key derived from the
/// password with Argon2id, and the whole entry table (services, accounts, labels, attributes,
/// secrets) sealed with XChaCha20-Poly1305 under the data key with a fresh nonce per write and the
/// header as associated data: not even service names are visible. `docs/FILE-FORMAT.md` has the
/// byte layout.
///
/// - Files are created with mode 0600; a file that is group- or world-accessible, a symbolic
///   link, or owned by someone else is refused, and so is a directory writable by group or others.
/// - Writes replace the file atomically (temp file, `fsync`, `rename`, `fsync` of the directory)
///   while holding `flock` on `NAME.keyring.lock`, so concurrent processes never lose a write
///   and a crash leaves the old or the new file, never a mix. Keys are derived (Argon2id) before
///   the lock is taken, so it is held for milliseconds.
/// - A damaged file is reported as ``KeyringError/Code/badDataFormat`` and left untouched; a
///   password that does not open it as ``KeyringError/Code/wrongPassword``.
///
/// The password comes from, in order: the `password` given to ``unlock(keyring:password:)`` or
/// ``createKeyring(_:password:)``; the `password` given here; `KEYRING_FILE_PASSWORD` in the
/// environment; the `passwordProvider` (asked again, up to 3 times, after a wrong password).
/// Without any, operations that need it throw ``KeyringError/Code/locked``. Once a keyring is
/// open, its data key stays in locked memory until ``lock(keyring:)`` or until the backend is
/// released, so the KDF runs once per keyring per process.
///
/// Across processes, ``unlockForSession(keyring:password:timeout:)`` (`keyring unlock`) keeps a
/// keyring open for the rest of the login session: the key goes to a ``SessionKeyHolder`` (the
/// kernel's session keyring, or the key agent where that is unavailable), where every later
/// backend of the same user and session finds it, with no password and no Argon2id, until the
/// timeout, ``lock(keyring:)`` or logout. A password typed at the provider's prompt is
/// remembered the same way for ``SessionUnlock/rememberPrompted`` (15 minutes by default).
///
/// The default keyring, `default`, exists implicitly: reading it before anything was written
/// finds nothing and needs no password; the first write creates it.
public struct EncryptedFileBackend: KeyringBackend {
    /// The environment variable holding the password, when the program gives none.
    public static let passwordVariable = "KEYRING_FILE_PASSWORD"
    /// The name of the keyring used when `keyring:` is `nil`.
    public static let defaultKeyring = FileKeyringStore.defaultKeyring

    /// `file`.
    public let name = "file"
    private let store: FileKeyringStore
    private let passwordProvider: PasswordProvider?

    /// Creates a backend. Nothing is read or written until the first operation.
    /// - Parameters:
    ///   - directory: Where the keyring files live; `nil` for ``defaultDirectory(environment:)``.
    ///   - password: The password for every keyring, or `nil` to use the environment or the provider.
    ///   - passwordProvider: Asked when no other password is available (a terminal prompt).
    ///   - kdf: Argon2id parameters for new files and password changes; existing files keep theirs.
    ///   - environment: Where `KEYRING_FILE_PASSWORD`, `XDG_DATA_HOME` and `HOME` are read; `nil`
    ///     for the process environment.
    ///   - lockTimeout: How long to wait for another process holding the keyring's lock.
    ///   - session: Where keyrings stay unlocked between processes; `nil` for
    ///     ``SessionUnlock/automatic(environment:)``, ``SessionUnlock/disabled`` for nowhere.
    public init(
        directory: String? = nil,
        password: SecureBytes? = nil,
        passwordProvider: PasswordProvider? = nil,
        kdf: KDFParameters = .default,
        environment: [String: String]? = nil,
        lockTimeout: Duration = .seconds(10),
        session: SessionUnlock? = nil
    ) {
        let environment = environment ?? ProcessEnvironment.current()
        let resolved: Result<String, KeyringError> =
            directory.map { .success($0) }
            ?? Result { () throws(KeyringError) in try Self.defaultDirectory(environment: environment) }
        let components = lockTimeout.components
        store = FileKeyringStore(
            directory: resolved,
            configuredPassword: password,
            environmentPassword: environment[Self.passwordVariable].map { SecureBytes(utf8: $0) },
            kdf: kdf,
            lockTimeoutMilliseconds: Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000),
            session: session ?? .automatic(environment: environment))
        self.passwordProvider = passwordProvider
    }

    /// `$XDG_DATA_HOME/swift-keyring` when `XDG_DATA_HOME` is an absolute path, else
    /// `$HOME/.local/share/swift-keyring` (the home directory from the password database when
    /// `HOME` is unset).
    /// - Parameter environment: The environment to read.
    /// - Throws: ``KeyringError`` `noStorageAccess` when no home directory can be found.
    public static func defaultDirectory(environment: [String: String]) throws(KeyringError) -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return data + "/swift-keyring"
        }
        guard let home = environment["HOME"].flatMap({ $0.hasPrefix("/") ? $0 : nil }) ?? FileSystem.passwordDatabaseHome else {
            throw KeyringError(.noStorageAccess, "cannot find a directory for keyring files: set XDG_DATA_HOME or HOME")
        }
        return home + "/.local/share/swift-keyring"
    }

    /// The directory holding the keyring files.
    /// - Throws: ``KeyringError`` `noStorageAccess` when it could not be determined.
    public func directory() throws(KeyringError) -> String {
        try store.directory.get()
    }

    /// The path of a keyring's file.
    /// - Parameter keyring: The keyring, or `nil` for `default`.
    /// - Throws: ``KeyringError`` `invalidArgument` for a bad name, `noStorageAccess`.
    public func path(ofKeyring keyring: String? = nil) throws(KeyringError) -> String {
        try store.path(of: try Self.resolve(keyring))
    }

    // MARK: Entries

    /// Reads one secret; see ``KeyringBackend/get(service:account:keyring:)``.
    /// - Throws: ``KeyringError``: `locked`, `wrongPassword`, `badDataFormat`, `permissionDenied`, `noSuchKeyring`.
    public func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret? {
        try EntryValidation.check(service: service, account: account)
        let key = EntryTable.Key(service: service, account: account)
        return try await run(keyring) { store, name, password in
            try store.read(name, password: password) { table in
                table.entries[key].map { $0.secret.copied() }
            }
        }
    }

    /// Creates or replaces one entry; see ``KeyringBackend/set(_:service:account:keyring:label:)``.
    /// - Throws: ``KeyringError``: `locked`, `wrongPassword`, `badDataFormat`, `permissionDenied`, `timedOut`.
    public func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?)
        async throws(KeyringError)
    {
        try EntryValidation.check(service: service, account: account)
        guard secret.count < FileKeyringStore.maximumFileSize else {
            // Checked before writing: a keyring the library then refuses to open would lock everyone out.
            throw KeyringError(
                .invalidArgument,
                "a secret of \(secret.count) bytes does not fit in a keyring file (at most 1 GiB); nothing was stored")
        }
        try await KeyringError.catching("storing \(service)/\(account)") {
            try await setEntries(
                [EntryToWrite(secret: secret, service: service, account: account, label: label)], keyring: keyring)
        }
    }

    /// One entry for ``setEntries(_:keyring:)``.
    package struct EntryToWrite: Sendable {
        package var secret: Secret
        package var service: String
        package var account: String
        package var label: String?

        package init(secret: Secret, service: String, account: String, label: String? = nil) {
            self.secret = secret
            self.service = service
            self.account = account
            self.label = label
        }
    }

    /// Creates or replaces many entries with one read-modify-write of the file: importing
    /// 10,000 entries costs one encryption and one `fsync`, not 10,000.
    package func setEntries(_ items: [EntryToWrite], keyring: String?) async throws {
        for item in items { try EntryValidation.check(service: item.service, account: item.account) }
        let copies = items.map { item in
            (
                EntryTable.Key(service: item.service, account: item.account),
                EntryTable.Entry(
                    label: item.label ?? KeyringEntry.defaultLabel(service: item.service, account: item.account),
                    attributes: KeyringEntry.standardAttributes(service: item.service, account: item.account),
                    secret: item.secret.copied())
            )
        }
        try await run(keyring) { store, name, password in
            try store.modify(name, password: password) { table in
                for (key, entry) in copies { table.entries[key] = entry }
                return ((), true)
            }
        }
    }

    /// Deletes one entry; see ``KeyringBackend/delete(service:account:keyring:)``.
    /// - Throws: ``KeyringError``: `locked`, `wrongPassword`, `badDataFormat`, `permissionDenied`, `timedOut`.
    public func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool {
        try EntryValidation.check(service: service, account: account)
        let key = EntryTable.Key(service: service, account: account)
        return try await run(keyring) { store, name, password in
            try store.modify(name, password: password) { table in
                let removed = table.entries.removeValue(forKey: key) != nil
                return (removed, removed)
            }
        }
    }

    /// Lists the accounts of a service; see ``KeyringBackend/accounts(service:keyring:)``.
    /// - Throws: ``KeyringError``: `locked`, `wrongPassword`, `badDataFormat`, `permissionDenied`.
    public func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String] {
        try EntryValidation.check(service: service)
        return try await run(keyring) { store, name, password in
            try store.read(name, password: password) { table in
                table.entries.keys.filter { $0.service == service }.map(\.account).sorted()
            }
        }
    }

    /// Finds entries by attributes (`service`, `username`); see ``KeyringBackend/search(attributes:keyring:)``.
    /// - Throws: ``KeyringError``: `locked`, `wrongPassword`, `badDataFormat`, `permissionDenied`.
    public func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry] {
        try await run(keyring) { store, name, password in
            try store.read(name, password: password) { table in
                table.entries.compactMap { key, entry -> KeyringEntry? in
                    guard attributes.allSatisfy({ entry.attributes[$0.key] == $0.value }) else { return nil }
                    return KeyringEntry(
                        service: key.service, account: key.account, label: entry.label,
                        attributes: entry.attributes, keyring: name)
                }
                .sorted { ($0.service, $0.account) < ($1.service, $1.account) }
            }
        }
    }

    // MARK: Keyrings

    /// Lists the keyring files in the directory, plus `default`.
    /// - Throws: ``KeyringError``: `permissionDenied`, `noStorageAccess`.
    public func keyrings() async throws(KeyringError) -> [KeyringInfo] {
        try await perform { store in try store.keyrings() }
    }

    /// Creates an empty keyring file.
    /// - Parameters:
    ///   - name: 1–64 letters, digits, `.`, `_` or `-`; the file is `NAME.keyring`.
    ///   - password: Its password, or `nil` for the configured one, `KEYRING_FILE_PASSWORD`, or the provider.
    /// - Throws: ``KeyringError``: `alreadyExists`, `invalidArgument`, `locked` (no password), `permissionDenied`.
    public func createKeyring(_ name: String, password: SecureBytes?) async throws(KeyringError) {
        try EntryValidation.checkKeyringName(name)
        try await run(name, password: password) { store, name, password in
            try store.create(name, password: password)
        }
    }

    /// Deletes a keyring file and all its entries. No password is needed: whoever can write the
    /// directory can remove the file anyway.
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `permissionDenied`, `timedOut`.
    public func deleteKeyring(_ name: String) async throws(KeyringError) {
        let name = try Self.resolve(name)
        try await perform { store in try store.delete(name) }
    }

    /// Forgets the keyring's data key, in this process and in the session holder: the next
    /// access, by any process, needs the password again.
    /// - Throws: ``KeyringError``: `noSuchKeyring`; `backendFailure` when the holder cannot drop it.
    public func lock(keyring: String?) async throws(KeyringError) {
        let name = try Self.resolve(keyring)
        try await perform { store in try store.lock(name) }
    }

    /// Opens the keyring with a password and keeps its data key for later operations.
    /// - Parameters:
    ///   - keyring: The keyring, or `nil` for `default`.
    ///   - password: Checked even when the keyring is already unlocked; `nil` for the configured
    ///     password, `KEYRING_FILE_PASSWORD`, or the provider.
    /// - Throws: ``KeyringError``: `wrongPassword`, `locked` (no password), `noSuchKeyring`, `badDataFormat`.
    public func unlock(keyring: String?, password: SecureBytes?) async throws(KeyringError) {
        try await run(keyring, password: password) { store, name, password in
            try store.unlock(name, password: password)
        }
    }

    /// Unlocks the keyring for the rest of the login session: later processes of this user and
    /// session open it with no password and no key derivation, until `timeout`, ``lock(keyring:)``
    /// or logout. A default keyring that does not exist yet is created with the password.
    /// - Parameters:
    ///   - keyring: The keyring, or `nil` for `default`.
    ///   - password: Checked; `nil` for the usual sources (a key the holder already keeps is then
    ///     kept for `timeout` from now).
    ///   - timeout: How long; `nil` for ``SessionUnlock/timeout`` (8 hours unless configured).
    /// - Throws: ``KeyringError``: `wrongPassword`, `locked` (no password), `noSuchKeyring`,
    ///   `unsupported` (no holder), `backendFailure` (the holder refused the key).
    public func unlockForSession(keyring: String?, password: SecureBytes?, timeout: Duration? = nil)
        async throws(KeyringError)
    {
        let timeout = timeout ?? store.session.timeout
        try await run(keyring, password: password) { store, name, password in
            try store.unlockForSession(name, password: password, timeout: timeout)
        }
    }

    /// How this backend keeps keyrings unlocked between processes.
    public var session: SessionUnlock { store.session }

    /// Whether this backend does not hold the keyring's data key (a missing default keyring is unlocked).
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `permissionDenied`.
    public func isLocked(keyring: String?) async throws(KeyringError) -> Bool {
        let name = try Self.resolve(keyring)
        return try await perform { store in try store.isLocked(name) }
    }

    /// Changes a keyring's password: a new random data key is wrapped under a key derived from
    /// the new password with a new salt and this backend's KDF parameters; entries are re-sealed
    /// under it.
    /// - Parameters:
    ///   - keyring: The keyring, or `nil` for `default`.
    ///   - newPassword: The new password.
    ///   - currentPassword: The current password, or `nil` for the usual sources.
    /// - Throws: ``KeyringError``: `wrongPassword`, `locked`, `noSuchKeyring`, `timedOut`.
    public func changePassword(keyring: String?, to newPassword: SecureBytes, currentPassword: SecureBytes? = nil)
        async throws(KeyringError)
    {
        try await run(keyring, password: currentPassword) { store, name, password in
            try store.changePassword(name, current: password, new: newPassword)
        }
    }

    /// Checks the directory and the password sources.
    public func diagnose() async -> BackendDiagnosis {
        let directory: String
        do { directory = try store.directory.get() } catch {
            return BackendDiagnosis(backend: name, isUsable: false, reason: error.message)
        }
        var details = ["directory: \(directory)", "KDF for new files: \(store.kdf)"]
        let passwordSource: String?
        if store.configuredPassword != nil {
            passwordSource = "given by the program"
        } else if store.environmentPassword != nil {
            passwordSource = "from \(Self.passwordVariable)"
        } else if passwordProvider != nil {
            passwordSource = "asked for when needed"
        } else {
            passwordSource = nil
        }
        details.append("password: \(passwordSource ?? "none")")
        if let holder = store.session.holder {
            let remember =
                store.session.rememberPrompted.map { "prompted passwords remembered for \(Self.describe($0))" }
                ?? "prompted passwords not remembered"
            details.append(
                "unlocked for the session in: \(holder.status()) (unlock lasts \(Self.describe(store.session.timeout)); \(remember))"
            )
            let held = (try? await perform { store in store.isUnlockedForSession(Self.defaultKeyring) }) ?? false
            details.append("default keyring: \(held ? "unlocked for the session" : "not unlocked for the session")")
        } else {
            details.append("unlocked for the session in: nowhere (each process needs the password)")
        }
        do {
            let keyrings = try await keyrings()
            details.append("keyrings: \(keyrings.map(\.name).joined(separator: ", "))")
        } catch {
            return BackendDiagnosis(backend: name, isUsable: false, reason: error.message, details: details)
        }
        let unlockedForSession = (try? await perform { store in store.isUnlockedForSession(Self.defaultKeyring) }) ?? false
        guard passwordSource != nil || unlockedForSession else {
            return BackendDiagnosis(
                backend: name, isUsable: false,
                reason: "no password source: set \(Self.passwordVariable) or let the program ask for one", details: details)
        }
        return BackendDiagnosis(backend: name, isUsable: true, reason: "encrypted files in \(directory)", details: details)
    }

    // MARK: Helpers

    /// "8h", "15m", "90s".
    static func describe(_ duration: Duration) -> String {
        let seconds = Int(duration.components.seconds)
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// ``FileKeyringStore/perform(_:)``, throwing only ``KeyringError``.
    private func perform<T: Sendable>(_ body: @Sendable (isolated FileKeyringStore) throws -> T) async throws(KeyringError) -> T {
        let store = self.store
        return try await KeyringError.catching("using the encrypted file") { try await store.perform(body) }
    }

    private static func resolve(_ keyring: String?) throws(KeyringError) -> String {
        try EntryValidation.checkKeyring(keyring)
        let name = keyring ?? defaultKeyring
        try EntryValidation.checkKeyringName(name)
        return name
    }

    /// Runs `operation` on the store's queue; when it needs a password that no source has, asks
    /// the provider and runs it again (up to 3 provider answers after wrong passwords).
    private func run<T: Sendable>(
        _ keyring: String?, password: SecureBytes? = nil,
        _ operation: @escaping @Sendable (isolated FileKeyringStore, String, FileKeyringStore.PasswordInput?) throws -> T
    ) async throws(KeyringError) -> T {
        let name = try Self.resolve(keyring)
        return try await KeyringError.catching("using the keyring '\(name)'") {
            try await runResolved(name, password: password, operation)
        }
    }

    private func runResolved<T: Sendable>(
        _ name: String, password: SecureBytes?,
        _ operation: @escaping @Sendable (isolated FileKeyringStore, String, FileKeyringStore.PasswordInput?) throws -> T
    ) async throws -> T {
        let store = self.store
        var input = password.map { FileKeyringStore.PasswordInput(bytes: $0, source: .caller) }
        var attempts = 0
        while true {
            let current = input
            do {
                return try await store.perform { store in try operation(store, name, current) }
            } catch let needed as FileKeyringStore.PasswordNeeded {
                input = try await askProvider(keyring: name, purpose: needed.purpose, attempts: &attempts)
            } catch let error as KeyringError where error.code == .wrongPassword && current?.source == .provider {
                guard attempts < 3 else { throw error }
                input = try await askProvider(keyring: name, purpose: .unlock, attempts: &attempts)
            }
        }
    }

    private func askProvider(
        keyring: String, purpose: PasswordRequest.Purpose, attempts: inout Int
    ) async throws -> FileKeyringStore.PasswordInput {
        let path = (try? store.path(of: keyring)) ?? keyring
        guard let passwordProvider else {
            throw KeyringError(
                .locked,
                "the keyring '\(keyring)' (\(path)) needs a password, and none was given: no password for this "
                    + "backend or its unlock, no \(Self.passwordVariable), and no way to ask", keyring: keyring)
        }
        attempts += 1
        let request = PasswordRequest(backend: name, keyring: keyring, purpose: purpose, attempt: attempts)
        guard let password = try await passwordProvider(request) else {
            throw KeyringError(.locked, "no password was given for the keyring '\(keyring)' (\(path)); it stays locked")
        }
        return FileKeyringStore.PasswordInput(bytes: password, source: .provider)
    }

}
