// The Secret Service backend against the ways of servers other than gnome-keyring, as
// HostileSecretService emulates them: what a user of KWallet, KeePassXC or pass-secret-service
// gets from `set`, `get`, `list`, `search` and `lock`.

import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

@Suite("The Secret Service backend against other servers' ways")
struct OtherServersBackendTests {
    /// A private bus with a HostileSecretService and a backend on it (prompts as `allowsPrompts`).
    static func withServer<T>(allowsPrompts: Bool = false, _ body: (HostileSecretService, SecretServiceBackend) async throws -> T)
        async throws -> T
    {
        let bus = try await TestBus.startAsync(keyring: false)
        defer { bus.stop() }
        let server = try await HostileSecretService.start(on: bus.address)
        defer { server.stop() }
        let client = SecretServiceClient(
            options: .init(
                bus: .address(bus.address), callTimeout: .seconds(10), promptTimeout: .seconds(10), allowsPrompts: allowsPrompts))
        let backend = SecretServiceBackend(client: client)
        defer { Task { await client.close() } }
        return try await body(server, backend)
    }

    @Test func textWithANulComesBackWhole() async throws {
        try await Self.withServer { server, backend in
            server.behave { $0.textCutAtNUL = true }  // KWallet keeps text/* as a string cut at NUL
            let bytes: [UInt8] = Array("a\u{0}b".utf8)
            try await backend.set(
                Secret(bytes: bytes, contentType: Secret.textContentType), service: "nul.example", account: "a", keyring: nil,
                label: nil)
            #expect(try await backend.get(service: "nul.example", account: "a", keyring: nil)?.bytes.unprotectedArray == bytes)
            #expect(server.items.last?.contentType == Secret.binaryContentType)
            // Text without NUL stays text/plain (KWallet shows it as a password).
            try await backend.set(Secret("plain"), service: "text.example", account: "a", keyring: nil, label: nil)
            #expect(server.items.last?.contentType == Secret.textContentType)
            #expect(try await backend.get(service: "text.example", account: "a", keyring: nil) == Secret("plain"))
        }
    }

    @Test func aFailedSetLeavesNothingAndKeepsWhatWasThere() async throws {
        try await Self.withServer { server, backend in
            server.behave { $0.createItemFailsAfterCreating = true }  // KWallet: the item first, then the secret
            await expectKeyringError(.backendFailure) {
                try await backend.set(Secret("lost"), service: "half.example", account: "a", keyring: nil, label: nil)
            }
            #expect(server.items.filter { $0.attributes["service"] == "half.example" }.isEmpty)
            #expect(try await backend.get(service: "half.example", account: "a", keyring: nil) == nil)
            // An update fails before it changes anything, and the old value stays.
            server.behaveWell()
            try await backend.set(Secret("old"), service: "kept.example", account: "a", keyring: nil, label: nil)
            server.behave {
                $0.replies["SetSecret"] = .error(
                    name: "org.freedesktop.DBus.Error.InvalidObjectPath", message: "Can't find session")
            }
            await expectKeyringError(.backendFailure) {
                try await backend.set(Secret("new"), service: "kept.example", account: "a", keyring: nil, label: nil)
            }
            server.behaveWell()
            #expect(try await backend.get(service: "kept.example", account: "a", keyring: nil) == Secret("old"))
        }
    }

    @Test func aServerThatKeepsOnlyTextSaysSoAndLosesNothing() async throws {
        try await Self.withServer { server, backend in
            server.behave { $0.utf8OnlyError = "org.freedesktop.DBus.Python.UnicodeDecodeError" }  // pass-secret-service
            let binary = Secret(bytes: [0xFF, 0xFE, 0x00, 0x80])
            let error = await expectKeyringError(.unsupported) {
                try await backend.set(binary, service: "bin.example", account: "a", keyring: nil, label: nil)
            }
            #expect(error?.message.contains("not UTF-8") == true, "\(String(describing: error))")
            #expect(server.items.filter { $0.attributes["service"] == "bin.example" }.isEmpty)
            try await backend.set(Secret("text"), service: "bin.example", account: "a", keyring: nil, label: nil)
            await expectKeyringError(.unsupported) {
                try await backend.set(binary, service: "bin.example", account: "a", keyring: nil, label: nil)
            }
            #expect(try await backend.get(service: "bin.example", account: "a", keyring: nil) == Secret("text"))
        }
    }

    @Test func keePassXCListsAndReportsItsLockedDatabaseAsLocked() async throws {
        try await Self.withServer { server, backend in
            server.behave {
                $0.emptySearchFindsNothing = true
                $0.lockedHidesItems = true
            }
            try await backend.set(Secret("one"), service: "kpx.example", account: "alice", keyring: nil, label: nil)
            try await backend.set(Secret("two"), service: "kpx.example", account: "bob", keyring: nil, label: nil)
            #expect(try await backend.search(attributes: [:], keyring: nil).map(\.account) == ["alice", "bob"])
            #expect(try await backend.search(attributes: [:], keyring: "login").map(\.account) == ["alice", "bob"])
            #expect(try await backend.accounts(service: "kpx.example", keyring: nil) == ["alice", "bob"])
            server.setLocked(true)
            // Prompts are not allowed here: locked, not "no such entry", not an empty list.
            await expectKeyringError(.locked) {
                _ = try await backend.get(service: "kpx.example", account: "alice", keyring: nil)
            }
            await expectKeyringError(.locked) {
                _ = try await backend.get(service: "kpx.example", account: "alice", keyring: "login")
            }
            await expectKeyringError(.locked) { _ = try await backend.search(attributes: [:], keyring: nil) }
            await expectKeyringError(.locked) { _ = try await backend.accounts(service: "kpx.example", keyring: nil) }
        }
        // With prompts allowed the database is unlocked (the prompt completes) and found.
        try await Self.withServer(allowsPrompts: true) { server, backend in
            server.behave { $0.lockedHidesItems = true }
            try await backend.set(Secret("one"), service: "kpx.example", account: "alice", keyring: nil, label: nil)
            server.setLocked(true)
            #expect(try await backend.get(service: "kpx.example", account: "alice", keyring: nil) == Secret("one"))
            #expect(!server.isLocked)
        }
    }

    @Test func lockingALockedKeyringIsSuccess() async throws {
        try await Self.withServer { server, backend in
            server.behave { $0.lockOfLockedFails = true }  // KWallet
            try await backend.lock(keyring: nil)
            try await backend.lock(keyring: nil)
            #expect(try await backend.isLocked(keyring: nil))
        }
    }

    @Test func passwordsWithoutAPromptNeedGnomeKeyring() async throws {
        try await Self.withServer { _, backend in
            let error = await expectKeyringError(.unsupported) {
                try await backend.unlock(keyring: nil, password: SecureBytes(utf8: "pw"))
            }
            #expect(error?.message.contains("InternalUnsupportedGuiltRiddenInterface") == true)
            await expectKeyringError(.unsupported) { try await backend.createKeyring("new", password: SecureBytes(utf8: "pw")) }
        }
    }
}
