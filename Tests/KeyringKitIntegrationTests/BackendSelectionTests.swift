import Foundation
@testable import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

@Suite("Backend selection")
struct BackendSelectionTests {
    /// A selection confined to a temporary home, with an optional configuration text and a
    /// fake Secret Service that is reachable or not.
    static func selection(
        _ home: TemporaryDirectory, environment: [String: String] = [:], configuration: String? = nil,
        secretService: (any KeyringBackend)? = nil, backend: BackendKind? = nil
    ) throws -> BackendSelection {
        var env = ["HOME": home.path, "XDG_DATA_HOME": home.path + "/data", "XDG_CONFIG_HOME": home.path + "/config"]
        env.merge(environment) { $1 }
        if let configuration {
            try FileManager.default.createDirectory(
                atPath: home.path + "/config/swift-keyring", withIntermediateDirectories: true)
            try configuration.write(toFile: home.path + "/config/swift-keyring/config", atomically: true, encoding: .utf8)
        }
        var selection = BackendSelection(backend: backend, environment: env)
        selection.secretServiceProbe = { _, _ in
            if let secretService { return .success(secretService) }
            return .failure(KeyringError(.noStorageAccess, "org.freedesktop.secrets is not on the session bus"))
        }
        return selection
    }

    @Test("automatic: the Secret Service when it is reachable")
    func automaticSecretService() async throws {
        let home = try TemporaryDirectory()
        let fake = MemoryBackend()
        let choice = try await Self.selection(home, secretService: fake).choose()
        #expect(choice.kind == .secretService)
        #expect(choice.reason.contains("automatic"))
    }

    /// One store of record: a secret written to the file while gnome-keyring restarts would be
    /// invisible once it is back.
    @Test("once the Secret Service was the automatic choice, one that does not answer is an error, never the file")
    func noSplitBrain() async throws {
        let home = try TemporaryDirectory()
        let first = try await Self.selection(home, secretService: MemoryBackend()).choose()
        #expect(first.kind == .secretService)
        let record = home.path + "/.local/state/swift-keyring/automatic-backend"
        #expect(try String(contentsOfFile: record, encoding: .utf8) == "secret-service\n")
        #expect(Files.mode(record) == 0o600)
        let error = await expectKeyringError(.noStorageAccess) {
            _ = try await Self.selection(home, environment: ["KEYRING_FILE_PASSWORD": "pw"]).choose()
        }
        #expect(error?.message.contains("automatic choice") == true, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: home.path + "/data/swift-keyring"), "nothing went to the file")
        // The user decides otherwise: that is always honoured.
        let chosen = try await Self.selection(home, environment: ["KEYRING_BACKEND": "file"]).choose()
        #expect(chosen.kind == .file)
        let configured = try await Self.selection(home, configuration: "backend = file\n").choose()
        #expect(configured.kind == .file)
    }

    @Test("where no Secret Service ever answered, the file is chosen, and the first time is marked for the program to say so")
    func firstAutomaticFallback() async throws {
        let home = try TemporaryDirectory()
        let first = try await Self.selection(home).choose()
        #expect(first.kind == .file)
        #expect(first.isFirstAutomaticFallback)
        #expect(first.reason.contains("recorded in"))
        let second = try await Self.selection(home).choose()
        #expect(second.kind == .file)
        #expect(!second.isFirstAutomaticFallback)
        // A Secret Service that appears later is chosen, and from then on kept.
        let later = try await Self.selection(home, secretService: MemoryBackend()).choose()
        #expect(later.kind == .secretService)
        await expectKeyringError(.noStorageAccess) { _ = try await Self.selection(home).choose() }
    }

    @Test("automatic: the encrypted file when no Secret Service answers, in XDG_DATA_HOME")
    func automaticFile() async throws {
        let home = try TemporaryDirectory()
        let choice = try await Self.selection(home).choose()
        #expect(choice.kind == .file)
        #expect(choice.reason.contains("org.freedesktop.secrets"))
        let file = try #require(choice.backend as? EncryptedFileBackend)
        #expect(try file.directory() == home.path + "/data/swift-keyring")
    }

    @Test("today's build has no Secret Service, so automatic picks the file")
    func builtInProbe() async throws {
        let home = try TemporaryDirectory()
        let choice = try await BackendSelection(environment: ["HOME": home.path]).choose()
        #expect(choice.kind == .file)
    }

    @Test(
        "refusing fallback turns a missing Secret Service into an error",
        arguments: [
            (["KEYRING_NO_FALLBACK": "1"], nil), ([:], "fallback = false\n"),
            (["KEYRING_NO_FALLBACK": "true"], "fallback = true"),
        ] as [([String: String], String?)])
    func noFallback(environment: [String: String], configuration: String?) async throws {
        let home = try TemporaryDirectory()
        let error = await expectKeyringError(.noStorageAccess) {
            _ = try await Self.selection(home, environment: environment, configuration: configuration).choose()
        }
        #expect(error?.message.contains("KEYRING_BACKEND=file") == true)
    }

    @Test("KEYRING_NO_FALLBACK=0 beats `fallback = false`")
    func environmentBeatsConfiguration() async throws {
        let home = try TemporaryDirectory()
        let choice = try await Self.selection(home, environment: ["KEYRING_NO_FALLBACK": "0"], configuration: "fallback = false")
            .choose()
        #expect(choice.kind == .file)
    }

    @Test("order: program, then KEYRING_BACKEND, then the configuration file")
    func order() async throws {
        let home = try TemporaryDirectory()
        let configured = try await Self.selection(home, configuration: "# comment\n\nbackend = env  # trailing\n").choose()
        #expect(configured.kind == .env)
        #expect(configured.reason.contains("config"))
        let fromEnvironment = try await Self.selection(
            home, environment: ["KEYRING_BACKEND": "memory"], configuration: "backend = env"
        ).choose()
        #expect(fromEnvironment.kind == .memory)
        let fromProgram = try await Self.selection(
            home, environment: ["KEYRING_BACKEND": "memory"], configuration: "backend = env", backend: .file
        ).choose()
        #expect(fromProgram.kind == .file)
        let auto = try await Self.selection(home, environment: ["KEYRING_BACKEND": "auto"], configuration: "backend = auto")
            .choose()
        #expect(auto.kind == .file)
    }

    @Test("an explicitly chosen Secret Service that is missing is an error, never a fallback")
    func explicitSecretServiceMissing() async throws {
        let home = try TemporaryDirectory()
        await expectKeyringError(.noStorageAccess) {
            _ = try await Self.selection(home, environment: ["KEYRING_BACKEND": "secret-service"]).choose()
        }
        await expectKeyringError(.noStorageAccess) {
            _ = try await Self.selection(home, configuration: "backend = secret-service").choose()
        }
    }

    @Test(
        "bad settings name the culprit",
        arguments: [
            (["KEYRING_BACKEND": "plaintext"], nil, "KEYRING_BACKEND"),
            ([:], "backend = plaintext", "line 1"),
            ([:], "\nbackend file", "line 2"),
            ([:], "fallbak = false", "fallbak"),
            ([:], "fallback = maybe", "maybe"),
            (["KEYRING_NO_FALLBACK": "perhaps"], nil, "KEYRING_NO_FALLBACK"),
        ] as [([String: String], String?, String)])
    func badSettings(environment: [String: String], configuration: String?, culprit: String) async throws {
        let home = try TemporaryDirectory()
        let error = await expectKeyringError(.invalidArgument) {
            _ = try await Self.selection(home, environment: environment, configuration: configuration).choose()
        }
        #expect(error?.message.contains(culprit) == true, "\(String(describing: error))")
    }

    @Test("diagnose lists every backend with usable or why not")
    func diagnose() async throws {
        let home = try TemporaryDirectory()
        let selection = try Self.selection(home, environment: ["KEYRING_FILE_PASSWORD": "pw", "KEYRING_SECRET_A": "x"])
        let diagnoses = await Keyring.diagnose(selection: selection)
        #expect(diagnoses.map(\.backend) == ["secret-service", "file", "env", "memory"])
        #expect(diagnoses[0].isUsable == false)
        #expect(diagnoses[0].reason.contains("org.freedesktop.secrets"))
        #expect(diagnoses[1].isUsable)
        #expect(diagnoses[1].details.contains("password: from KEYRING_FILE_PASSWORD"))
        #expect(diagnoses[2].details.contains("variables: 1"))
        #expect(!diagnoses.map(\.description).joined().contains("pw\n"))
        let noPassword = await Keyring.diagnose(selection: try Self.selection(home))
        #expect(noPassword[1].isUsable == false)
        #expect(noPassword[1].reason.contains("KEYRING_FILE_PASSWORD"))
    }

    @Test("preparing connects only when nothing but the bus can decide the backend")
    func preparingTouchesTheBusOnlyWhenTheChoiceWould() async throws {
        let bus = try await TestBus.startAsync(keyring: true)
        defer { bus.stop() }
        let home = try TemporaryDirectory()
        var environment = bus.environment
        environment["XDG_CONFIG_HOME"] = home.path + "/config"
        let lookup = { (name: String) in environment[name] }

        #expect(BackendSelection.prepare(backend: .file, environment: lookup) == nil)

        try FileManager.default.createDirectory(atPath: home.path + "/config/swift-keyring", withIntermediateDirectories: true)
        try "backend = file\n".write(toFile: home.path + "/config/swift-keyring/config", atomically: true, encoding: .utf8)
        let keyPairOnly = try #require(BackendSelection.prepare(backend: nil, environment: lookup))
        #expect(keyPairOnly.isPending && !keyPairOnly.isConnecting)

        environment["KEYRING_BACKEND"] = "secret-service"
        let connecting = try #require(BackendSelection.prepare(backend: nil, environment: { environment[$0] }))
        #expect(connecting.isConnecting)
        var selection = BackendSelection(environment: environment, preparation: connecting)
        selection.configurationPath = nil
        let choice = try await selection.choose()  // adopts it
        #expect(choice.kind == .secretService)
        #expect(!connecting.isPending)
        await choice.backend.close()
    }

    @Test("configuration path follows XDG_CONFIG_HOME, else HOME")
    func configurationPath() throws {
        #expect(
            BackendSelection(environment: ["XDG_CONFIG_HOME": "/c", "HOME": "/h"]).configurationPath == "/c/swift-keyring/config")
        #expect(BackendSelection(environment: ["HOME": "/h"]).configurationPath == "/h/.config/swift-keyring/config")
        #expect(
            BackendSelection(environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/h"]).configurationPath
                == "/h/.config/swift-keyring/config")
    }
}
