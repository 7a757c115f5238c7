internal import Glibc

/// What `/proc` says about another process: its command name, executable and arguments. Read
/// with plain system calls; every read is bounded and a process that is gone, or that we may
/// not look at, gives `nil`.
package struct ProcessDescription: Sendable, Hashable {
    /// The process ID.
    package let pid: Int32
    /// `/proc/PID/comm`: the kernel's name for it, at most 15 bytes (`gnome-keyring-d`).
    package let commandName: String?
    /// `/proc/PID/exe`: the executable's path, when we may read the link.
    package let executable: String?
    /// `/proc/PID/cmdline`: its arguments (at most 64 KiB of them), argv[0] first.
    package let arguments: [String]

    /// Reads what `/proc` has about `pid`.
    package init(pid: Int32) {
        self.pid = pid
        commandName = Self.read("/proc/\(pid)/comm", limit: 256).flatMap {
            String(validating: $0, as: UTF8.self)?.trimmedWhitespace
        }
        executable = Self.readLink("/proc/\(pid)/exe")
        arguments = (Self.read("/proc/\(pid)/cmdline", limit: 64 * 1024) ?? [])
            .split(separator: 0, omittingEmptySubsequences: false).dropLast()
            .compactMap { String(validating: $0, as: UTF8.self) }
    }

    private static func read(_ path: String, limit: Int) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return try? DescriptorReading.read(descriptor, count: limit, sizeHint: min(limit, 4096))
    }

    private static func readLink(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { raw in
            raw.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.count) { readlink(path, $0, raw.count - 1) }
        }
        guard count > 0 else { return nil }
        return String(validating: buffer[..<count], as: UTF8.self)
    }
}
