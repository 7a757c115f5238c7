internal import Glibc
import Foundation
internal import Synchronization

/// A real OpenBao server on loopback for one test or suite, started by
/// `openbao-fixtures/start-bao` on free ports and stopped by PID (`stop-bao`). The `bao`
/// binary is `$KEYRING_TEST_BAO` (scripts/test-openbao sets it from scripts/openbao-venv).
///
/// - ``Mode/dev``: `bao server -dev`, in memory, KV v2 at `secret/`, a root token of its own.
/// - ``Mode/devTLS``: the same over HTTPS with a CA of its own (``caCertificate``).
/// - ``Mode/raft``: one persistent Raft node (static seal, self-initialised) that keeps its
///   data across ``restart()``.
///
/// A watcher stops the server when the test process dies.
public final class BaoServer: Sendable {
    public enum Mode: Sendable {
        case dev, devTLS, raft
    }

    /// The fixture directory (`env`, `bao.log`, `home/`, Raft data).
    public let directory: String
    /// `http://127.0.0.1:PORT` (`https://` with ``Mode/devTLS``).
    public let address: String
    /// A token with the root policy.
    public let rootToken: String
    /// The CA that signed the server's certificate, with ``Mode/devTLS``.
    public let caCertificate: String?
    private let mode: Mode
    private let stopped = Mutex(false)

    /// The real `bao` binary, from `KEYRING_TEST_BAO`.
    public static var binary: String? {
        ProcessInfo.processInfo.environment["KEYRING_TEST_BAO"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private init(directory: String, mode: Mode, values: [String: String]) throws {
        guard let address = values["BAO_ADDR"], let token = values["BAO_TOKEN"] else {
            throw TestSupportError("\(directory)/env has no BAO_ADDR or BAO_TOKEN")
        }
        self.directory = directory
        self.mode = mode
        self.address = address
        self.rootToken = token
        self.caCertificate = values["BAO_CACERT"]
    }

    /// Starts a server and returns once it is active.
    /// - Throws: `TestSupportError` when `KEYRING_TEST_BAO` is not set or the server does not come up.
    public static func start(_ mode: Mode = .dev) async throws -> BaoServer {
        let directory = try TemporaryDirectory.create(prefix: "bao")
        let values = try await onOwnThread { try launch(directory, mode: mode) }
        return try BaoServer(directory: directory, mode: mode, values: values)
    }

    /// Stops the Raft server and starts it again on the same directory, ports and token.
    public func restart() async throws {
        let directory = self.directory
        let mode = self.mode
        _ = try await onOwnThread {
            let stop = try Self.runScript("stop-bao", [directory], timeout: .seconds(30))
            guard stop.succeeded else { throw TestSupportError("stop-bao \(directory) failed: \(stop)") }
            return try Self.launch(directory, mode: mode)
        }
    }

    /// The environment a client of this server needs: `BAO_ADDR`, `BAO_TOKEN` (root, unless
    /// `token` says otherwise or is empty), `BAO_CACERT`, a `HOME` of the fixture's, `PATH`.
    public func environment(token: String? = nil) -> [String: String] {
        var environment = [
            "BAO_ADDR": address, "HOME": directory + "/home",
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]
        let token = token ?? rootToken
        if !token.isEmpty { environment["BAO_TOKEN"] = token }
        if let caCertificate { environment["BAO_CACERT"] = caCertificate }
        return environment
    }

    /// Runs the `bao` CLI against this server (as root unless `token` is given).
    /// - Throws: `TestSupportError` with its output when it fails.
    @discardableResult
    public func bao(_ arguments: [String], token: String? = nil, stdin: [UInt8]? = nil) async throws -> String {
        guard let binary = Self.binary else { throw TestSupportError("KEYRING_TEST_BAO is not set") }
        let result = try await runProcess(
            binary, arguments, environment: environment(token: token), stdin: stdin, timeout: .seconds(60))
        guard result.succeeded else {
            throw TestSupportError("bao \(arguments.joined(separator: " ")) failed: \(result)")
        }
        return result.stdoutText
    }

    /// Stops the server by PID and removes its directory. Safe to call twice; `deinit` calls it.
    public func stop() {
        let already = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        if already { return }
        let keep = ProcessInfo.processInfo.environment["KEYRING_TEST_KEEP_DIRS"].map { !$0.isEmpty && $0 != "0" } ?? false
        do {
            let result = try Self.runScript("stop-bao", keep ? [directory] : [directory, "--remove"], timeout: .seconds(30))
            if !result.succeeded { FileHandle.standardError.write(Data("BaoServer: stop-bao \(directory): \(result)\n".utf8)) }
        } catch {
            FileHandle.standardError.write(Data("BaoServer: stop-bao \(directory): \(error)\n".utf8))
        }
    }

    deinit {
        stop()
    }

    private static func launch(_ directory: String, mode: Mode) throws -> [String: String] {
        guard let binary else {
            throw TestSupportError(
                "KEYRING_TEST_BAO is not set: name the real bao binary (scripts/test-openbao does, from scripts/openbao-venv)")
        }
        var arguments = [directory, "--bao", binary, "--watch", String(getpid())]
        switch mode {
        case .dev: arguments.append("--dev")
        case .devTLS: arguments += ["--dev", "--tls"]
        case .raft: arguments.append("--raft")
        }
        let result = try runScript("start-bao", arguments, timeout: .seconds(90))
        guard result.succeeded else {
            throw TestSupportError("openbao-fixtures/start-bao \(arguments.joined(separator: " ")) failed: \(result)")
        }
        var values: [String: String] = [:]
        for line in result.stdoutText.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    private static func runScript(_ name: String, _ arguments: [String], timeout: Duration) throws -> ProcessResult {
        var environment = ["LANG": "C.UTF-8"]
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return try runProcess(
            packageDirectory.appendingPathComponent("openbao-fixtures").appendingPathComponent(name).path, arguments,
            environment: environment, timeout: timeout)
    }
}

extension BaoServer {
    /// One dev server for the whole test process, started on first use; the watcher stops it
    /// when the process ends. For suites whose tests each work under a prefix of their own.
    public static func shared() async throws -> BaoServer {
        try await SharedBaoServer.instance.server()
    }
}

private actor SharedBaoServer {
    static let instance = SharedBaoServer()
    private var starting: Task<BaoServer, any Error>?

    func server() async throws -> BaoServer {
        if let starting { return try await starting.value }
        let task = Task { try await BaoServer.start(.dev) }
        starting = task
        return try await task.value
    }
}
