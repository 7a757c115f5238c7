import Foundation
import Testing
import TestSupport

/// Where the `keyring` under test keeps its secrets. Every test of the command line that does
/// not depend on one backend runs once per backend in ``all``.
enum CLIBackend: String, Sendable, CustomTestStringConvertible {
    /// Encrypted files in a temporary `XDG_DATA_HOME`, password from `KEYRING_FILE_PASSWORD`.
    case file
    /// gnome-keyring on a private bus (`TestBus`), chosen with `KEYRING_BACKEND=secret-service`;
    /// or the server `KEYRING_TEST_SERVER` names (``TestServer/current``).
    case secretService = "secret-service"

    /// The backends to test: both, or those named in `KEYRING_CLI_TEST_BACKENDS` (comma-separated).
    /// In a pass of scripts/test for a server other than gnome-keyring, only the Secret Service.
    static let all: [CLIBackend] = {
        guard let names = ProcessInfo.processInfo.environment["KEYRING_CLI_TEST_BACKENDS"] else {
            return TestServer.current == .gnomeKeyring ? [.file, .secretService] : [.secretService]
        }
        return names.split(separator: ",").compactMap { CLIBackend(rawValue: String($0)) }
    }()

    var testDescription: String { rawValue }
}

/// One isolated home for the `keyring` command: temporary HOME and XDG directories, no D-Bus
/// unless the backend brings its own private bus, and nothing inherited from the test process.
/// ``close()`` stops the bus, if any, and removes the directory.
final class CLIFixture: Sendable {
    let backend: CLIBackend
    /// The temporary directory holding `home/`, `data/`, `config/`, `runtime/`, `bin/`.
    let directory: URL
    /// The whole environment `keyring` runs with.
    let environment: [String: String]
    let bus: TestBus?
    /// The Secret Service behind `.secretService`.
    var server: TestServer? { bus?.server }

    /// The password of the file backend's keyrings in these tests.
    static let filePassword = "file-password-for-tests"

    /// The `keyring` under test: `KEYRING_TEST_EXECUTABLE` when set (scripts/test sets the
    /// release build, the one people run, statically linked), else the one built beside the tests.
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["KEYRING_TEST_EXECUTABLE"], !path.isEmpty { return path }
        return productsDirectory.appendingPathComponent("keyring").path
    }

    /// - Parameters:
    ///   - prompter: for the Secret Service, the bus name gnome-keyring sends its prompts to.
    ///   - server: the Secret Service for `.secretService`.
    init(_ backend: CLIBackend, prompter: String? = nil, server: TestServer = .current) throws {
        self.backend = backend
        directory = URL(fileURLWithPath: try TemporaryDirectory.create(prefix: "cli"), isDirectory: true)
        for sub in ["home", "data", "config", "runtime", "bin"] {
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent(sub), withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        }
        let path = "\(directory.path)/bin:\(productsDirectory.path):/usr/local/bin:/usr/bin:/bin"
        var environment = [
            "PATH": path,
            "HOME": directory.appendingPathComponent("home").path,
            "XDG_DATA_HOME": directory.appendingPathComponent("data").path,
            "XDG_CONFIG_HOME": directory.appendingPathComponent("config").path,
            "XDG_RUNTIME_DIR": directory.appendingPathComponent("runtime").path,
            "LANG": "C.UTF-8",
        ]
        switch backend {
        case .file:
            bus = nil
            environment["KEYRING_BACKEND"] = "file"
            environment["KEYRING_FILE_PASSWORD"] = Self.filePassword
        case .secretService:
            let bus = try TestBus.start(server: server, prompter: prompter)
            self.bus = bus
            environment.merge(bus.environment) { $1 }
            environment["PATH"] = path
            environment["KEYRING_BACKEND"] = "secret-service"
        // KeePassXC answers every write with a prompt (that completes by itself here): `keyring`
        // runs those headless too (SecretServiceCLIInteropTests.writesWithAPromptHeadless).
        }
        self.environment = environment
    }

    /// Stops the bus, if any, and removes the directory.
    func close() {
        bus?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `keyring` with `arguments`.
    /// - Parameters:
    ///   - stdin: Bytes for standard input; `nil` gives /dev/null.
    ///   - environment: Added to (or, with `nil`, removed from) the fixture's environment.
    ///   - program: The file to run as argv[0], when not the built `keyring` (a link to it).
    func keyring(
        _ arguments: [String], stdin: [UInt8]? = nil, environment extra: [String: String?] = [:],
        program: String? = nil, timeout: Duration = .seconds(120)
    ) async throws -> ProcessResult {
        try await run(program ?? Self.executable, arguments, stdin: stdin, environment: extra, timeout: timeout)
    }

    /// Runs `keyring` with text on standard input.
    func keyring(
        _ arguments: [String], input: String, environment extra: [String: String?] = [:]
    ) async throws -> ProcessResult {
        try await keyring(arguments, stdin: Array(input.utf8), environment: extra)
    }

    /// Runs any program in this fixture's environment.
    func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8]? = nil,
        environment extra: [String: String?] = [:], timeout: Duration = .seconds(120)
    ) async throws -> ProcessResult {
        var environment = self.environment
        for (name, value) in extra { environment[name] = value }
        return try await runProcess(executable, arguments, environment: environment, stdin: stdin, timeout: timeout)
    }

    /// Makes `bin/NAME` (first on PATH) a symbolic link to the built `keyring`; returns its path.
    @discardableResult
    func link(_ name: String) throws -> String {
        let link = directory.appendingPathComponent("bin/\(name)").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Self.executable)
        return link
    }

    /// Writes a file inside the fixture directory; returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Stores `secret` with `keyring set`, requiring success.
    func store(_ secret: String, service: String, account: String) async throws {
        let result = try await keyring(["set", service, account], input: secret)
        try #require(result.succeeded, "keyring set \(service) \(account): \(result)")
    }
}

extension ProcessResult {
    /// Whether standard error contains `text` anywhere, byte for byte.
    func stderrContains(_ text: String) -> Bool {
        stderr.contains(sequence: Array(text.utf8))
    }

    /// Whether standard output contains `text` anywhere, byte for byte.
    func stdoutContains(_ text: String) -> Bool {
        stdout.contains(sequence: Array(text.utf8))
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in the array.
    func contains(sequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

/// Runs `body` with a fresh fixture for `backend`, closing it afterwards.
func withFixture<T>(_ backend: CLIBackend, _ body: (CLIFixture) async throws -> T) async throws -> T {
    let fixture = try CLIFixture(backend)
    defer { fixture.close() }
    return try await body(fixture)
}
