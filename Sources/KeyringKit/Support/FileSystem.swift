internal import KeyringSystem
// The one file in KeyringKit that makes file-system system calls (open, flock, fsync, rename,
// lstat, ...). Everything above works with Swift types and `SystemCallError`.

import Glibc

/// A failed system call: which call, on which path, and `errno`.
struct SystemCallError: Error, Sendable, CustomStringConvertible {
    let call: String
    let path: String
    let errno: Int32

    /// `ELOOP`: `O_NOFOLLOW` met a symbolic link.
    var isSymbolicLink: Bool { errno == ELOOP }
    /// `EACCES` or `EPERM`.
    var isPermissionDenied: Bool { errno == EACCES || errno == EPERM }
    /// `EEXIST`.
    var isAlreadyExisting: Bool { errno == EEXIST }
    /// `ENOSPC` or `EDQUOT`.
    var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT }

    var description: String {
        "\(call)(\(path)): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// What `stat`/`lstat`/`fstat` report that the file backend checks.
struct FileStatus: Sendable {
    let mode: UInt32
    let owner: UInt32
    let size: Int
    /// Device and inode: which file this is, whatever its name.
    let identity: [UInt64]

    var permissions: UInt32 { mode & 0o7777 }
    var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
    var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }

    init(_ raw: stat) {
        mode = UInt32(raw.st_mode)
        owner = UInt32(raw.st_uid)
        size = Int(raw.st_size)
        identity = [UInt64(raw.st_dev), UInt64(raw.st_ino)]
    }

    /// A socket.
    var isSocket: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFSOCK) }
}

/// An open file descriptor with exactly one owner, closed when released. Closing a lock file
/// releases its `flock`.
final class FileDescriptor {
    let raw: Int32
    let path: String

    fileprivate init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    deinit { _ = Glibc.close(raw) }

    /// `fstat(2)`.
    func status() throws(SystemCallError) -> FileStatus {
        var raw = stat()
        guard fstat(self.raw, &raw) == 0 else { throw SystemCallError(call: "fstat", path: path, errno: Glibc.errno) }
        return FileStatus(raw)
    }

    /// Reads to end of file, failing with `EFBIG` past `limit` bytes (``DescriptorReading``).
    func readAll(sizeHint: Int, limit: Int) throws(SystemCallError) -> [UInt8] {
        do {
            return try DescriptorReading.read(raw, sizeHint: sizeHint, limit: limit)
        } catch {
            throw SystemCallError(call: "read", path: path, errno: error.errno)
        }
    }

    /// Reads up to `count` bytes, fewer only at end of file (``DescriptorReading``).
    func read(upTo count: Int) throws(SystemCallError) -> [UInt8] {
        do {
            return try DescriptorReading.read(raw, count: count, sizeHint: count)
        } catch {
            throw SystemCallError(call: "read", path: path, errno: error.errno)
        }
    }

    /// Writes every byte (`write(2)` in a loop).
    func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
        var written = 0
        while written < bytes.count {
            let count = Glibc.write(raw, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 {
                if Glibc.errno == EINTR { continue }
                throw SystemCallError(call: "write", path: path, errno: Glibc.errno)
            }
            written += count
        }
    }

    /// `fsync(2)`.
    func sync() throws(SystemCallError) {
        while fsync(raw) != 0 {
            if Glibc.errno == EINTR { continue }
            throw SystemCallError(call: "fsync", path: path, errno: Glibc.errno)
        }
    }

    /// `fchmod(2)`.
    func setPermissions(_ mode: UInt32) throws(SystemCallError) {
        guard fchmod(raw, mode_t(mode)) == 0 else { throw SystemCallError(call: "fchmod", path: path, errno: Glibc.errno) }
    }

    /// `flock(2)` without blocking. Returns `false` when another descriptor holds a conflicting lock.
    func tryLock(exclusive: Bool) throws(SystemCallError) -> Bool {
        while true {
            if flock(raw, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 { return true }
            let error = Glibc.errno
            if error == EINTR { continue }
            if error == EWOULDBLOCK { return false }
            throw SystemCallError(call: "flock", path: path, errno: error)
        }
    }
}

/// Checked wrappers over the path-based system calls the file backend uses.
enum FileSystem {
    /// `geteuid(2)`.
    static var effectiveUserID: UInt32 { UInt32(geteuid()) }

    /// The home directory from the password database (`getpwuid(3)`), for when `HOME` is unset.
    static var passwordDatabaseHome: String? {
        guard let entry = getpwuid(geteuid()), let dir = entry.pointee.pw_dir else { return nil }
        return String(cString: dir)
    }

    /// `stat(2)`, following links; `nil` when the path does not exist.
    static func status(_ path: String) throws(SystemCallError) -> FileStatus? {
        var raw = stat()
        if stat(path, &raw) == 0 { return FileStatus(raw) }
        if Glibc.errno == ENOENT || Glibc.errno == ENOTDIR { return nil }
        throw SystemCallError(call: "stat", path: path, errno: Glibc.errno)
    }

    /// `lstat(2)`: the path itself, never what a symbolic link points to; `nil` when it does not exist.
    static func linkStatus(_ path: String) throws(SystemCallError) -> FileStatus? {
        var raw = stat()
        if lstat(path, &raw) == 0 { return FileStatus(raw) }
        if Glibc.errno == ENOENT || Glibc.errno == ENOTDIR { return nil }
        throw SystemCallError(call: "lstat", path: path, errno: Glibc.errno)
    }

    /// Opens an existing file for reading without following a final symlink
    /// (`open(O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC)`); `nil` when it does not exist.
    /// `O_NONBLOCK` so that a FIFO put in the keyring's place cannot block the open forever
    /// (the caller then refuses anything that is not a regular file); it changes nothing for one.
    static func openForReading(_ path: String) throws(SystemCallError) -> FileDescriptor? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        if fd >= 0 { return FileDescriptor(raw: fd, path: path) }
        if Glibc.errno == ENOENT { return nil }
        throw SystemCallError(call: "open", path: path, errno: Glibc.errno)
    }

    /// The whole of a small file a person edits (a configuration file), following symbolic
    /// links as editors and dotfile managers expect; `nil` when it does not exist. Only regular
    /// files are read, at most `limit` bytes.
    static func readSmallFile(_ path: String, limit: Int) throws(SystemCallError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if Glibc.errno == ENOENT || Glibc.errno == ENOTDIR { return nil }
            throw SystemCallError(call: "open", path: path, errno: Glibc.errno)
        }
        let file = FileDescriptor(raw: fd, path: path)
        guard try file.status().isRegularFile else { throw SystemCallError(call: "open", path: path, errno: EINVAL) }
        return try file.readAll(sizeHint: 4096, limit: limit)
    }

    /// Creates a new file that must not exist yet (`open(O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode)`).
    static func createExclusive(_ path: String, mode: UInt32) throws(SystemCallError) -> FileDescriptor {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw SystemCallError(call: "open", path: path, errno: Glibc.errno) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Opens or creates a lock file (`open(O_RDWR|O_CREAT|O_NOFOLLOW|O_CLOEXEC, mode)`).
    static func openLockFile(_ path: String, mode: UInt32) throws(SystemCallError) -> FileDescriptor {
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw SystemCallError(call: "open", path: path, errno: Glibc.errno) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Opens a directory so it can be `fsync`ed (`open(O_RDONLY|O_DIRECTORY|O_CLOEXEC)`).
    static func openDirectory(_ path: String) throws(SystemCallError) -> FileDescriptor {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(call: "open", path: path, errno: Glibc.errno) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// `mkdir(2)`; an existing directory is not an error.
    static func makeDirectory(_ path: String, mode: UInt32) throws(SystemCallError) {
        if mkdir(path, mode_t(mode)) == 0 || Glibc.errno == EEXIST { return }
        throw SystemCallError(call: "mkdir", path: path, errno: Glibc.errno)
    }

    /// ``makeDirectory(_:mode:)`` for `path` and each missing parent (`mkdir -p`).
    static func makeDirectories(_ path: String, mode: UInt32) throws(SystemCallError) {
        var made = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            made += "/" + component
            try makeDirectory(made, mode: mode)
        }
    }

    /// `rename(2)`: atomically replaces `destination`.
    static func rename(_ source: String, to destination: String) throws(SystemCallError) {
        guard Glibc.rename(source, destination) == 0 else {
            throw SystemCallError(call: "rename", path: destination, errno: Glibc.errno)
        }
    }

    /// `unlink(2)`; returns `false` when there was nothing to remove.
    @discardableResult
    static func remove(_ path: String) throws(SystemCallError) -> Bool {
        if unlink(path) == 0 { return true }
        if Glibc.errno == ENOENT { return false }
        throw SystemCallError(call: "unlink", path: path, errno: Glibc.errno)
    }

    /// Names in a directory, without `.` and `..` (`opendir(3)`/`readdir(3)`).
    static func directoryEntries(_ path: String) throws(SystemCallError) -> [String] {
        guard let dir = opendir(path) else {
            if Glibc.errno == ENOENT { return [] }
            throw SystemCallError(call: "opendir", path: path, errno: Glibc.errno)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Sleeps the calling (non-cooperative) thread (`nanosleep(2)`).
    static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && Glibc.errno == EINTR { request = remaining }
    }

    /// A monotonic clock in milliseconds (`clock_gettime(CLOCK_MONOTONIC)`).
    static var monotonicMilliseconds: Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
