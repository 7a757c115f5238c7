internal import Glibc

/// The process environment, read from `environ` without Foundation: the one way every layer
/// reads it.
package enum ProcessEnvironment {
    /// Every `NAME=VALUE` pair that is valid UTF-8; the first wins when a name repeats.
    /// Variables that are not UTF-8 are left out rather than decoded lossily (two different
    /// names must never become one).
    package static func current() -> [String: String] {
        var result: [String: String] = [:]
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

    /// One variable, or `nil` when it is not set or not UTF-8.
    package static func value(of name: String) -> String? {
        getenv(name).flatMap { String(validatingCString: $0) }
    }

    /// One variable's raw bytes, or `nil` when it is not set. Secrets read this way are never
    /// decoded or copied into a `String`; the caller wipes the array.
    package static func rawValue(of name: String) -> [UInt8]? {
        guard let value = getenv(name) else { return nil }
        return Array(
            UnsafeBufferPointer(start: UnsafeRawPointer(value).assumingMemoryBound(to: UInt8.self), count: strlen(value)))
    }

    /// Overwrites a variable's value where it lies (the memory `/proc/PID/environ` shows) and
    /// removes it from the environment (`unsetenv`), every occurrence.
    package static func remove(_ name: String) {
        while let value = getenv(name) {
            explicit_bzero(value, strlen(value))
            unsetenv(name)
        }
    }
}
