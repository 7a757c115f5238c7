internal import Glibc

/// Reads a line from the controlling terminal (`/dev/tty`) with echo turned off, as `getpass`
/// does. The prompt goes to standard error when that is a terminal, else to `/dev/tty` itself
/// (uv captures keyring's stderr; the person at the terminal must still see the question).
/// Echo comes back on when the line is read, and on SIGINT, SIGTERM, SIGHUP or SIGQUIT before
/// the process dies of the signal.
enum Terminal {
    /// Why no line could be read.
    enum Failure: Error {
        /// There is no controlling terminal (a pipe, a cron job, CI).
        case noTerminal
        /// The user typed end-of-file (Ctrl-D) on an empty line.
        case endOfInput
    }

    /// Whether `/dev/tty` can be opened: the process has a terminal to prompt on.
    static var isAvailable: Bool {
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        close(descriptor)
        return true
    }

    /// Prints `prompt` on stderr and reads one line from the terminal without echo.
    /// - Returns: The bytes typed, without the newline. The caller wipes them.
    /// - Throws: ``Failure``.
    static func readSecret(prompt: String) throws(Failure) -> [UInt8] {
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .noTerminal }
        defer { close(descriptor) }

        var original = termios()
        let canSetEcho = tcgetattr(descriptor, &original) == 0
        if canSetEcho {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            silent.c_lflag |= tcflag_t(ICANON)
            EchoGuard.install(descriptor: descriptor, original: original)
            _ = tcsetattr(descriptor, TCSAFLUSH, &silent)
        }
        show(prompt, terminal: descriptor)
        defer {
            if canSetEcho {
                _ = tcsetattr(descriptor, TCSAFLUSH, &original)
                EchoGuard.remove()
            }
            // The user's Enter was not echoed: end the prompt's line.
            show("\n", terminal: descriptor)
        }
        return try readLine(descriptor)
    }

    /// Prints `prompt` on stderr and reads one line from the terminal, with echo (a confirmation).
    /// - Throws: ``Failure``.
    static func readLine(prompt: String) throws(Failure) -> [UInt8] {
        let descriptor = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .noTerminal }
        defer { close(descriptor) }
        show(prompt, terminal: descriptor)
        return try readLine(descriptor)
    }

    /// Writes prompt text on stderr when it is a terminal, else on the terminal `descriptor`.
    private static func show(_ text: String, terminal descriptor: Int32) {
        if StandardStreams.isTerminal(STDERR_FILENO) {
            StandardStreams.writeError(text, newline: false)
        } else {
            var text = text
            text.withUTF8 { _ = write(descriptor, $0.baseAddress, $0.count) }
        }
    }

    /// Reads bytes up to a newline or end of file.
    private static func readLine(_ descriptor: Int32) throws(Failure) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        var byte: UInt8 = 0
        while true {
            let count = read(descriptor, &byte, 1)
            if count < 0 {
                if errno == EINTR { continue }
                line.wipe()
                throw .noTerminal
            }
            if count == 0 {
                if line.isEmpty { throw .endOfInput }
                break
            }
            if byte == UInt8(ascii: "\n") { break }
            if line.count == line.capacity {
                // Grow by hand so the old buffer can be wiped.
                var larger: [UInt8] = []
                larger.reserveCapacity(line.capacity * 2)
                larger.append(contentsOf: line)
                line.wipe()
                line = larger
            }
            line.append(byte)
        }
        byte = 0
        return line
    }
}

/// Restores the terminal's echo when a signal ends the process during a prompt.
private enum EchoGuard {
    nonisolated(unsafe) static var descriptor: Int32 = -1
    nonisolated(unsafe) static var original = termios()
    nonisolated(unsafe) static var previous: [Int32: sigaction] = [:]
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func install(descriptor: Int32, original: termios) {
        Self.descriptor = descriptor
        Self.original = original
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                // Only async-signal-safe calls: tcsetattr, sigaction-free re-raise via SIG_DFL.
                _ = tcsetattr(EchoGuard.descriptor, TCSAFLUSH, &EchoGuard.original)
                Glibc.signal(signal, SIG_DFL)
                raise(signal)
            }
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous[signal] = old
        }
    }

    static func remove() {
        for (signal, action) in previous {
            var action = action
            sigaction(signal, &action, nil)
        }
        previous = [:]
        descriptor = -1
    }
}
