import Foundation
@testable import KeyringKit
import KeyringSystem
import Testing
import TestSupport

/// Backends a program adds to a BackendSelection by name (BackendProvider): chosen like the
/// built-in ones by KEYRING_BACKEND, `backend =` and their `NAME.key` lines, listed by
/// diagnose, and never chosen automatically. No bus: the Secret Service probe is a fake.
@Suite("Backend providers")
struct BackendProviderTests {
    /// A provider whose backend is a memory backend named `team`, remembering what it was given.
    final class Recorder: @unchecked Sendable {
        let lock = NSLock()
        var contexts: [BackendProvider.Context] = []
    }

    static func provider(_ recorder: Recorder, failing: Bool = false) -> BackendProvider {
        BackendProvider(name: "Team", aliases: ["shared"]) { context throws(KeyringError) in
            recorder.lock.withLock { recorder.contexts.append(context) }
            if failing { throw KeyringError(.noStorageAccess, "the team store is down") }
            if let bad = context.settings.first(where: { $0.key != "address" }) {
                throw KeyringError(.invalidArgument, "\(bad.origin): unknown setting 'team.\(bad.key)'")
            }
            return NamedBackend()
        }
    }

    /// A memory backend that answers to another name.
    struct NamedBackend: KeyringBackend {
        let storage = MemoryBackend()
        var name: String { "team" }
        func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret? {
            try await storage.get(service: service, account: account, keyring: keyring)
        }
        func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?) async throws(KeyringError)
        {
            try await storage.set(secret, service: service, account: account, keyring: keyring, label: label)
        }
        func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool {
            try await storage.delete(service: service, account: account, keyring: keyring)
        }
        func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String] {
            try await storage.accounts(service: service, keyring: keyring)
        }
        func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry] {
            try await storage.search(attributes: attributes, keyring: keyring)
        }
        func diagnose() async -> BackendDiagnosis { BackendDiagnosis(backend: name, isUsable: true, reason: "always") }
    }

    static func selection(
        _ home: TemporaryDirectory, environment: [String: String] = [:], configuration: String? = nil,
        providers: [BackendProvider], backend: BackendKind? = nil
    ) throws -> BackendSelection {
        var env = ["HOME": home.path, "XDG_DATA_HOME": home.path + "/data", "XDG_CONFIG_HOME": home.path + "/config"]
        env.merge(environment) { $1 }
        if let configuration {
            try FileManager.default.createDirectory(
                atPath: home.path + "/config/swift-keyring", withIntermediateDirectories: true)
            try configuration.write(toFile: home.path + "/config/swift-keyring/config", atomically: true, encoding: .utf8)
        }
        var selection = BackendSelection(backend: backend, environment: env, providers: providers)
        selection.secretServiceProbe = { _, _ in .failure(KeyringError(.noStorageAccess, "no bus in this test")) }
        return selection
    }

    @Test("KEYRING_BACKEND chooses a provider by name or alias, in any case")
    func byEnvironment() async throws {
        let home = try TemporaryDirectory()
        let recorder = Recorder()
        for name in ["team", "TEAM", " shared "] {
            let choice = try await Self.selection(
                home, environment: ["KEYRING_BACKEND": name], providers: [Self.provider(recorder)]
            ).choose()
            #expect(choice.kind.rawValue == "team")
            #expect(!choice.kind.isBuiltIn)
            #expect(choice.backend.name == "team")
            #expect(choice.reason == "KEYRING_BACKEND=team")
        }
        #expect(recorder.contexts.count == 3)
        #expect(recorder.contexts.first?.environment["HOME"] == home.path)
    }

    @Test("`backend = NAME` chooses it, and its `NAME.key` lines (or an alias's) reach it, in order")
    func byConfiguration() async throws {
        let home = try TemporaryDirectory()
        let recorder = Recorder()
        let text =
            "backend = shared\nteam.address = https://one.example\nfallback = false\nSHARED.Address = https://two.example\n"
        let choice = try await Self.selection(home, configuration: text, providers: [Self.provider(recorder)]).choose()
        #expect(choice.kind.rawValue == "team")
        #expect(choice.reason.hasPrefix("backend = team in "))
        let settings = try #require(recorder.contexts.first?.settings)
        #expect(settings.map(\.key) == ["address", "address"])
        #expect(settings.map(\.value) == ["https://one.example", "https://two.example"])
        #expect(settings.first?.origin.hasSuffix("config line 2") == true)
        // KEYRING_BACKEND chooses it too, with the file's settings.
        let byName = try await Self.selection(
            home, environment: ["KEYRING_BACKEND": "team"], providers: [Self.provider(recorder)]
        ).choose()
        #expect(byName.kind.rawValue == "team")
        #expect(recorder.contexts.last?.settings.count == 2)
    }

    @Test("the provider's own checks name the line; dotted keys of no provider are errors")
    func badSettings() async throws {
        let home = try TemporaryDirectory()
        let recorder = Recorder()
        let error = await expectKeyringError(.invalidArgument) {
            _ = try await Self.selection(
                home, configuration: "backend = team\nteam.adress = x\n", providers: [Self.provider(recorder)]
            ).choose()
        }
        #expect(error?.message.contains("line 2") == true, "\(String(describing: error))")
        let other = try TemporaryDirectory()
        let unknown = await expectKeyringError(.invalidArgument) {
            _ = try await Self.selection(
                other, configuration: "backend = file\nvault.address = x\n", providers: [Self.provider(recorder)]
            ).choose()
        }
        #expect(unknown?.message.contains("unknown setting 'vault.address'") == true, "\(String(describing: unknown))")
        #expect(unknown?.message.contains("team.*") == true, "\(String(describing: unknown))")
    }

    @Test("without the provider its name is not a backend, and the message lists what is")
    func withoutProvider() async throws {
        let home = try TemporaryDirectory()
        let error = await expectKeyringError(.invalidArgument) {
            _ = try await Self.selection(home, environment: ["KEYRING_BACKEND": "team"], providers: []).choose()
        }
        #expect(error?.message.contains("'team' is not a backend") == true, "\(String(describing: error))")
        let configured = await expectKeyringError(.invalidArgument) {
            _ = try await Self.selection(home, configuration: "backend = team\n", providers: []).choose()
        }
        #expect(configured?.message.contains("line 1") == true)
        // A program that insists on a kind it has no provider for gets an error, not another backend.
        let insisted = await expectKeyringError(.invalidArgument) {
            _ = try await Self.selection(home, providers: [], backend: Self.provider(Recorder()).kind).choose()
        }
        #expect(insisted?.message.contains("does not have it") == true)
    }

    @Test("a program can insist on a provider's kind; the automatic choice never picks one")
    func insistAndAutomatic() async throws {
        let home = try TemporaryDirectory()
        let recorder = Recorder()
        let provider = Self.provider(recorder)
        let insisted = try await Self.selection(home, providers: [provider], backend: provider.kind).choose()
        #expect(insisted.kind == provider.kind)
        let automatic = try await Self.selection(
            home, environment: ["KEYRING_FILE_PASSWORD": "pw"], providers: [provider]
        ).choose()
        #expect(automatic.kind == .file)
    }

    @Test("diagnose lists the providers after the built-in backends, failures as unusable")
    func diagnose() async throws {
        let home = try TemporaryDirectory()
        let working = try await Self.selection(home, providers: [Self.provider(Recorder())]).diagnose()
        #expect(working.map(\.backend) == ["secret-service", "file", "env", "memory", "team"])
        #expect(working.last?.isUsable == true)
        let failing = try await Self.selection(home, providers: [Self.provider(Recorder(), failing: true)]).diagnose()
        #expect(failing.last?.isUsable == false)
        #expect(failing.last?.reason == "the team store is down")
    }

    @Test("BackendKind: the built-in names parse, others do not; a switch needs a default")
    func kinds() {
        #expect(BackendKind(rawValue: "file") == .file)
        #expect(BackendKind(rawValue: "team") == nil)
        #expect(BackendKind.allCases.map(\.rawValue) == ["secret-service", "file", "env", "memory"])
        #expect(BackendKind.allCases.allSatisfy { $0.isBuiltIn })
        func describe(_ kind: BackendKind) -> String {
            switch kind {
            case .secretService: "desktop"
            case .file: "file"
            default: "other"
            }
        }
        #expect(describe(Self.provider(Recorder()).kind) == "other")
        #expect(describe(.file) == "file")
    }
}
