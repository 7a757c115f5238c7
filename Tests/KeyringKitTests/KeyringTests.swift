import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

@Suite("Keyring front")
struct KeyringTests {
    @Test("strings, bytes and secrets round-trip; delete reports what it did")
    func roundTrip() async throws {
        let keyring = Keyring(backend: MemoryBackend())
        try await keyring.set("s3cr3t", service: "example.org", account: "alice")
        #expect(try await keyring.getString(service: "example.org", account: "alice") == "s3cr3t")
        #expect(try await keyring.get(service: "example.org", account: "alice")?.contentType == Secret.textContentType)
        try await keyring.set(bytes: [0xFF, 0x00], service: "example.org", account: "key")
        #expect(try await keyring.getBytes(service: "example.org", account: "key") == [0xFF, 0x00])
        #expect(try await keyring.accounts(service: "example.org") == ["alice", "key"])
        #expect(try await keyring.search(["username": "alice"]).map(\.service) == ["example.org"])
        #expect(try await keyring.delete(service: "example.org", account: "alice"))
        #expect(try await keyring.delete(service: "example.org", account: "alice") == false)
        #expect(try await keyring.getString(service: "example.org", account: "alice") == nil)
    }

    @Test("binary data read as a string is badEncoding, without the value in the message")
    func badEncoding() async throws {
        let keyring = Keyring(backend: MemoryBackend())
        try await keyring.set(bytes: [0xC3, 0x28, 0x41], service: "example.org", account: "bin")
        let error = await expectKeyringError(.badEncoding) {
            _ = try await keyring.getString(service: "example.org", account: "bin")
        }
        #expect(error?.message.contains("getBytes") == true)
    }

    @Test("a front bound to another keyring reads and writes there")
    func otherKeyring() async throws {
        let backend = MemoryBackend()
        try await backend.createKeyring("work", password: nil)
        let work = Keyring(backend: backend).using(keyring: "work")
        try await work.set("w", service: "s", account: "a")
        #expect(try await Keyring(backend: backend).getString(service: "s", account: "a") == nil)
        #expect(try await work.getString(service: "s", account: "a") == "w")
        try await work.lock()
        #expect(try await work.isLocked())
        await expectKeyringError(.locked) { _ = try await work.get(service: "s", account: "a") }
        try await work.unlock()
        #expect(try await work.keyrings().map(\.name) == ["default", "work"])
    }

    @Test("errors describe themselves with a stable code")
    func errorDescription() {
        let error = KeyringError(.locked, "the keyring 'x' is locked; unlock it")
        #expect(error.description == "locked: the keyring 'x' is locked; unlock it")
        #expect(KeyringError.Code.noEntry.rawValue == "no-entry")
        #expect(Set(KeyringError.Code.known.map(\.rawValue)).count == KeyringError.Code.known.count)
        // Codes are matched like enum cases, and a switch over them needs a default: a code a
        // later version adds cannot break it.
        switch error.code {
        case .noEntry: Issue.record("not noEntry")
        case .locked: break
        default: Issue.record("not another code")
        }
    }

    @Test("a third-party backend gets unsupported keyring management for free")
    func thirdPartyDefaults() async throws {
        struct Minimal: KeyringBackend {
            let name = "minimal"
            func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret? { nil }
            func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?)
                async throws(KeyringError)
            {}
            func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool { false }
            func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String] { [] }
            func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry] { [] }
            func diagnose() async -> BackendDiagnosis { BackendDiagnosis(backend: name, isUsable: true, reason: "always") }
        }
        let keyring = Keyring(backend: Minimal())
        let error = await expectKeyringError(.unsupported) { _ = try await keyring.keyrings() }
        #expect(error?.message.contains("minimal") == true)
        await expectKeyringError(.unsupported) { try await keyring.createKeyring("x") }
        await expectKeyringError(.unsupported) { try await keyring.lock() }
        #expect(try await keyring.get(service: "s", account: "a") == nil)
    }
}

/// An empty keyring name once reached gnome-keyring's in-memory `session` collection (its
/// label is empty): every backend refuses it, and other names no keyring can have.
@Suite("keyring names")
struct KeyringNameTests {
    static let invalid = ["", "   ", "tab\there", "esc\u{1b}[0m", "nul\u{0}", String(repeating: "n", count: 256)]

    @Test("every built-in backend and the front refuse empty and invalid keyring names")
    func refused() async throws {
        let directory = try TemporaryDirectory()
        let backends: [any KeyringBackend] = [
            MemoryBackend(), EnvironmentBackend(environment: [:]),
            EncryptedFileBackend(directory: directory.keyrings, password: SecureBytes(utf8: "pw"), kdf: .minimum),
            SecretServiceBackend(client: SecretServiceClient(options: .init(bus: .address("unix:path=/nonexistent/bus")))),
        ]
        for backend in backends {
            for name in Self.invalid {
                await #expect(throws: KeyringError.self, "\(backend.name) \(name.debugDescription)") {
                    try await backend.set(Secret("x"), service: "s", account: "a", keyring: name, label: nil)
                }
                await #expect("\(backend.name) get") {
                    _ = try await backend.get(service: "s", account: "a", keyring: name)
                } throws: { ($0 as? KeyringError)?.code == .invalidArgument }
                let front = Keyring(backend: backend, keyring: name)
                await #expect("\(backend.name) front") {
                    _ = try await front.get(service: "s", account: "a")
                } throws: { ($0 as? KeyringError)?.code == .invalidArgument }
                await #expect("\(backend.name) lock") {
                    try await front.lock()
                } throws: { ($0 as? KeyringError)?.code == .invalidArgument }
            }
        }
    }
}
