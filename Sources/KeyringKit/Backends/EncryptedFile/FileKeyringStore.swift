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
    private final class UnlockedKeyring {
        let keyBlock: ArraySlice<UInt8>
        let dataKey: SecureBytes
        var header: KeyringFileHeader
        var cachedHeaderBytes: [UInt8]?
        var cachedFileSize = -1
        var cachedTable: EntryTable?

        init(header: KeyringFileHeader, headerBytes: [UInt8], dataKey: SecureBytes) {
            self.header = header
            self.keyBlock = headerBytes[KeyringFileHeader.keyBlockRange]
            self.dataKey = dataKey
        }
    }

    /// A keyring file opened for reading: its header is read, its body not yet.
    private struct OpenedFile {
        let descriptor: FileDescriptor
        let size: Int
        let headerBytes: [UInt8]
    }

    /// What one attempt at an operation under the lock came to.
    private enum LockedAttempt<T> {
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

    /// Where the store's operations run (see the type's summary).
    private let executor = QueueExecutor(label: "swift-keyring.encrypted-file")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private var unlocked: [String: UnlockedKeyring] = [:]
    /// Whether this store holds a keyring's `flock` now; Argon2id must not run while it does.
    private var holdsLock = false

    init(
        directory: Result<String, KeyringError>, configuredPassword: SecureBytes?, environmentPassword: SecureBytes?,
        kdf: KDFParameters, lockTimeoutMilliseconds: Int
    ) {
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
            KeyringInfo(name: name, isLocked: unlocked[name] == nil, isDefault: name == Self.defaultKeyring)
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

    /// Forgets the keyring's data key.
    func lock(_ keyring: String) throws {
        unlocked[keyring] = nil
        if keyring != Self.defaultKeyring, try existingDirectory().flatMap({ try open(keyring, in: $0) }) == nil {
            throw noSuchKeyring(keyring)
        }
    }

    /// Unwraps and keeps the keyring's data key. A given password is always checked.
    func unlock(_ keyring: String, password: PasswordInput?) throws {
        guard let directory = try existingDirectory(), let file = try open(keyring, in: directory) else {
            if keyring == Self.defaultKeyring { return }
            throw noSuchKeyring(keyring)
        }
        let path = try path(of: keyring)
        let header = try KeyringFileHeader.parse(file.headerBytes, path: path, fileSize: file.size)
        if password == nil, heldKeyring(keyring, headerBytes: file.headerBytes) != nil { return }
        let input = try choosePassword(password, keyring: keyring, purpose: .unlock)
        let dataKey = try unwrapDataKey(header, password: input, keyring: keyring, path: path)
        unlocked[keyring] = UnlockedKeyring(header: header, headerBytes: file.headerBytes, dataKey: dataKey)
    }

    /// Whether the keyring's data key is not held (or no longer matches the file).
    func isLocked(_ keyring: String) throws -> Bool {
        guard let directory = try existingDirectory(), let file = try open(keyring, in: directory) else {
            if keyring == Self.defaultKeyring { return false }
            throw noSuchKeyring(keyring)
        }
        return heldKeyring(keyring, headerBytes: file.headerBytes) == nil
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
                return .done(())
            }
            if case .done = attempt { return }
        }
        throw keyKeptChanging(keyring)
    }

    // MARK: Passwords and keys

    private func choosePassword(
        _ given: PasswordInput?, keyring: String, purpose: PasswordRequest.Purpose
    ) throws -> PasswordInput {
        if let given { return given }
        if let configuredPassword { return PasswordInput(bytes: configuredPassword, source: .configured) }
        if let environmentPassword { return PasswordInput(bytes: environmentPassword, source: .environment) }
        throw PasswordNeeded(keyring: keyring, purpose: purpose)
    }

    private func deriveKey(_ password: PasswordInput, header: KeyringFileHeader) throws(KeyringError) -> SecureBytes {
        assert(!holdsLock, "Argon2id must run before the file lock is taken, not under it")
        let key = password.bytes.withUnsafeBytes { raw in
            Sodium.argon2id(
                password: raw, salt: header.salt, opsLimit: UInt64(header.kdf.operations),
                memLimit: header.kdf.memoryBytes, outputLength: Sodium.aeadKeyBytes)
        }
        guard let key else {
            throw KeyringError(.backendFailure, "Argon2id could not run with \(header.kdf): not enough memory?")
        }
        return key
    }

    private func unwrapDataKey(
        _ header: KeyringFileHeader, password: PasswordInput, keyring: String, path: String
    ) throws(KeyringError) -> SecureBytes {
        let passwordKey = try deriveKey(password, header: header)
        let dataKey = header.wrappedKey.withUnsafeBytes { wrapped in
            Sodium.open(wrapped, associatedData: header.keyWrapAssociatedData, nonce: header.keyNonce, key: passwordKey)
        }
        guard let dataKey, dataKey.count == KeyringFileHeader.dataKeySize else {
            let what: String
            switch password.source {
            case .caller, .provider: what = "the password"
            case .configured: what = "the password the program was configured with"
            case .environment: what = "the password in KEYRING_FILE_PASSWORD"
            }
            throw KeyringError(.wrongPassword, "\(what) does not open the keyring '\(keyring)' (\(path)); check it and try again")
        }
        return dataKey
    }

    /// Makes a fresh data key wrapped under `password` (Argon2id), for a keyring to be created or
    /// re-keyed; it becomes the keyring's key when it is first written.
    private func newKeyring(password: PasswordInput) throws(KeyringError) -> UnlockedKeyring {
        let dataKey = SecureBytes(count: KeyringFileHeader.dataKeySize)
        dataKey.withUnsafeMutableBytes { Sodium.fillRandom($0) }
        var header = KeyringFileHeader(
            kdf: kdf, salt: Sodium.randomBytes(Sodium.pwhashSaltBytes), keyNonce: Sodium.randomBytes(Sodium.aeadNonceBytes),
            wrappedKey: [], bodyNonce: [UInt8](repeating: 0, count: Sodium.aeadNonceBytes))
        let passwordKey = try deriveKey(password, header: header)
        header.wrappedKey = dataKey.withUnsafeBytes { raw in
            Sodium.seal(raw, associatedData: header.keyWrapAssociatedData, nonce: header.keyNonce, key: passwordKey)
        }
        return UnlockedKeyring(header: header, headerBytes: header.encoded(), dataKey: dataKey)
    }

    /// The held key of the keyring whose parsed header is `header`, unwrapped (Argon2id) and
    /// remembered when the held one is for another key block or none is held. Never called
    /// under the lock.
    private func unlockedKeyring(
        _ keyring: String, header: KeyringFileHeader, headerBytes: [UInt8], path: String, password: PasswordInput?
    ) throws -> UnlockedKeyring {
        if let held = heldKeyring(keyring, headerBytes: headerBytes) { return held }
        let input = try choosePassword(password, keyring: keyring, purpose: .unlock)
        let dataKey = try unwrapDataKey(header, password: input, keyring: keyring, path: path)
        let state = UnlockedKeyring(header: header, headerBytes: headerBytes, dataKey: dataKey)
        unlocked[keyring] = state
        return state
    }

    /// The held key of the keyring if it is the key of this header's key block (a file too short
    /// to have one has no key).
    private func heldKeyring(_ keyring: String, headerBytes: [UInt8]) -> UnlockedKeyring? {
        guard let held = unlocked[keyring], headerBytes.count >= KeyringFileHeader.keyBlockRange.upperBound,
            held.keyBlock.elementsEqual(headerBytes[KeyringFileHeader.keyBlockRange])
        else { return nil }
        return held
    }

    // MARK: Files

    /// The table of an opened file whose key is `state`, decrypted and parsed, or the cached one
    /// when the header and size are those last read or written (every write draws a fresh random
    /// body nonce, so another writer's file never matches). Reads then trust the cache; a write
    /// (`authenticating`) still checks the body's tag, so that it never writes over a body damaged
    /// in place, but does not parse it again.
    private func table(
        of file: OpenedFile, header: KeyringFileHeader, path: String, with state: UnlockedKeyring, authenticating: Bool
    ) throws -> EntryTable {
        let cached = state.cachedFileSize == file.size && state.cachedHeaderBytes == file.headerBytes ? state.cachedTable : nil
        if let cached, !authenticating { return cached }
        let body: [UInt8]
        do { body = try file.descriptor.readAll(sizeHint: file.size - KeyringFileHeader.size, limit: Self.maximumFileSize) } catch
        {
            throw translate(error, "read")
        }
        let plaintext = body.withUnsafeBytes { raw in
            Sodium.open(raw, associatedData: file.headerBytes, nonce: header.bodyNonce, key: state.dataKey)
        }
        guard let plaintext else {
            throw KeyringFileHeader.corrupt(path, "its entries fail authentication (the file was truncated or modified)")
        }
        if let cached { return cached }
        let table = try EntryTable.parse(plaintext, path: path)
        state.header = header
        state.cachedHeaderBytes = file.headerBytes
        state.cachedFileSize = file.size
        state.cachedTable = table
        return table
    }

    /// Seals `table` under the data key of `state` with a fresh nonce and atomically replaces
    /// the file: temp file (O_EXCL|O_NOFOLLOW, 0600), write, fsync, rename, fsync directory.
    /// Once the file is replaced, `state` is the keyring's held key.
    private func write(_ table: EntryTable, keyring: String, with state: UnlockedKeyring, in directory: String) throws {
        precondition(holdsLock, "writing a keyring file without its lock")
        var header = state.header
        header.bodyNonce = Sodium.randomBytes(Sodium.aeadNonceBytes)
        let headerBytes = header.encoded()
        let plaintext = table.serialized()
        let sealed = plaintext.withUnsafeBytes { raw in
            Sodium.seal(raw, associatedData: headerBytes, nonce: header.bodyNonce, key: state.dataKey)
        }
        guard headerBytes.count + sealed.count <= Self.maximumFileSize else {
            throw KeyringError(
                .invalidArgument,
                "keyring '\(keyring)' would grow past the 1 GiB a keyring file may hold; nothing was written")
        }
        let path = try path(of: keyring)
        removeStaleTemporaries(keyring, in: directory)
        let suffix = Sodium.randomBytes(8).map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined()
        let temporary = directory + "/." + keyring + Self.temporaryMarker + suffix
        do {
            let file = try FileSystem.createExclusive(temporary, mode: 0o600)
            try file.setPermissions(0o600)
            try headerBytes.withUnsafeBytes { try file.writeAll($0) }
            try sealed.withUnsafeBytes { try file.writeAll($0) }
            try file.sync()
        } catch {
            _ = try? FileSystem.remove(temporary)
            throw (error as? SystemCallError).map { translate($0, "write") } ?? error
        }
        do { try FileSystem.rename(temporary, to: path) } catch {
            _ = try? FileSystem.remove(temporary)
            throw translate(error, "replace")
        }
        state.header = header
        state.cachedHeaderBytes = headerBytes
        state.cachedFileSize = headerBytes.count + sealed.count
        state.cachedTable = table
        unlocked[keyring] = state
        try syncDirectory(directory)
    }

    /// Temp files left by a writer that died; only called under the exclusive lock, when no
    /// other writer of this keyring can be mid-write.
    private func removeStaleTemporaries(_ keyring: String, in directory: String) {
        // Exactly this keyring's names (prefix and 16 hex digits): keyring `a` must not take the
        // temp files of a keyring named `a.keyring.tmp-b`, whose writer holds another lock.
        let prefix = "." + keyring + Self.temporaryMarker
        let isHex = { (c: Character) in c.isHexDigit && c.isASCII }
        for name in (try? FileSystem.directoryEntries(directory)) ?? [] where name.hasPrefix(prefix) {
            let suffix = name.dropFirst(prefix.count)
            guard suffix.count == 16, suffix.allSatisfy(isHex) else { continue }
            _ = try? FileSystem.remove(directory + "/" + name)
        }
    }

    private func syncDirectory(_ directory: String) throws(KeyringError) {
        do { try FileSystem.openDirectory(directory).sync() } catch { throw translate(error, "sync") }
    }

    /// Opens a keyring file, refusing symlinks, non-regular files, other owners and group or
    /// world access, and reads its header. `nil` when it does not exist.
    private func open(_ keyring: String, in directory: String) throws(KeyringError) -> OpenedFile? {
        let path = directory + "/" + keyring + Self.fileExtension
        let descriptor: FileDescriptor
        do {
            guard let opened = try FileSystem.openForReading(path) else { return nil }
            descriptor = opened
        } catch {
            throw translate(error, "open")
        }
        let status: FileStatus
        do { status = try descriptor.status() } catch { throw translate(error, "open") }
        try check(status, path: path, .file("keyring file"))
        if status.size > Self.maximumFileSize {
            throw KeyringFileHeader.corrupt(path, "it is \(status.size) bytes, larger than any keyring file this library writes")
        }
        let headerBytes: [UInt8]
        do { headerBytes = try descriptor.read(upTo: KeyringFileHeader.size) } catch { throw translate(error, "read") }
        return OpenedFile(descriptor: descriptor, size: status.size, headerBytes: headerBytes)
    }

    /// What must hold for a path this store uses: its type, our ownership, and no access that
    /// would let someone else read the secrets (files) or replace them (the directory).
    private struct Protection {
        let kind: String
        let typeName: String
        let hasExpectedType: @Sendable (FileStatus) -> Bool
        let forbiddenBits: UInt32
        let exposure: String
        let advice: @Sendable (_ path: String) -> String

        static func file(_ kind: String) -> Protection {
            Protection(
                kind: kind, typeName: "a regular file", hasExpectedType: { $0.isRegularFile }, forbiddenBits: 0o077,
                exposure: "accessible by group or others", advice: { "Run `chmod 600 \($0)` and consider changing its secrets" })
        }

        static let directory = Protection(
            kind: "keyring directory", typeName: "a directory", hasExpectedType: { $0.isDirectory }, forbiddenBits: 0o022,
            exposure: "writable by group or others, so its files could be replaced", advice: { "Run `chmod 700 \($0)`" })
    }

    private func check(_ status: FileStatus, path: String, _ protection: Protection) throws(KeyringError) {
        guard protection.hasExpectedType(status) else {
            throw KeyringError(.permissionDenied, "the \(protection.kind) \(path) is not \(protection.typeName); move it away")
        }
        guard status.owner == FileSystem.effectiveUserID else {
            throw KeyringError(
                .permissionDenied,
                "the \(protection.kind) \(path) belongs to user \(status.owner), not to you; refusing to use it")
        }
        guard status.permissions & protection.forbiddenBits == 0 else {
            throw KeyringError(
                .permissionDenied,
                "the \(protection.kind) \(path) is \(protection.exposure) (mode \(String(status.permissions, radix: 8))); "
                    + "refusing to use it. " + protection.advice(path))
        }
    }

    // MARK: Directory

    /// The keyring directory if it exists and is safe; `nil` when it does not exist yet.
    private func existingDirectory() throws(KeyringError) -> String? {
        let directory = try directory.get()
        let status: FileStatus?
        do { status = try FileSystem.status(directory) } catch { throw translate(error, "inspect") }
        guard let status else { return nil }
        try check(status, path: directory, .directory)
        return directory
    }

    /// The keyring directory, created (mode 0700, parents too) when missing.
    private func writableDirectory() throws(KeyringError) -> String {
        if let directory = try existingDirectory() { return directory }
        let directory = try directory.get()
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            do { try FileSystem.makeDirectory(path, mode: 0o700) } catch { throw translate(error, "create") }
        }
        guard let created = try existingDirectory() else {
            throw KeyringError(.noStorageAccess, "could not create the keyring directory \(directory)")
        }
        // Make the new directory's own entry durable too, so a crash cannot lose the whole folder.
        let parent = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])
        try syncDirectory(parent.isEmpty ? (directory.hasPrefix("/") ? "/" : ".") : parent)
        return created
    }

    // MARK: Locking

    /// Holds `flock(LOCK_EX)` on `NAME.keyring.lock` while `body` runs; waits at most the
    /// lock timeout for another process to release it.
    private func withExclusiveLock<T>(_ keyring: String, in directory: String, _ body: () throws -> T) throws -> T {
        let path = directory + "/" + keyring + Self.lockExtension
        let lockFile: FileDescriptor
        do {
            lockFile = try FileSystem.openLockFile(path, mode: 0o600)
            try check(try lockFile.status(), path: path, .file("lock file"))
        } catch let error as SystemCallError {
            throw translate(error, "open the lock file")
        }
        let deadline = FileSystem.monotonicMilliseconds + lockTimeoutMilliseconds
        var pause = 1
        while true {
            let acquired: Bool
            do { acquired = try lockFile.tryLock(exclusive: true) } catch { throw translate(error, "lock") }
            if acquired { break }
            if FileSystem.monotonicMilliseconds >= deadline {
                throw KeyringError(
                    .timedOut,
                    "another process has held the lock \(path) for over \(lockTimeoutMilliseconds) ms; "
                        + "wait for it to finish, or end it if it hangs")
            }
            FileSystem.sleep(milliseconds: pause)
            pause = min(pause * 2, 20)
        }
        holdsLock = true
        defer { holdsLock = false }
        return try withExtendedLifetime(lockFile) { try body() }  // closing the descriptor releases the lock
    }

    // MARK: Errors

    private func alreadyExists(_ keyring: String) -> KeyringError {
        let path = (try? path(of: keyring)) ?? keyring
        return KeyringError(.alreadyExists, "the keyring '\(keyring)' already exists at \(path)")
    }

    private func keyKeptChanging(_ keyring: String) -> KeyringError {
        let path = (try? path(of: keyring)) ?? keyring
        return KeyringError(
            .backendFailure,
            "the keyring '\(keyring)' (\(path)) got a new password or was re-created \(Self.keyDerivationAttempts) times "
                + "while this process was deriving its key; nothing was written. Try again")
    }

    private func noSuchKeyring(_ keyring: String) -> KeyringError {
        let path = (try? path(of: keyring)) ?? keyring
        return KeyringError(.noSuchKeyring, "there is no keyring '\(keyring)' (no file \(path)); create it first")
    }

    private func translate(_ error: SystemCallError, _ doing: String) -> KeyringError {
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
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// A serial executor over a dispatch queue: an actor whose work blocks (file I/O, `flock`,
/// Argon2id) runs on the queue's thread from libdispatch's own pool, not on Swift's cooperative
/// pool, and the queue's threads come and go with the work.
final class QueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
