import Foundation
import Glibc

/// A fresh mode-0700 directory under the system temporary directory, removed when released.
/// Every test makes its own, so tests running in parallel share nothing.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init() throws {
        var template = Array((NSTemporaryDirectory() + "/swift-keyring-tests.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    /// The keyring directory inside: not created, so the backend creates it.
    public var keyrings: String { path + "/keyrings" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
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
