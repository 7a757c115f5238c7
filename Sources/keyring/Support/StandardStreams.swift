internal import Glibc
internal import KeyringKit

/// Standard input, output and error as raw bytes, through `read(2)` and `write(2)`: secrets
/// pass through unchanged (binary, invalid UTF-8), and nothing is buffered past the process.
enum StandardStreams {
    /// Writes all of `bytes` to standard output.
    /// - Throws: ``CommandExit`` when the write fails (a closed pipe, a full disk).
    static func writeOut(_ bytes: UnsafeRawBufferPointer) throws(CommandExit) {
        guard write(STDOUT_FILENO, bytes) else {
            throw CommandExit(.failure, "cannot write to standard output: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes text to standard output.
    static func writeOut(_ text: String) throws(CommandExit) {
        var text = text
        var failure: CommandExit?
        text.withUTF8 { buffer in
            do throws(CommandExit) { try writeOut(UnsafeRawBufferPointer(buffer)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes text to standard error, and a newline unless it ends in one or `newline` is
    /// false; failures are ignored (there is nowhere left to report them).
    static func writeError(_ line: String, newline: Bool = true) {
        var text = !newline || line.hasSuffix("\n") ? line : line + "\n"
        text.withUTF8 { _ = write(STDERR_FILENO, UnsafeRawBufferPointer($0)) }
    }

    /// Whether a descriptor is a terminal.
    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// Reads standard input to its end, with no size limit. The caller wipes the array.
    /// - Throws: ``CommandExit`` when reading fails.
    static func readAllInput() throws(CommandExit) -> [UInt8] {
        do {
            return try DescriptorReading.read(STDIN_FILENO)
        } catch {
            throw CommandExit(.failure, "cannot read standard input: \(String(cString: strerror(error.errno)))")
        }
    }

    /// `write(2)` in a loop; false on error.
    private static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }
}
