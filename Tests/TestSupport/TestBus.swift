internal import Glibc
public import Foundation
internal import Synchronization

/// A private session bus, with a real gnome-keyring on it unless asked otherwise, for one test or
/// suite. Started by `dbus-fixtures/start-bus` in a fresh temporary directory that holds the
/// bus socket and the keyring's HOME and XDG directories; stopped by PID.
///
/// Each test starts its own: buses share nothing, so tests run in parallel. Starting never skips:
/// when gnome-keyring cannot be reached, `start` throws and the test fails. If the test process
/// dies without stopping the bus, start-bus's watcher stops it (within a second).
///
/// Set `KEYRING_TEST_KEEP_DIRS=1` to keep the directory (logs, keyring files) after `stop()`.
public final class TestBus: Sendable {
    /// The fixture directory: `env`, `*.log`, `home/`, `data/`, `config/`, `cache/`, `runtime/`.
    public let directory: URL
    /// The bus address (`unix:path=DIR/runtime/bus,guid=...`).
    public let address: String
    /// What a child process needs to use this bus and these directories:
    /// `DBUS_SESSION_BUS_ADDRESS`, `HOME`, the `XDG_*_HOME` variables, `XDG_RUNTIME_DIR` and `PATH`.
    /// Pass it (plus what the child needs besides) as the whole environment of `runProcess`.
    public let environment: [String: String]
    /// The Secret Service started on the bus; nil for a bus without one.
    public let server: TestServer?

    private let stopped = Mutex(false)

    private init(directory: URL, values: [String: String], server: TestServer?) throws {
        guard let address = values["DBUS_SESSION_BUS_ADDRESS"], !address.isEmpty else {
            throw TestSupportError("\(directory.path)/env has no DBUS_SESSION_BUS_ADDRESS")
        }
        self.directory = directory
        self.address = address
        self.server = server
        var environment = values.filter { !$0.key.hasSuffix("_PID") }
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        self.environment = environment
    }

    /// Starts a bus, and a Secret Service on it when `keyring` is true; returns when
    /// `org.freedesktop.secrets` is owned by that daemon and it serves.
    ///
    /// - Parameters:
    ///   - keyring: start `server`.
    ///   - server: which Secret Service (`start-bus --server`): gnome-keyring unless a test asks
    ///     for ``TestServer/current`` or another. `password`, `prompter` and `locked` are
    ///     gnome-keyring's only.
    ///   - password: the login keyring's password, given to `--unlock` on stdin.
    ///   - prompter: a bus name for `GNOME_KEYRING_TEST_PROMPTER`: the daemon sends every prompt
    ///     there (docs/secret-service-protocol.md, Running gnome-keyring headless).
    ///   - locked: start without `--unlock`. In a fresh directory there is then no `login`
    ///     collection and no `default` alias, only `session`; storing into the default
    ///     collection needs a prompt that creates it.
    /// - Throws: `TestSupportError` with start-bus's message (the step that failed and the
    ///   daemon's log tail).
    public static func start(
        keyring: Bool = true,
        server: TestServer = .gnomeKeyring,
        password: String = "test-password",
        prompter: String? = nil,
        locked: Bool = false
    ) throws -> TestBus {
        let directory = URL(fileURLWithPath: try TemporaryDirectory.create(prefix: "bus"), isDirectory: true)
        var arguments = [directory.path, "--watch", String(getpid())]
        if keyring {
            if server == .gnomeKeyring {
                arguments += ["--keyring", "--password", password]
            } else {
                // The others take longer to start on a busy machine (KeePassXC's key derivation).
                arguments += ["--server", server.rawValue, "--timeout", "30"]
            }
        }
        if let prompter, server == .gnomeKeyring { arguments += ["--prompter", prompter] }
        if locked { arguments.append("--locked") }
        let result = try runScript("start-bus", arguments, timeout: .seconds(120))
        guard result.succeeded else {
            throw TestSupportError(
                """
                dbus-fixtures/start-bus \(arguments.filter { $0 != password }.joined(separator: " ")) \
                failed (\(result.timedOut ? "timed out" : "exit status \(result.status)")):
                \(result.stderrText)
                """)
        }
        return try TestBus(
            directory: directory, values: try readEnvironmentFile(in: directory), server: keyring ? server : nil)
    }

    /// The bus daemon's PID.
    public var busPID: Int32? { pid("DBUS_PID") }

    /// The keyring daemon's PID; nil after `killKeyring()` or when started without a keyring.
    public var keyringPID: Int32? { pid("KEYRING_PID") }

    /// Kills gnome-keyring with SIGKILL, as a crash would, and returns once
    /// `org.freedesktop.secrets` has no owner. Runs `keyring-ctl DIR kill`.
    ///
    /// - Throws: `TestSupportError` when the daemon does not go away.
    public func killKeyring() throws {
        try keyringControl("kill")
    }

    /// Stops gnome-keyring if it runs and starts a fresh one on the same bus and directories,
    /// with the options of `start`; returns once it owns `org.freedesktop.secrets`.
    /// Runs `keyring-ctl DIR restart`.
    ///
    /// - Throws: `TestSupportError` with keyring-ctl's message when the new daemon does not come up.
    public func restartKeyring() throws {
        try keyringControl("restart")
    }

    /// Runs `executable` with this bus's `environment` plus `extraEnvironment`.
    /// See `runProcess(_:_:environment:stdin:timeout:)`.
    public func run(
        _ executable: String,
        _ arguments: [String],
        extraEnvironment: [String: String] = [:],
        stdin: [UInt8]? = nil,
        timeout: Duration = .seconds(30)
    ) throws -> ProcessResult {
        try runProcess(
            executable, arguments,
            environment: environment.merging(extraEnvironment) { $1 },
            stdin: stdin, timeout: timeout)
    }

    /// Runs `executable` with this bus's `environment` plus `extraEnvironment`, on a thread of
    /// its own. See `runProcess(_:_:environment:stdin:timeout:)`.
    public func run(
        _ executable: String,
        _ arguments: [String],
        extraEnvironment: [String: String] = [:],
        stdin: [UInt8]? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> ProcessResult {
        try await runProcess(
            executable, arguments,
            environment: environment.merging(extraEnvironment) { $1 },
            stdin: stdin, timeout: timeout)
    }

    /// ``start(keyring:server:password:prompter:locked:)`` on a thread of its own, so that waiting for
    /// the daemons never blocks a thread of Swift's cooperative pool (two on this machine).
    public static func startAsync(
        keyring: Bool = true,
        server: TestServer = .gnomeKeyring,
        password: String = "test-password",
        prompter: String? = nil,
        locked: Bool = false
    ) async throws -> TestBus {
        try await onOwnThread {
            try start(keyring: keyring, server: server, password: password, prompter: prompter, locked: locked)
        }
    }

    /// ``killKeyring()`` on a thread of its own.
    public func killKeyringAsync() async throws {
        try await onOwnThread { try self.killKeyring() }
    }

    /// ``restartKeyring()`` on a thread of its own.
    public func restartKeyringAsync() async throws {
        try await onOwnThread { try self.restartKeyring() }
    }

    /// Stops the keyring and the bus by PID (TERM, then KILL) and removes the directory.
    /// Safe to call more than once; `deinit` calls it. Runs `stop-bus DIR --remove`.
    public func stop() {
        let alreadyStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        if alreadyStopped { return }
        let keep = ProcessInfo.processInfo.environment["KEYRING_TEST_KEEP_DIRS"].map { !$0.isEmpty && $0 != "0" } ?? false
        let arguments = keep ? [directory.path] : [directory.path, "--remove"]
        do {
            let result = try Self.runScript("stop-bus", arguments, timeout: .seconds(30))
            if !result.succeeded {
                FileHandle.standardError.write(Data("TestBus: stop-bus \(directory.path): \(result)\n".utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("TestBus: stop-bus \(directory.path): \(error)\n".utf8))
        }
    }

    deinit {
        stop()
    }

    // MARK: - Helpers

    private func keyringControl(_ command: String) throws {
        let result = try Self.runScript("keyring-ctl", [directory.path, command], timeout: .seconds(60))
        guard result.succeeded else {
            throw TestSupportError("dbus-fixtures/keyring-ctl \(directory.path) \(command) failed (\(result))")
        }
    }

    private func pid(_ key: String) -> Int32? {
        (try? Self.readEnvironmentFile(in: directory))?[key].flatMap { Int32($0) }
    }

    /// Runs a dbus-fixtures script with this process's PATH (and nothing else inherited).
    private static func runScript(_ name: String, _ arguments: [String], timeout: Duration) throws -> ProcessResult {
        var environment = ["LANG": "C.UTF-8"]
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return try runProcess(
            fixturesDirectory.appendingPathComponent(name).path, arguments,
            environment: environment, timeout: timeout)
    }

    /// Parses `DIR/env`: `KEY=value` lines.
    private static func readEnvironmentFile(in directory: URL) throws -> [String: String] {
        let file = directory.appendingPathComponent("env")
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw TestSupportError("cannot read \(file.path)")
        }
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

}
