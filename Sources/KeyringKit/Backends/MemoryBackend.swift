public import KeyringSystem

/// Keeps secrets in this process's memory only, for tests and for programs that want a
/// throw-away store. Everything is gone when the backend is released.
///
/// Supports keyrings: the default keyring `default` exists from the start; others are made with
/// ``createKeyring(_:password:)``. A keyring created with a password can be locked and is
/// unlocked only with that password; one created without a password unlocks with any.
/// Secrets are held in `SecureBytes`. Never chosen automatically: only by name.
public actor MemoryBackend: KeyringBackend {
    private struct Key: Hashable {
        let service: String
        let account: String
    }

    private struct Stored {
        let secret: Secret
        let label: String
    }

    private struct Store {
        var entries: [Key: Stored] = [:]
        var password: SecureBytes?
        var isLocked = false
    }

    /// `memory`.
    public nonisolated let name = "memory"
    /// The name of the keyring used when `keyring:` is `nil`.
    public nonisolated let defaultKeyring = "default"

    private var stores: [String: Store]

    /// Creates an empty memory backend with one unlocked keyring, `default`.
    public init() {
        stores = ["default": Store()]
    }

    // MARK: Entries

    /// Reads one secret; see ``KeyringBackend/get(service:account:keyring:)``.
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `locked`, `invalidArgument`.
    public func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret? {
        try EntryValidation.check(service: service, account: account)
        let store = try unlockedStore(keyring)
        guard let stored = store.entries[Key(service: service, account: account)] else { return nil }
        return stored.secret.copied()
    }

    /// Creates or replaces one entry; see ``KeyringBackend/set(_:service:account:keyring:label:)``.
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `locked`, `invalidArgument`.
    public func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?)
        async throws(KeyringError)
    {
        try EntryValidation.check(service: service, account: account)
        let name = try resolve(keyring)
        _ = try unlockedStore(name)
        let stored = Stored(
            secret: secret.copied(),
            label: label ?? KeyringEntry.defaultLabel(service: service, account: account))
        stores[name]!.entries[Key(service: service, account: account)] = stored
    }

    /// Deletes one entry; see ``KeyringBackend/delete(service:account:keyring:)``.
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `locked`, `invalidArgument`.
    public func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool {
        try EntryValidation.check(service: service, account: account)
        let name = try resolve(keyring)
        _ = try unlockedStore(name)
        return stores[name]!.entries.removeValue(forKey: Key(service: service, account: account)) != nil
    }

    /// Lists accounts of a service; see ``KeyringBackend/accounts(service:keyring:)``.
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `locked`, `invalidArgument`.
    public func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String] {
        try EntryValidation.check(service: service)
        let store = try unlockedStore(keyring)
        return store.entries.keys.filter { $0.service == service }.map(\.account).sorted()
    }

    /// Finds entries by `service` and `username` attributes; see ``KeyringBackend/search(attributes:keyring:)``.
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `locked`.
    public func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry] {
        let name = try resolve(keyring)
        let store = try unlockedStore(name)
        var found: [KeyringEntry] = []
        for (key, stored) in store.entries {
            let entryAttributes = KeyringEntry.standardAttributes(service: key.service, account: key.account)
            guard attributes.allSatisfy({ entryAttributes[$0.key] == $0.value }) else { continue }
            found.append(
                KeyringEntry(
                    service: key.service, account: key.account, label: stored.label,
                    attributes: entryAttributes, keyring: name))
        }
        return found.sorted { ($0.service, $0.account) < ($1.service, $1.account) }
    }

    // MARK: Keyrings

    /// Lists the keyrings, sorted by name.
    public func keyrings() async throws(KeyringError) -> [KeyringInfo] {
        stores.map { KeyringInfo(name: $0.key, isLocked: $0.value.isLocked, isDefault: $0.key == defaultKeyring) }
            .sorted { $0.name < $1.name }
    }

    /// Creates an empty, unlocked keyring.
    /// - Parameters:
    ///   - name: 1–64 letters, digits, `.`, `_` or `-`.
    ///   - password: Needed later by ``unlock(keyring:password:)``, or `nil` for none.
    /// - Throws: ``KeyringError``: `alreadyExists`, `invalidArgument`.
    public func createKeyring(_ name: String, password: SecureBytes?) async throws(KeyringError) {
        try EntryValidation.checkKeyringName(name)
        if stores[name] != nil {
            throw KeyringError(.alreadyExists, "the memory keyring '\(name)' already exists")
        }
        stores[name] = Store(password: password.map { pw in pw.withUnsafeBytes { SecureBytes(copying: $0) } })
    }

    /// Deletes a keyring and its entries. Deleting `default` empties it.
    /// - Throws: ``KeyringError``: `noSuchKeyring`.
    public func deleteKeyring(_ name: String) async throws(KeyringError) {
        if stores.removeValue(forKey: name) == nil {
            throw Self.noSuchKeyring(name)
        }
        if name == defaultKeyring { stores[name] = Store() }
    }

    /// Locks a keyring.
    /// - Throws: ``KeyringError``: `noSuchKeyring`.
    public func lock(keyring: String?) async throws(KeyringError) {
        let name = try resolve(keyring)
        stores[name]!.isLocked = true
    }

    /// Unlocks a keyring.
    /// - Parameters:
    ///   - keyring: The keyring, or `nil` for `default`.
    ///   - password: Must equal the password given at creation, if there was one.
    /// - Throws: ``KeyringError``: `noSuchKeyring`, `wrongPassword`, `locked` (a password is needed).
    public func unlock(keyring: String?, password: SecureBytes?) async throws(KeyringError) {
        let name = try resolve(keyring)
        if let expected = stores[name]!.password {
            guard let password else {
                throw KeyringError(.locked, "the memory keyring '\(name)' needs its password to unlock")
            }
            guard expected.constantTimeEquals(password) else {
                throw KeyringError(.wrongPassword, "the password does not unlock the memory keyring '\(name)'")
            }
        }
        stores[name]!.isLocked = false
    }

    /// Tells whether a keyring is locked.
    /// - Throws: ``KeyringError``: `noSuchKeyring`.
    public func isLocked(keyring: String?) async throws(KeyringError) -> Bool {
        stores[try resolve(keyring)]!.isLocked
    }

    /// Always usable.
    public func diagnose() async -> BackendDiagnosis {
        BackendDiagnosis(
            backend: name, isUsable: true,
            reason: "keeps secrets in this process's memory only; they are lost when it exits",
            details: ["keyrings: \(stores.count)"])
    }

    // MARK: Helpers

    private func resolve(_ keyring: String?) throws(KeyringError) -> String {
        try EntryValidation.checkKeyring(keyring)
        let name = keyring ?? defaultKeyring
        guard stores[name] != nil else { throw Self.noSuchKeyring(name) }
        return name
    }

    private func unlockedStore(_ keyring: String?) throws(KeyringError) -> Store {
        let name = try resolve(keyring)
        let store = stores[name]!
        if store.isLocked {
            throw KeyringError(.locked, "the memory keyring '\(name)' is locked; unlock it first")
        }
        return store
    }

    private static func noSuchKeyring(_ name: String) -> KeyringError {
        KeyringError(.noSuchKeyring, "there is no memory keyring named '\(name)'; create it first")
    }

    /// A private copy, so a caller that later changes its buffer cannot change the stored value.
}
