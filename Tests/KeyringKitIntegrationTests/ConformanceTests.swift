import Foundation
import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

/// One suite, run against every backend. Read tests seed entries through the fixture (through
/// `set`, or the environment for the read-only env backend); write tests check that writes work,
/// or that a read-only backend refuses them with `unsupported` and changes nothing.
@Suite("Backend conformance")
struct ConformanceTests {
    static let seed = [
        SeedEntry("example.org", "alice", Secret("alice's password")),
        SeedEntry("example.org", "bob", Secret("bob's password")),
        SeedEntry("example.org", "carol", Secret("carol's password")),
        SeedEntry("other.example", "alice", Secret("other password")),
    ]

    @Test("get of an absent entry is nil", arguments: BackendFixture.all)
    func getAbsent(fixture: BackendFixture) async throws {
        let instance = try await fixture.make(Self.seed)
        let backend = instance.backend
        #expect(try await backend.get(service: "example.org", account: "dave", keyring: nil) == nil)
        #expect(try await backend.get(service: "nowhere.example", account: "alice", keyring: nil) == nil)
        #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) == Secret("alice's password"))
    }

    @Test("set, get, and replace touch exactly one entry", arguments: BackendFixture.all)
    func setGetReplace(fixture: BackendFixture) async throws {
        let instance = try await fixture.make(Self.seed)
        let backend = instance.backend
        if fixture.isReadOnly {
            let error = await expectKeyringError(.unsupported) {
                try await backend.set(Secret("new"), service: "example.org", account: "alice", keyring: nil, label: nil)
            }
            #expect(error?.description.contains("new") == false)
            #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) == Secret("alice's password"))
            return
        }
        try await backend.set(Secret("fresh"), service: "new.example", account: "erin", keyring: nil, label: "Erin's")
        #expect(try await backend.get(service: "new.example", account: "erin", keyring: nil) == Secret("fresh"))

        try await backend.set(Secret("replaced"), service: "example.org", account: "alice", keyring: nil, label: nil)
        #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) == Secret("replaced"))
        #expect(try await backend.get(service: "example.org", account: "bob", keyring: nil) == Secret("bob's password"))
        #expect(try await backend.get(service: "other.example", account: "alice", keyring: nil) == Secret("other password"))
        #expect(try await backend.accounts(service: "example.org", keyring: nil) == ["alice", "bob", "carol"])
        let found = try await backend.search(attributes: ["service": "new.example"], keyring: nil)
        #expect(found.map(\.account) == ["erin"])
        #expect(found.first?.label == "Erin's")
        #expect(try await backend.search(attributes: [:], keyring: nil).count == Self.seed.count + 1)
    }

    @Test("delete returns true, then false", arguments: BackendFixture.all)
    func deleteTwice(fixture: BackendFixture) async throws {
        let instance = try await fixture.make(Self.seed)
        let backend = instance.backend
        if fixture.isReadOnly {
            await expectKeyringError(.unsupported) {
                _ = try await backend.delete(service: "example.org", account: "alice", keyring: nil)
            }
            #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) != nil)
            return
        }
        #expect(try await backend.delete(service: "example.org", account: "alice", keyring: nil))
        #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) == nil)
        #expect(try await backend.delete(service: "example.org", account: "alice", keyring: nil) == false)
        #expect(try await backend.get(service: "other.example", account: "alice", keyring: nil) == Secret("other password"))
        #expect(try await backend.delete(service: "never.example", account: "x", keyring: nil) == false)
    }

    @Test("accounts lists one service's accounts, sorted", arguments: BackendFixture.all)
    func accounts(fixture: BackendFixture) async throws {
        let instance = try await fixture.make(Self.seed)
        let backend = instance.backend
        #expect(
            try await backend.accounts(service: "example.org", keyring: nil)
                == ["alice", "bob", "carol"].map(fixture.listedAccount))
        #expect(try await backend.accounts(service: "other.example", keyring: nil) == ["alice"].map(fixture.listedAccount))
        #expect(try await backend.accounts(service: "nowhere.example", keyring: nil) == [])
    }

    @Test("search matches service and username attributes", arguments: BackendFixture.all)
    func search(fixture: BackendFixture) async throws {
        let instance = try await fixture.make(Self.seed)
        let backend = instance.backend
        let byService = try await backend.search(attributes: ["service": "example.org"], keyring: nil)
        #expect(byService.map(\.account) == ["alice", "bob", "carol"].map(fixture.listedAccount))
        #expect(byService.allSatisfy { $0.service == "example.org" })
        let one = try await backend.search(attributes: ["service": "example.org", "username": "bob"], keyring: nil)
        #expect(one.count == 1)
        #expect(one.first?.attributes["service"] == "example.org")
        #expect(try await backend.search(attributes: ["service": "nowhere.example"], keyring: nil).isEmpty)
        #expect(try await backend.search(attributes: ["no-such-attribute": "x"], keyring: nil).isEmpty)
        let everything = try await backend.search(attributes: [:], keyring: nil)
        #expect(everything.count == Self.seed.count)
        // Metadata only: no value appears anywhere in what search returns.
        #expect(!"\(everything)".contains("password"))
    }

    @Test("all 256 byte values survive", arguments: BackendFixture.binary)
    func allByteValues(fixture: BackendFixture) async throws {
        let bytes = (0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) }
        let instance = try await fixture.make([SeedEntry("bytes.example", "all", Secret(bytes: bytes))])
        let secret = try #require(try await instance.backend.get(service: "bytes.example", account: "all", keyring: nil))
        #expect(secret.bytes.unprotectedArray == bytes)
        #expect(secret.contentType == Secret.binaryContentType)
    }

    @Test("an empty secret is present, not absent", arguments: BackendFixture.all)
    func emptySecret(fixture: BackendFixture) async throws {
        let instance = try await fixture.make([SeedEntry("empty.example", "nobody", Secret(""))])
        let secret = try #require(try await instance.backend.get(service: "empty.example", account: "nobody", keyring: nil))
        #expect(secret.count == 0)
    }

    @Test("a 1 MiB secret survives", arguments: BackendFixture.all)
    func largeSecret(fixture: BackendFixture) async throws {
        // Printable text so the env backend can hold it too. (16 KiB on the libsecret mock.)
        let size = fixture.largeSecretSize
        let text = String(decoding: (0..<size).map { UInt8(0x21 + ($0 * 7919) % 94) }, as: UTF8.self)
        let instance = try await fixture.make([SeedEntry("big.example", "large", Secret(text))])
        let secret = try #require(try await instance.backend.get(service: "big.example", account: "large", keyring: nil))
        #expect(secret.count == size)
        #expect(secret.stringValue == text)
    }

    @Test("unicode service and account names", arguments: BackendFixture.all)
    func unicodeNames(fixture: BackendFixture) async throws {
        let service = "café ☕ 東京"
        let account = "zoë 👩‍💻"
        let instance = try await fixture.make([SeedEntry(service, account, Secret("ünïcödé"))])
        let backend = instance.backend
        #expect(try await backend.get(service: service, account: account, keyring: nil) == Secret("ünïcödé"))
        #expect(try await backend.accounts(service: service, keyring: nil) == [fixture.listedAccount(account)])
        if !fixture.isReadOnly {
            #expect(try await backend.get(service: "cafe ☕ 東京", account: account, keyring: nil) == nil)
        }
    }

    @Test("an empty service or a NUL is refused", arguments: BackendFixture.all)
    func invalidNames(fixture: BackendFixture) async throws {
        let instance = try await fixture.make([])
        let backend = instance.backend
        await expectKeyringError(.invalidArgument) { _ = try await backend.get(service: "", account: "a", keyring: nil) }
        await expectKeyringError(.invalidArgument) { _ = try await backend.get(service: "a\0b", account: "a", keyring: nil) }
        await expectKeyringError(.invalidArgument) { _ = try await backend.accounts(service: "", keyring: nil) }
    }

    @Test("keyrings: create, list, lock, unlock, delete", arguments: BackendFixture.withKeyrings)
    func keyringManagement(fixture: BackendFixture) async throws {
        let instance = try await fixture.make(Self.seed)
        let backend = instance.backend
        let password = SecureBytes(utf8: BackendFixture.keyringPassword)
        try await backend.createKeyring("work", password: password)
        await expectKeyringError(.alreadyExists) { try await backend.createKeyring("work", password: password) }
        await expectKeyringError(.invalidArgument) { try await backend.createKeyring("../escape", password: password) }

        try await backend.set(Secret("work secret"), service: "example.org", account: "alice", keyring: "work", label: nil)
        #expect(try await backend.get(service: "example.org", account: "alice", keyring: "work") == Secret("work secret"))
        #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) == Secret("alice's password"))
        #expect(try await backend.accounts(service: "example.org", keyring: "work") == ["alice"])

        let listed = try await backend.keyrings()
        let defaultName = try #require(fixture.defaultKeyringName)
        #expect(Set(listed.map(\.name)).isSuperset(of: [defaultName, "work"]))
        #expect(listed.filter(\.isDefault).map(\.name) == [defaultName])

        try await backend.lock(keyring: "work")
        #expect(try await backend.isLocked(keyring: "work"))
        #expect(try await backend.isLocked(keyring: nil) == false)
        await expectKeyringError(.wrongPassword) {
            try await backend.unlock(keyring: "work", password: SecureBytes(utf8: "not the password"))
        }
        #expect(try await backend.isLocked(keyring: "work"))
        try await backend.unlock(keyring: "work", password: password)
        #expect(try await backend.isLocked(keyring: "work") == false)
        #expect(try await backend.get(service: "example.org", account: "alice", keyring: "work") == Secret("work secret"))

        try await backend.deleteKeyring("work")
        #expect(try await backend.keyrings().map(\.name).contains("work") == false)
        await expectKeyringError(.noSuchKeyring) {
            _ = try await backend.get(service: "example.org", account: "alice", keyring: "work")
        }
        await expectKeyringError(.noSuchKeyring) { try await backend.deleteKeyring("work") }
        #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) == Secret("alice's password"))
    }

    /// A Secret Service without gnome-keyring's master password interface: a keyring cannot be
    /// made with a password (that needs the server's own dialog, if it has one), and the ones it
    /// has lock and unlock as that server does (``ServerProfile/unlockPrompt``).
    @Test(
        "keyrings on a Secret Service other than gnome-keyring",
        arguments: BackendFixture.all.filter { $0.server != nil && !$0.supportsKeyrings })
    func keyringManagementElsewhere(fixture: BackendFixture) async throws {
        let server = try #require(fixture.server)
        let instance = try await fixture.make(Self.seed)
        let backend = instance.backend
        let error = await expectKeyringError(.unsupported) {
            try await backend.createKeyring("work", password: SecureBytes(utf8: BackendFixture.keyringPassword))
        }
        #expect(error?.description.contains(BackendFixture.keyringPassword) == false)
        let listed = try await backend.keyrings()
        #expect(listed.filter(\.isDefault).count == 1, "\(listed)")
        if let name = fixture.defaultKeyringName { #expect(listed.filter(\.isDefault).map(\.name) == [name]) }

        try await backend.lock(keyring: nil)
        #expect(try await backend.isLocked(keyring: nil))
        switch server.profile.unlockPrompt {
        case .none, .completes:
            try await backend.unlock(keyring: nil, password: nil)
            #expect(try await backend.isLocked(keyring: nil) == false)
            #expect(try await backend.get(service: "example.org", account: "alice", keyring: nil) == Secret("alice's password"))
        case .dismissed, .neverCompletes:
            // KeePassXC asks for the database password in a dialog: headless, it never answers.
            await expectKeyringError(.timedOut) { try await backend.unlock(keyring: nil, password: nil) }
            #expect(try await backend.isLocked(keyring: nil))
        }
    }

    @Test(
        "keyring management without keyrings is unsupported",
        arguments: BackendFixture.all.filter { $0.server == nil && !$0.supportsKeyrings })
    func keyringManagementUnsupported(fixture: BackendFixture) async throws {
        let instance = try await fixture.make([])
        let backend = instance.backend
        let keyrings = try await backend.keyrings()
        #expect(keyrings.count == 1)
        #expect(keyrings.first?.isDefault == true)
        #expect(try await backend.isLocked(keyring: nil) == false)
        await expectKeyringError(.unsupported) { try await backend.createKeyring("work", password: nil) }
        await expectKeyringError(.unsupported) { try await backend.deleteKeyring("work") }
        await expectKeyringError(.unsupported) { try await backend.lock(keyring: nil) }
        await expectKeyringError(.unsupported) { try await backend.unlock(keyring: nil, password: nil) }
    }

    @Test("diagnose says usable", arguments: BackendFixture.all)
    func diagnose(fixture: BackendFixture) async throws {
        let instance = try await fixture.make([])
        let diagnosis = await instance.backend.diagnose()
        #expect(diagnosis.backend == fixture.name)
        #expect(diagnosis.isUsable, "\(diagnosis)")
        #expect(!diagnosis.reason.isEmpty)
    }
}
