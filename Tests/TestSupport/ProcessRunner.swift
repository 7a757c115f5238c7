// Runs a child process with a deadline, without Foundation.Process: posix_spawn, pipes made
// close-on-exec (so parallel tests never leak each other's pipes into their children), and one
// poll loop in the calling thread that feeds stdin, drains stdout and stderr, and reaps the child.

internal import Foundation
internal import Glibc
internal import Synchronization

/// Held from creating a child's pipes until it is spawned: Glibc's module does not export
/// pipe2(O_CLOEXEC), so pipe() and fcntl(FD_CLOEXEC) are two steps, and no other runProcess may
/// spawn a child between them.
private let spawnLock = Mutex(())

/// What a child process did: how it ended and what it printed.
public struct ProcessResult: Sendable, CustomStringConvertible {
    /// The exit status; 128 + N when the child was killed by signal N.
    public var status: Int32
    /// The signal that ended the child, if one did.
    public var signal: Int32?
    /// Everything the child wrote to standard output.
    public var stdout: [UInt8]
    /// Everything the child wrote to standard error.
    public var stderr: [UInt8]
    /// True when the deadline passed and the child (and its process group) was killed.
    public var timedOut: Bool

    /// Standard output decoded as UTF-8 (invalid bytes replaced).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error decoded as UTF-8 (invalid bytes replaced).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// True when the child exited with status 0 before its deadline.
    public var succeeded: Bool { status == 0 && !timedOut }

    public var description: String {
        let how = timedOut ? "timed out" : signal.map { "killed by signal \($0)" } ?? "exit status \(status)"
        let err = stderrText.trimmingCharacters(in: .whitespacesAndNewlines)
        return err.isEmpty ? how : "\(how); stderr:\n\(err)"
    }
}

/// Runs `executable` with `arguments` and exactly `environment`, waits at most `timeout`.
///
/// - Parameters:
///   - executable: a path, or a name looked up in `environment["PATH"]` (else this process's PATH).
///   - arguments: the arguments after argv[0].
///   - environment: the child's whole environment (nothing is inherited).
///   - stdin: bytes written to the child's standard input, which is then closed; `nil` gives
///     /dev/null.
///   - timeout: when it passes, the child's process group gets SIGKILL and the result has
///     `timedOut == true`.
/// - Returns: the exit status and everything printed on stdout and stderr.
/// - Throws: `TestSupportError` when the executable is not found or cannot be started.
///
/// The child runs in its own process group with default signal dispositions. Blocks the calling
/// thread until the child ends. Wraps `posix_spawn(3)`, `poll(2)` and `waitpid(2)`.
public func runProcess(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String],
    stdin: [UInt8]? = nil,
    timeout: Duration
) throws -> ProcessResult {
    let searchPath = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    guard let path = resolveExecutable(executable, searchPath: searchPath) else {
        throw TestSupportError("'\(executable)' was not found in PATH=\(searchPath)")
    }
    // A child that closes its stdin early must give us EPIPE, not kill the test process.
    _ = signal(SIGPIPE, SIG_IGN)

    var child = try spawnLock.withLock { _ in
        try spawnChild(path, arguments, environment: environment, stdin: stdin)
    }
    return child.run(until: ContinuousClock.now + timeout)
}

/// Makes the pipes and spawns the child; returns the parent's side. Call with `spawnLock` held.
private func spawnChild(
    _ path: String, _ arguments: [String], environment: [String: String], stdin: [UInt8]?
) throws -> ChildIO {
    let output = try Pipe2()
    let errors = try Pipe2()
    let input = try stdin.map { _ in try Pipe2() }

    let actions = UnsafeMutablePointer<posix_spawn_file_actions_t>.allocate(capacity: 1)
    let attributes = UnsafeMutablePointer<posix_spawnattr_t>.allocate(capacity: 1)
    posix_spawn_file_actions_init(actions)
    posix_spawnattr_init(attributes)
    defer {
        posix_spawn_file_actions_destroy(actions)
        posix_spawnattr_destroy(attributes)
        actions.deallocate()
        attributes.deallocate()
    }
    if let input {
        posix_spawn_file_actions_adddup2(actions, input.readEnd, 0)
    } else {
        posix_spawn_file_actions_addopen(actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(actions, output.writeEnd, 1)
    posix_spawn_file_actions_adddup2(actions, errors.writeEnd, 2)

    var allSignals = sigset_t()
    var noSignals = sigset_t()
    sigfillset(&allSignals)
    sigemptyset(&noSignals)
    posix_spawnattr_setsigdefault(attributes, &allSignals)
    posix_spawnattr_setsigmask(attributes, &noSignals)
    posix_spawnattr_setpgroup(attributes, 0)
    posix_spawnattr_setflags(
        attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawnError = posix_spawn(&pid, path, actions, attributes, argv, envp)
    // The child's ends belong to the child now.
    output.closeWriteEnd()
    errors.closeWriteEnd()
    input?.closeReadEnd()
    guard spawnError == 0 else {
        output.closeReadEnd()
        errors.closeReadEnd()
        input?.closeWriteEnd()
        throw TestSupportError("cannot start \(path): \(String(cString: strerror(spawnError)))")
    }
    return ChildIO(
        pid: pid, stdout: output.readEnd, stderr: errors.readEnd,
        stdin: input?.writeEnd, input: stdin ?? [])
}

/// Runs a child like `runProcess(_:_:environment:stdin:timeout:)`, on a thread of its own, so
/// the waiting never blocks a thread of Swift's cooperative pool (which may be needed meanwhile,
/// say by an in-process test prompter that the child's daemon calls).
public func runProcess(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String],
    stdin: [UInt8]? = nil,
    timeout: Duration
) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(
                with: Result {
                    try runProcess(executable, arguments, environment: environment, stdin: stdin, timeout: timeout)
                })
        }
        thread.name = "runProcess \(executable)"
        thread.start()
    }
}

/// Runs blocking `body` on a new thread and resumes the caller with its result.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// The path `posix_spawn` should run, or nil when `name` is not an executable in `searchPath`.
private func resolveExecutable(_ name: String, searchPath: String) -> String? {
    if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
    for directory in searchPath.split(separator: ":") where !directory.isEmpty {
        let candidate = "\(directory)/\(name)"
        if access(candidate, X_OK) == 0 { return candidate }
    }
    return nil
}

/// A pipe whose two ends are close-on-exec (made so under `spawnLock`).
private struct Pipe2 {
    let readEnd: Int32
    let writeEnd: Int32

    init() throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw TestSupportError("pipe failed: \(String(cString: strerror(errno)))")
        }
        readEnd = fds[0]
        writeEnd = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    }

    func closeReadEnd() { close(readEnd) }
    func closeWriteEnd() { close(writeEnd) }
}

/// The parent's side of one child: its three pipes and its PID, driven by one poll loop.
private struct ChildIO {
    let pid: pid_t
    var stdoutFD: Int32?
    var stderrFD: Int32?
    var stdinFD: Int32?
    let input: [UInt8]
    var written = 0
    var stdout: [UInt8] = []
    var stderr: [UInt8] = []

    init(pid: pid_t, stdout: Int32, stderr: Int32, stdin: Int32?, input: [UInt8]) {
        self.pid = pid
        self.input = input
        stdoutFD = stdout
        stderrFD = stderr
        stdinFD = stdin
        for fd in [stdout, stderr, stdin].compactMap({ $0 }) {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        if input.isEmpty, let fd = stdinFD {
            close(fd)
            stdinFD = nil
        }
    }

    mutating func run(until deadline: ContinuousClock.Instant) -> ProcessResult {
        var timedOut = false
        var waitStatus: Int32
        while true {
            if let status = reap(blocking: false) {
                waitStatus = status
                break
            }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                timedOut = true
                kill(-pid, SIGKILL)  // the child's process group
                kill(pid, SIGKILL)
                waitStatus = reap(blocking: true) ?? 0
                break
            }
            // With pipes open, poll wakes on output or end-of-file; once all are closed (or a
            // grandchild keeps them open) look for the exit a few times per 100 ms.
            let open = stdoutFD != nil || stderrFD != nil || stdinFD != nil
            let slice = open ? Duration.milliseconds(50) : .milliseconds(2)
            pollOnce(timeout: min(remaining, slice))
        }
        // Everything the child wrote is in the pipes now; take it without waiting for
        // grandchildren that may hold the write ends.
        Self.drain(&stdoutFD, into: &stdout)
        Self.drain(&stderrFD, into: &stderr)
        if let fd = stdinFD { close(fd) }
        for fd in [stdoutFD, stderrFD].compactMap({ $0 }) { close(fd) }

        let signal = waitStatus & 0x7f
        return ProcessResult(
            status: signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal,
            signal: signal == 0 ? nil : signal,
            stdout: stdout,
            stderr: stderr,
            timedOut: timedOut
        )
    }

    /// The wait status once the child has ended; nil while it runs. Blocking waits at most 10 s
    /// (only used after SIGKILL).
    private func reap(blocking: Bool) -> Int32? {
        var status: Int32 = 0
        let giveUp = ContinuousClock.now + .seconds(10)
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return status }
            if result == -1 && errno == EINTR { continue }
            if result == -1 { return 0 }  // already reaped: nothing more to learn
            if !blocking || ContinuousClock.now > giveUp { return nil }
            usleep(1000)
        }
    }

    private mutating func pollOnce(timeout: Duration) {
        var fds: [pollfd] = []
        if let fd = stdoutFD { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        if let fd = stderrFD { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        if let fd = stdinFD { fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
        let milliseconds = Int32(
            max(
                1,
                timeout.components.seconds * 1000
                    + timeout.components.attoseconds / 1_000_000_000_000_000))
        if fds.isEmpty {
            usleep(UInt32(milliseconds) * 1000)
            return
        }
        guard poll(&fds, nfds_t(fds.count), milliseconds) > 0 else { return }
        for entry in fds where entry.revents != 0 {
            if entry.fd == stdoutFD {
                Self.drain(&stdoutFD, into: &stdout)
            } else if entry.fd == stderrFD {
                Self.drain(&stderrFD, into: &stderr)
            } else if entry.fd == stdinFD {
                feed()
            }
        }
    }

    /// Reads what is available; closes the descriptor at end-of-file or on error.
    private static func drain(_ fd: inout Int32?, into buffer: inout [UInt8]) {
        guard let open = fd else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(open, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
            } else if count == -1 && errno == EINTR {
                continue
            } else if count == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                close(open)
                fd = nil
                return
            }
        }
    }

    /// Writes what the pipe takes; closes stdin when all is written or the child closed it.
    private mutating func feed() {
        guard let fd = stdinFD else { return }
        while written < input.count {
            let count = input.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count > 0 {
                written += count
            } else if count == -1 && errno == EINTR {
                continue
            } else if count == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                break  // EPIPE: the child does not want the rest
            }
        }
        close(fd)
        stdinFD = nil
    }
}
