internal import KeyringSystem
import Dispatch

/// The engine behind ``EncryptedFileBackend``: paths, permission checks, locking, key
/// derivation, caching and atomic replacement.
///
/// An actor, so the compiler checks that its state (the unwrapped keys, whether it holds a lock)
/// is touched by one operation at a time. Its executor is a serial dispatch queue, never Swift's
/// cooperative pool: file I/O, `flock` waits and Argon2id block the thread they run on.
///
/// Argon2id never runs under the file lock: a writer derives the key of the file as it finds it
/// (or wraps a new keyring's data key) first, then takes the lock, reads the file again and uses
/// the key it holds if the file's key block is still the one it derived it for. If another
/// process changed the password or created the file in between, the writer releases the lock,
/// derives again and retries. The lock is held only to read, change, write and `fsync`.
actor FileKeyringStore {
    /// Where a password came from; wording for messages, and whether the provider may be asked again.
    enum PasswordSource: Sendable, Equatable {
        case caller, configured, environment, provider
    }

    struct PasswordInput: Sendable {
        let bytes: SecureBytes
        let source: PasswordSource
    }

    /// Thrown inside the queue when no password is at hand; the async layer asks the provider.
    struct PasswordNeeded: Error {
        let keyring: String
        let purpose: PasswordRequest.Purpose
    }

    /// The unwrapped data key of one keyring, and the last table read or written with it.
    final class UnlockedKeyring {
        let keyBlock: ArraySlice<UInt8>
        let dataKey: SecureBytes
        var header: KeyringFileHeader
        var cachedHeaderBytes: [UInt8]?
        var cachedFileSize = -1
        var cachedTable: EntryTable?

        /// The key Argon2id derived, kept only for a keyring made in this process until it is
        /// first written (``FileKeyringStore/unlockForSession(_:password:timeout:)`` hands it on).
        var passwordKey: SecureBytes?

        init(header: KeyringFileHeader, headerBytes: [UInt8], dataKey: SecureBytes, passwordKey: SecureBytes? = nil) {
            self.header = header
            self.keyBlock = headerBytes[KeyringFileHeader.keyBlockRange]
            self.dataKey = dataKey
            self.passwordKey = passwordKey
        }
    }

    /// A keyring file opened for reading: its header is read, its body not yet.
    struct OpenedFile {
        let descriptor: FileDescriptor
        let size: Int
        let headerBytes: [UInt8]
    }

    /// What one attempt at an operation under the lock came to.
    enum LockedAttempt<T> {
        /// The operation ran, and wrote the file if it changed anything.
        case done(T)
        /// The file's key block is not the one whose key was derived before the lock (another
        /// process changed the password, or created or deleted the file): nothing was done;
        /// derive again outside the lock.
        case keyChanged
    }

    static let defaultKeyring = "default"
    static let fileExtension = ".keyring"
    static let lockExtension = ".keyring.lock"
    static let temporaryMarker = ".keyring.tmp-"
    /// Refuse files above this size before reading them.
    static let maximumFileSize = 1 << 30
    /// How many times a write derives a key before the lock and then finds, under the lock, a
    /// file with another key block, before it gives up.
    static let keyDerivationAttempts = 5

    let directory: Result<String, KeyringError>
    let configuredPassword: SecureBytes?
    let environmentPassword: SecureBytes?
    let kdf: KDFParameters
    let lockTimeoutMilliseconds: Int
    /// Where unlocked keys wait for the next process of the login session.
    let session: SessionUnlock

    /// Where the store's operations run (see the type's summary).
    private let executor = QueueExecutor(label: "swift-keyring.encrypted-file")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    var unlocked: [String: UnlockedKeyring] = [:]
    /// Whether this store holds a keyring's `flock` now; Argon2id must not run while it does.
    var holdsLock = false

    init(
        directory: Result<String, KeyringError>, configuredPassword: SecureBytes?, environmentPassword: SecureBytes?,
        kdf: KDFParameters, lockTimeoutMilliseconds: Int, session: SessionUnlock
    ) {
        self.session = session
        self.directory = directory
        self.configuredPassword = configuredPassword
        self.environmentPassword = environmentPassword
        self.kdf = kdf
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
    }

    /// Runs `body` as one operation of the store, on its queue.
    func perform<T: Sendable>(_ body: @Sendable (isolated FileKeyringStore) throws -> T) throws -> T {
        try body(self)
    }

    // MARK: Paths

    nonisolated func path(of keyring: String) throws(KeyringError) -> String {
        try directory.get() + "/" + keyring + Self.fileExtension
    }

    // MARK: Reading and writing entries

    /// Calls `body` with the keyring's table. A missing default keyring reads as empty.
    func read<T>(_ keyring: String, password: PasswordInput?, _ body: (EntryTable) throws -> T) throws -> T {
        guard let directory = try existingDirectory(), let file = try open(keyring, in: directory) else {
            if keyring == Self.defaultKeyring { return try body(EntryTable()) }
            throw noSuchKeyring(keyring)
        }
        let path = try path(of: keyring)
        let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
        let state = try unlockedKeyring(keyring, header: header, headerBytes: file.headerBytes, path: path, password: password)
        return try body(try table(of: file, header: header, path: path, with: state, authenticating: false))
    }

    /// Locks the keyring against other writers, reads it, lets `body` change the table, and
    /// writes it back atomically when `body` returns `true`. A missing default keyring is
    /// created (which needs a password); a missing other keyring is an error.
    ///
    /// The key is derived before the lock is taken (see the type's documentation); `body` may
    /// run more than once, and must only change the table it is given.
    func modify<T>(
        _ keyring: String, password: PasswordInput?, _ body: (inout EntryTable) throws -> (result: T, changed: Bool)
    ) throws -> T {
        for _ in 0..<Self.keyDerivationAttempts {
            // Before the lock: the key of the file as it is now (Argon2id unless it is held), or,
            // for a default keyring not created yet, a new data key wrapped under the password.
            var created: UnlockedKeyring?
            if let directory = try existingDirectory(), let file = try open(keyring, in: directory) {
                let path = try path(of: keyring)
                let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
                _ = try unlockedKeyring(keyring, header: header, headerBytes: file.headerBytes, path: path, password: password)
            } else {
                // Nothing is created (directory, lock file) unless `body` really changes
                // something, so `keyring del` on a fresh machine leaves no trace.
                guard keyring == Self.defaultKeyring else { throw noSuchKeyring(keyring) }
                var scratch = EntryTable()
                let (result, changed) = try body(&scratch)
                if !changed { return result }
                created = try newKeyring(password: try choosePassword(password, keyring: keyring, purpose: .create))
            }
            let directory = try writableDirectory()
            let attempt = try withExclusiveLock(keyring, in: directory) { () throws -> LockedAttempt<T> in
                let path = try path(of: keyring)
                let state: UnlockedKeyring
                var table: EntryTable
                if let file = try open(keyring, in: directory) {
                    let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
                    guard let held = heldKeyring(keyring, headerBytes: file.headerBytes) else { return .keyChanged }
                    state = held
                    table = try self.table(of: file, header: header, path: path, with: held, authenticating: true)
                } else {
                    guard keyring == Self.defaultKeyring else { throw noSuchKeyring(keyring) }
                    // Deleted since the key was derived: wrap a new data key, outside the lock.
                    guard let created else { return .keyChanged }
                    state = created
                    table = EntryTable()
                }
                let (result, changed) = try body(&table)
                if changed { try write(table, keyring: keyring, with: state, in: directory) }
                return .done(result)
            }
            if case .done(let result) = attempt { return result }
        }
        throw keyKeptChanging(keyring)
    }

    // MARK: Keyring management

    /// Names of existing keyring files, plus the default keyring, sorted.
    func keyrings() throws -> [KeyringInfo] {
        var names: Set<String> = [Self.defaultKeyring]
        if let directory = try existingDirectory() {
            let entries: [String]
            do { entries = try FileSystem.directoryEntries(directory) } catch { throw translate(error, "list the keyrings in") }
            for entry in entries where entry.hasSuffix(Self.fileExtension) {
                let name = String(entry.dropLast(Self.fileExtension.count))
                if (try? EntryValidation.checkKeyringName(name)) != nil { names.insert(name) }
            }
        }
        return names.sorted().map { name in
            KeyringInfo(name: name, isLocked: (try? isLocked(name)) ?? true, isDefault: name == Self.defaultKeyring)
        }
    }

    /// Creates a new, empty keyring file; fails when it exists. The data key is wrapped under
    /// the password (Argon2id) before the lock is taken, and used if the file still does not exist.
    func create(_ keyring: String, password: PasswordInput?) throws {
        // Checked first too, so that no password is asked for and no key derived in vain.
        if let directory = try existingDirectory(), try open(keyring, in: directory) != nil { throw alreadyExists(keyring) }
        let created = try newKeyring(password: try choosePassword(password, keyring: keyring, purpose: .create))
        let directory = try writableDirectory()
        try withExclusiveLock(keyring, in: directory) { () throws in
            if try open(keyring, in: directory) != nil { throw alreadyExists(keyring) }
            try write(EntryTable(), keyring: keyring, with: created, in: directory)
        }
    }

    /// Removes a keyring file. The lock file stays: removing it would let two writers hold
    /// "the" lock on different files.
    func delete(_ keyring: String) throws {
        guard let directory = try existingDirectory() else {
            if keyring == Self.defaultKeyring { return }
            throw noSuchKeyring(keyring)
        }
        try withExclusiveLock(keyring, in: directory) { () throws in
            let path = try path(of: keyring)
            let removed: Bool
            do { removed = try FileSystem.remove(path) } catch let error as SystemCallError { throw translate(error, "delete") }
            unlocked[keyring] = nil
            if !removed {
                if keyring == Self.defaultKeyring { return }
                throw noSuchKeyring(keyring)
            }
            try syncDirectory(directory)
        }
    }

    /// Forgets the keyring's data key, here and in the session holder.
    func lock(_ keyring: String) throws {
        unlocked[keyring] = nil
        guard let file = try existingDirectory().flatMap({ try open(keyring, in: $0) }) else {
            if keyring != Self.defaultKeyring { throw noSuchKeyring(keyring) }
            return
        }
        if let holder = session.holder, let name = sessionName(headerBytes: file.headerBytes) {
            try holder.release(named: name)
        }
    }

    /// Unlocks the keyring for the rest of the login session (up to `timeout`): its key goes
    /// to the session holder, where later processes find it. A given password is always
    /// checked; without one, a key the holder keeps is kept longer. A default keyring with no
    /// file yet is created with the password, so that later writes need none either.
    func unlockForSession(_ keyring: String, password: PasswordInput?, timeout: Duration) throws {
        guard session.holder != nil else { throw noSessionHolder() }
        for _ in 0..<Self.keyDerivationAttempts {
            guard let directory = try existingDirectory(), let file = try open(keyring, in: directory) else {
                guard keyring == Self.defaultKeyring else { throw noSuchKeyring(keyring) }
                let created = try newKeyring(password: try choosePassword(password, keyring: keyring, purpose: .create))
                let directory = try writableDirectory()
                let made = try withExclusiveLock(keyring, in: directory) { () throws -> Bool in
                    if try open(keyring, in: directory) != nil { return false }
                    try write(EntryTable(), keyring: keyring, with: created, in: directory)
                    return true
                }
                if made, let passwordKey = created.passwordKey {
                    try holdForSession(passwordKey, headerBytes: created.header.encoded(), timeout: timeout)
                    unlocked[keyring] = created
                    return
                }
                continue  // another process created it meanwhile: unlock that one
            }
            let path = try path(of: keyring)
            let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
            let passwordKey: SecureBytes
            let dataKey: SecureBytes
            if password == nil, let name = sessionName(headerBytes: file.headerBytes),
                let held = session.holder?.load(named: name), let unwrapped = unwrapDataKey(header, passwordKey: held)
            {
                (dataKey, passwordKey) = (unwrapped, held)
            } else {
                let input = try choosePassword(password, keyring: keyring, purpose: .unlock)
                (dataKey, passwordKey) = try unwrapDataKey(header, password: input, keyring: keyring, path: path)
            }
            try holdForSession(passwordKey, headerBytes: file.headerBytes, timeout: timeout)
            unlocked[keyring] = UnlockedKeyring(header: header, headerBytes: file.headerBytes, dataKey: dataKey)
            return
        }
        throw keyKeptChanging(keyring)
    }

    /// Unwraps and keeps the keyring's data key in this process. A given password is always checked.
    func unlock(_ keyring: String, password: PasswordInput?) throws {
        guard let directory = try existingDirectory(), let file = try open(keyring, in: directory) else {
            if keyring == Self.defaultKeyring { return }
            throw noSuchKeyring(keyring)
        }
        let path = try path(of: keyring)
        let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
        if password == nil, heldKeyring(keyring, headerBytes: file.headerBytes) != nil { return }
        if password == nil, let state = sessionKeyring(header: header, headerBytes: file.headerBytes) {
            unlocked[keyring] = state
            return
        }
        let input = try choosePassword(password, keyring: keyring, purpose: .unlock)
        let (dataKey, _) = try unwrapDataKey(header, password: input, keyring: keyring, path: path)
        unlocked[keyring] = UnlockedKeyring(header: header, headerBytes: file.headerBytes, dataKey: dataKey)
    }

    /// Whether the keyring's data key is not held (or no longer matches the file).
    func isLocked(_ keyring: String) throws -> Bool {
        guard let directory = try existingDirectory(), let file = try open(keyring, in: directory) else {
            if keyring == Self.defaultKeyring { return false }
            throw noSuchKeyring(keyring)
        }
        if heldKeyring(keyring, headerBytes: file.headerBytes) != nil { return false }
        return !isHeldForSession(file, keyring: keyring)
    }

    /// Whether the session holder keeps a key that opens this file (a damaged file: no).
    func isHeldForSession(_ file: OpenedFile, keyring: String) -> Bool {
        guard let path = try? path(of: keyring),
            let header = try? KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
        else { return false }
        return sessionKeyring(header: header, headerBytes: file.headerBytes) != nil
    }

    /// Whether the keyring's file exists and the session holder keeps a key that opens it.
    func isUnlockedForSession(_ keyring: String) -> Bool {
        guard let directory = try? existingDirectory(), let file = try? open(keyring, in: directory) else { return false }
        return isHeldForSession(file, keyring: keyring)
    }

    /// Re-encrypts the keyring under a new random data key wrapped by the new password (new
    /// salt, current KDF parameters); the entries are re-sealed with it. Both keys are derived
    /// before the lock is taken: first the current one (so a wrong password costs no second
    /// derivation), then the new one, once.
    func changePassword(_ keyring: String, current: PasswordInput?, new: SecureBytes) throws {
        var replacement: UnlockedKeyring?
        for _ in 0..<Self.keyDerivationAttempts {
            guard let directory = try existingDirectory(), let file = try open(keyring, in: directory) else {
                throw noSuchKeyring(keyring)
            }
            let path = try path(of: keyring)
            let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
            _ = try unlockedKeyring(keyring, header: header, headerBytes: file.headerBytes, path: path, password: current)
            let newKey = try replacement ?? newKeyring(password: PasswordInput(bytes: new, source: .caller))
            replacement = newKey
            let attempt = try withExclusiveLock(keyring, in: directory) { () throws -> LockedAttempt<Void> in
                guard let file = try open(keyring, in: directory) else { throw noSuchKeyring(keyring) }
                let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
                guard let held = heldKeyring(keyring, headerBytes: file.headerBytes) else { return .keyChanged }
                let table = try self.table(of: file, header: header, path: path, with: held, authenticating: true)
                try write(table, keyring: keyring, with: newKey, in: directory)
                // The old key opens the old file's copies (backups): no holder keeps it.
                if let holder = session.holder, let name = sessionName(headerBytes: file.headerBytes) {
                    _ = try? holder.release(named: name)
                }
                return .done(())
            }
            if case .done = attempt { return }
        }
        throw keyKeptChanging(keyring)
    }

    // MARK: Errors

    func alreadyExists(_ keyring: String) -> KeyringError {
        let path = (try? path(of: keyring)) ?? keyring
        return KeyringError(.alreadyExists, "the keyring '\(keyring)' already exists at \(path)")
    }

    func keyKeptChanging(_ keyring: String) -> KeyringError {
        let path = (try? path(of: keyring)) ?? keyring
        return KeyringError(
            .backendFailure,
            "the keyring '\(keyring)' (\(path)) got a new password or was re-created \(Self.keyDerivationAttempts) times "
                + "while this process was deriving its key; nothing was written. Try again")
    }

    func noSuchKeyring(_ keyring: String) -> KeyringError {
        let path = (try? path(of: keyring)) ?? keyring
        return KeyringError(.noSuchKeyring, "there is no keyring '\(keyring)' (no file \(path)); create it first")
    }

    func translate(_ error: SystemCallError, _ doing: String) -> KeyringError {
        if error.isSymbolicLink {
            return KeyringError(
                .permissionDenied,
                "\(error.path) is a symbolic link; keyring files must be regular files, refusing to follow it",
                underlying: error)
        }
        if error.isPermissionDenied {
            return KeyringError(.permissionDenied, "permission denied trying to \(doing) \(error.path)", underlying: error)
        }
        if error.isOutOfSpace {
            return KeyringError(
                .backendFailure, "no space left to \(doing) \(error.path); the keyring file was not changed", underlying: error)
        }
        return KeyringError(.backendFailure, "could not \(doing) \(error.path)", underlying: error)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
