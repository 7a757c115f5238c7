import Foundation
import Glibc

/// A fresh mode-0700 directory, removed when released. Every test makes its own, so tests
/// running in parallel share nothing. The one way the tests make temporary directories.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    /// A new directory named `swift-keyring-PREFIX.XXXXXX`, owned by this value.
    public init(prefix: String = "tests") throws {
        path = try Self.create(prefix: prefix)
    }

    /// The keyring directory inside: not created, so the backend creates it.
    public var keyrings: String { path + "/keyrings" }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Makes a new, empty mode-0700 directory, which the caller removes. Its path is short enough
    /// for a unix socket inside it (at most ~100 bytes) and has only the characters
    /// dbus-fixtures/start-bus accepts: `$TMPDIR` when it is such a path, else `/tmp`.
    public static func create(prefix: String) throws -> String {
        var base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        while base.count > 1, base.hasSuffix("/") { base.removeLast() }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/+-")
        if base.count > 60 || !base.hasPrefix("/") || !base.allSatisfy(allowed.contains) { base = "/tmp" }
        var template = Array("\(base)/swift-keyring-\(prefix).XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw TestSupportError("mkdtemp in \(base) failed: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }
}

/// File helpers for tests that damage keyring files on purpose.
public enum Files {
    public static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Replaces a file's contents in place, keeping its mode.
    public static func overwrite(_ path: String, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(bytes))
    }

    public static func mode(_ path: String) -> UInt32 {
        var status = stat()
        precondition(lstat(path, &status) == 0)
        return UInt32(status.st_mode) & 0o7777
    }

    public static func chmod(_ path: String, _ mode: UInt32) {
        precondition(Glibc.chmod(path, mode_t(mode)) == 0)
    }
}
