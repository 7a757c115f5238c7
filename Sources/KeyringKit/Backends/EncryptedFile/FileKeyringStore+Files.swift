// FileKeyringStore: reading and writing keyring files (the table cache, atomic replacement), the permission checks, the keyring directory.

internal import KeyringSystem

extension FileKeyringStore {
    /// The table of an opened file whose key is `state`, decrypted and parsed, or the cached one
    /// when the header and size are those last read or written (every write draws a fresh random
    /// body nonce, so another writer's file never matches). Reads then trust the cache; a write
    /// (`authenticating`) still checks the body's tag, so that it never writes over a body damaged
    /// in place, but does not parse it again.
    func table(
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
    func write(_ table: EntryTable, keyring: String, with state: UnlockedKeyring, in directory: String) throws {
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
    func removeStaleTemporaries(_ keyring: String, in directory: String) {
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

    func syncDirectory(_ directory: String) throws(KeyringError) {
        do { try FileSystem.openDirectory(directory).sync() } catch { throw translate(error, "sync") }
    }

    /// Opens a keyring file, refusing symlinks, non-regular files, other owners and group or
    /// world access, and reads its header. `nil` when it does not exist.
    func open(_ keyring: String, in directory: String) throws(KeyringError) -> OpenedFile? {
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
    struct Protection {
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

    func check(_ status: FileStatus, path: String, _ protection: Protection) throws(KeyringError) {
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
    func existingDirectory() throws(KeyringError) -> String? {
        let directory = try directory.get()
        let status: FileStatus?
        do { status = try FileSystem.status(directory) } catch { throw translate(error, "inspect") }
        guard let status else { return nil }
        try check(status, path: directory, .directory)
        return directory
    }

    /// The keyring directory, created (mode 0700, parents too) when missing.
    func writableDirectory() throws(KeyringError) -> String {
        if let directory = try existingDirectory() { return directory }
        let directory = try directory.get()
        do { try FileSystem.makeDirectories(directory, mode: 0o700) } catch { throw translate(error, "create") }
        guard let created = try existingDirectory() else {
            throw KeyringError(.noStorageAccess, "could not create the keyring directory \(directory)")
        }
        // Make the new directory's own entry durable too, so a crash cannot lose the whole folder.
        let parent = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)])
        try syncDirectory(parent.isEmpty ? (directory.hasPrefix("/") ? "/" : ".") : parent)
        return created
    }
}
