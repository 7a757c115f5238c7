internal import Glibc
internal import KeyringKit
import Synchronization

/// The process environment as a dictionary, read from `environ` without Foundation.
///
/// The variables that hold secrets of this program's own (``isSecretSetting(_:)``:
/// `KEYRING_FILE_PASSWORD`, the env backend's `KEYRING_SECRET_*`) are taken out of the real
/// environment at start-up (``removeSecretSettings()``): their bytes are overwritten where the
/// kernel shows them (`/proc/PID/environ`), they are not handed to `run`'s command, and
/// ``current()`` still gives them to the backends from a private copy.
enum ProcessEnvironment {
    /// The secret settings removed from `environ`, for ``current()``.
    private static let removed = Mutex<[String: String]>([:])

    /// Whether a variable is a setting of this program that holds a secret.
    static func isSecretSetting(_ name: some StringProtocol) -> Bool {
        name == EncryptedFileBackend.passwordVariable || name.hasPrefix(EnvironmentBackend.variablePrefix)
    }

    /// Every `NAME=VALUE` pair that is valid UTF-8, plus the removed secret settings; the first
    /// wins when a name repeats. Variables that are not UTF-8 are left out rather than decoded
    /// lossily (two different names must never become one).
    static func current() -> [String: String] {
        var result: [String: String] = removed.withLock { $0 }
        var entry = environ
        while let pointer = entry.pointee {
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")),
                let name = String(validating: bytes[..<equals], as: UTF8.self), result[name] == nil,
                let value = String(validating: bytes[(equals + 1)...], as: UTF8.self)
            {
                result[name] = value
            }
            entry += 1
        }
        return result
    }

    /// Takes the secret settings out of the environment (see the type's summary). Called once,
    /// first thing, before any other thread runs.
    static func removeSecretSettings() {
        var names: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")),
                let name = String(validating: bytes[..<equals], as: UTF8.self), isSecretSetting(name)
            {
                names.append(name)
            }
            entry += 1
        }
        for name in names {
            guard let value = rawValue(of: name) else { continue }
            if let text = String(validating: value, as: UTF8.self) {
                removed.withLock { if $0[name] == nil { $0[name] = text } }
            }
            remove(name)
        }
    }

    /// Overwrites a variable's value where it lies (the memory `/proc/PID/environ` shows) and
    /// removes it from the environment (`unsetenv`), every occurrence.
    static func remove(_ name: String) {
        while let value = getenv(name) {
            explicit_bzero(value, strlen(value))
            unsetenv(name)
        }
    }

    /// One variable, or `nil` when it is not set.
    static func value(of name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// One variable's raw bytes, or `nil` when it is not set. Secrets read this way are never
    /// decoded or copied into a `String`.
    static func rawValue(of name: String) -> [UInt8]? {
        guard let value = getenv(name) else { return nil }
        return Array(
            UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), count: strlen(value)))
    }
}
