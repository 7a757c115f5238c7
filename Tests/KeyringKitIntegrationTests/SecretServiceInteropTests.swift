import Foundation
import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

/// What Python keyring (and secret-tool) stored, KeyringKit reads; what KeyringKit stores, they
/// read. Against a real gnome-keyring, or the server `KEYRING_TEST_SERVER` names
/// (``TestServer/current``); Python keyring from PyPI (scripts/test makes the venv).
@Suite("Secret Service backend interoperability")
struct SecretServiceInteropTests {
    /// The venv's Python with keyring and secretstorage; in CI this must exist.
    static var python: String {
        get throws {
            if let path = ProcessInfo.processInfo.environment["KEYRING_TEST_PYTHON"], !path.isEmpty { return path }
            let fallback = packageDirectory.appendingPathComponent(".build/venv/bin/python").path
            guard FileManager.default.isExecutableFile(atPath: fallback) else {
                throw TestSupportError("no Python with keyring: run the tests through scripts/test (KEYRING_TEST_PYTHON)")
            }
            return fallback
        }
    }

    func runPython(_ bus: TestBus, _ script: String, stdin: String? = nil) async throws -> ProcessResult {
        try await bus.run(
            try Self.python, ["-c", script],
            extraEnvironment: ["PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"],
            stdin: stdin.map { Array($0.utf8) }, timeout: .seconds(60))
    }

    /// No prompts (gnome-keyring's end dismissed headless); KeePassXC's answers to writes
    /// (``ServerProfile/promptsForWrites``) ask nobody, and the client runs them anyway.
    static func backend(_ bus: TestBus) -> SecretServiceBackend {
        SecretServiceBackend(
            client: SecretServiceClient(
                options: .init(bus: .address(bus.address), promptTimeout: .seconds(10), allowsPrompts: false)))
    }

    @Test func pythonKeyringWritesAndKeyringKitReads() async throws {
        let bus = try await TestBus.startAsync(keyring: true, server: .current)
        defer { bus.stop() }
        let stored = try await runPython(
            bus,
            """
            import sys, keyring
            keyring.set_password("py-service", "py-user", sys.stdin.read())
            """, stdin: "from python ✓")
        #expect(stored.succeeded, "\(stored)")
        let keyring = Keyring(backend: Self.backend(bus))
        #expect(try await keyring.getString(service: "py-service", account: "py-user") == "from python ✓")
        #expect(try await keyring.accounts(service: "py-service") == ["py-user"])

        // An update from KeyringKit lands in Python's item, not in a second one.
        try await keyring.set("updated by swift", service: "py-service", account: "py-user")
        let read = try await runPython(
            bus,
            """
            import keyring
            print(keyring.get_password("py-service", "py-user"), end="")
            """)
        #expect(read.stdoutText == "updated by swift", "\(read)")
        let entries = try await keyring.search(["service": "py-service"])
        #expect(entries.count == 1)
        #expect(entries.first?.attributes["application"] == "Python keyring library")

        #expect(try await keyring.delete(service: "py-service", account: "py-user"))
        let gone = try await runPython(
            bus,
            """
            import keyring
            print(keyring.get_password("py-service", "py-user"))
            """)
        #expect(gone.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "None", "\(gone)")
    }

    @Test func keyringKitWritesAndPythonKeyringReads() async throws {
        let bus = try await TestBus.startAsync(keyring: true, server: .current)
        defer { bus.stop() }
        let keyring = Keyring(backend: Self.backend(bus))
        try await keyring.set("from swift ✓", service: "swift-service", account: "swift-user")
        let read = try await runPython(
            bus,
            """
            import keyring
            print(keyring.get_password("swift-service", "swift-user"), end="")
            """)
        #expect(read.succeeded, "\(read)")
        #expect(read.stdoutText == "from swift ✓")
        let entry = try #require(try await keyring.search(["service": "swift-service"]).first)
        #expect(entry.label == "Password for 'swift-user' on 'swift-service'")
        #expect(entry.attributes["xdg:schema"] == SecretServiceBackend.schema)
        // The default collection's name (pass-secret-service's is a new UUID each run).
        if let path = TestServer.current.profile.defaultCollection {
            #expect(entry.keyring == path.split(separator: "/").last.map(String.init), "\(entry.keyring)")
        }
        let deleted = try await runPython(
            bus,
            """
            import keyring
            keyring.delete_password("swift-service", "swift-user")
            """)
        #expect(deleted.succeeded, "\(deleted)")
        #expect(try await keyring.get(service: "swift-service", account: "swift-user") == nil)
    }

    @Test func secretToolAndOtherProgramsItemsAreFoundAcrossCollections() async throws {
        let server = TestServer.current
        let bus = try await TestBus.startAsync(keyring: true, server: server)
        defer { bus.stop() }
        // go-keyring and secret-tool write {service, username}; here into another collection than
        // the default one (gnome-keyring's in-memory session collection).
        var collection = server.profile.secondCollection ?? ""
        if server == .gnomeKeyring { collection = "session" }
        if collection.isEmpty {
            let client = SecretServiceClient(options: .init(bus: .address(bus.address)))
            collection = try await client.createCollection(label: "second").path.rawValue
            await client.disconnect()
        }
        let stored = try await bus.run(
            "/usr/bin/secret-tool",
            ["store", "--collection=\(collection)", "--label=gh", "service", "gh:github.com", "username", "octocat"],
            stdin: Array("gho_token".utf8))
        #expect(stored.succeeded, "\(stored)")
        let keyring = Keyring(backend: Self.backend(bus))
        #expect(try await keyring.getString(service: "gh:github.com", account: "octocat") == "gho_token")
    }

    @Test func keyringDefaultChoosesTheSecretServiceOnADesktopAndTheFileWhenHeadless() async throws {
        let bus = try await TestBus.startAsync(keyring: true, server: .current)
        defer { bus.stop() }
        let desktop = try await BackendSelection(environment: bus.environment, configurationPath: "/nonexistent").choose()
        #expect(desktop.kind == .secretService, "\(desktop.reason)")

        let directory = try TemporaryDirectory()
        let headlessEnvironment = [
            "HOME": directory.path, "XDG_DATA_HOME": directory.path, "KEYRING_FILE_PASSWORD": "headless",
        ]
        let headless = try await BackendSelection(environment: headlessEnvironment, configurationPath: "/nonexistent").choose()
        #expect(headless.kind == .file, "\(headless.reason)")
        #expect(headless.reason.contains("DBUS_SESSION_BUS_ADDRESS"))

        let noDaemon = try await TestBus.startAsync(keyring: false)
        defer { noDaemon.stop() }
        var refusing = noDaemon.environment
        refusing["KEYRING_NO_FALLBACK"] = "1"
        await expectKeyringError(.noStorageAccess) {
            _ = try await BackendSelection(environment: refusing, configurationPath: "/nonexistent").choose()
        }
    }
}

/// What must be quick, not only bounded: run by scripts/test alone (the ...TimingTests suites).
@Suite("Secret Service backend interoperability: timing")
struct SecretServiceBackendTimingTests {
    @Test func noPromptFailsFastOnALockedCollection() async throws {
        let bus = try await TestBus.startAsync(keyring: true, server: .current)
        defer { bus.stop() }
        var environment = bus.environment
        environment["KEYRING_NO_PROMPT"] = "1"
        let keyring = Keyring(
            backend: try await BackendSelection(environment: environment, configurationPath: "/nonexistent").choose().backend)
        // Stored and locked by a client that may run the prompts KeePassXC answers writes with.
        let writer = Keyring(backend: SecretServiceInteropTests.backend(bus))
        try await writer.set("locked away", service: "lock-test", account: "me")
        try await writer.lock()
        #expect(try await keyring.isLocked())
        if bus.server?.profile.unlockPrompt == HeadlessPrompt.none {
            // The libsecret mock and pass-secret-service unlock when asked, with no prompt.
            #expect(try await keyring.get(service: "lock-test", account: "me") == Secret("locked away"))
            return
        }
        let clock = ContinuousClock()
        let start = clock.now
        let error = await expectKeyringError(.locked) { _ = try await keyring.get(service: "lock-test", account: "me") }
        #expect(clock.now - start < .seconds(1))
        #expect(error?.message.contains("locked") == true)
        #expect(error.map { "\($0)".contains("locked away") } == false)
    }
}
