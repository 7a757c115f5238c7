// FileKeyringStore: the flock on NAME.keyring.lock, held only to read, change, write and fsync.

internal import KeyringSystem

extension FileKeyringStore {
    /// Holds `flock(LOCK_EX)` on `NAME.keyring.lock` while `body` runs; waits at most the
    /// lock timeout for another process to release it.
    func withExclusiveLock<T>(_ keyring: String, in directory: String, _ body: () throws -> T) throws -> T {
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
}
