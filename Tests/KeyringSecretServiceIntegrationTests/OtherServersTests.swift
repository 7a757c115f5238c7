// The client against the ways of servers other than gnome-keyring, as HostileSecretService
// emulates them (each switch names the server): KWallet's DH bugs, its half-written items and
// its lock errors; KeePassXC's empty searches, hidden locked databases and dismissed lock
// prompts; the servers without gnome-keyring's prompt-free interface. The real servers are run
// by the per-server suites; these pin the client's side down, one behaviour at a time.

import KeyringDBus
import KeyringDH
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

@Suite("The client against other servers' ways")
struct OtherServersTests {
    typealias F = HostileFixture

    /// The client keys the server received, in order.
    static func clientKeys(_ server: HostileSecretService) throws -> [[UInt8]] {
        try server.calls.filter { $0.member == "OpenSession" }.map { try $0.arguments[1].asVariant().asBytes() }
    }

    /// Private keys found offline (Python's big integers), since a search in a debug build takes
    /// seconds: `bad` gives a public key that starts with 0xFF 0x9F (KWallet reads it as
    /// negative); with `server` on the other side, each of `zeroTopByte` gives a shared secret
    /// whose top byte is zero (KWallet hashes it without that byte).
    enum Keys {
        static let bad = hex(
            "00d93ca10bc547d874529e88575b5e85ce7cb2c6c0dbdaeb8b56177dfb51d4f77d21b22d3dfd013f3154cf5f6e0084e9dd8c700f95f3716e"
                + "a10f9de0d271fd54140093f7873f8224dda18d804211bae790fad4b22a0fdadd05d96b550b65393f929976111d0f8a2ea87fa333a767446"
                + "990db394ae28a7124bebd9bedb2b76c61")
        static let server = hex(
            "009c2e7c45c0ce37462cec424837a71e52ee8eb0ae89a9d4b5f08f95a498554b9af89207fa85a135da29eaeece42a14ff3b4575232e92779"
                + "bf16e66019cc6802b590eff44c0d66168d92fab1e390433ec8493cfb5b3e279ac79ee2d5a72f37a665cb148b1e05dd36c45b3af7d90135"
                + "c6fdb9b3b2418dbf094e27366dfb5e31f7")
        static let zeroTopByte = [
            hex(
                "0080cecf2bc5ff1e60dbbff33994870e5d9323a2210cef0865290dccfb917632285629a7f2982abc96d8e6775f687b3d0ba1638793fdb8"
                    + "57120cdb464b20290779803dfe486a586e9ec93471ee8086a36414c4ad453db0ae4b232c770df0e6de54cc00bda089a1d036a3eec5b1"
                    + "34cd777670cf4f3ae183211c55b01f5f557943"),
            hex(
                "00eaad190e4faab0cb90b7e3be42542bbddf532fce153a4e17cb054ef0bb86b7ba0ccff54cc1cac9c9295bdc7f3058abc1f0076abb9a34"
                    + "9fd69c8404efee0273dd041021e598032f58764ee1cb7f2ef1a5df88326b48471a7825b59becdae47269f267b5627c565942d719a206"
                    + "1b4f1c96ef23e35ca5b7d7174303cf77d96c9c"),
        ]

        static func hex(_ text: String) -> [UInt8] {
            let digits = Array(text.utf8)
            return stride(from: 0, to: digits.count, by: 2).map {
                UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
            }
        }

        static func pair(_ privateKey: [UInt8]) throws -> DHKeyPair {
            try DHKeyPair(group: .ietf1024, privateKey: privateKey)
        }
    }

    @Test func kwalletSessionsWorkEveryTime() async throws {
        let server = try Keys.pair(Keys.server)
        let unlucky = try Keys.zeroTopByte.map(Keys.pair)
        try await withHostile { f in
            f.server.behave { $0.kwalletSessions = true }
            // Fresh sessions, each writing and reading; every fourth one starts with keys whose
            // shared secret has a zero top byte (one in 256 by chance). The server keeps its
            // key for the round: the replacement session's client key is a fresh one.
            for round in 0..<24 {
                let prepared = round % 4 == 0 ? unlucky[(round / 4) % unlucky.count] : nil
                f.server.behave { $0.keyPair = prepared == nil ? nil : server }
                let client = SecretServiceClient(
                    options: f.client().options, preparation: prepared.map { SecretServicePreparation(keyPair: $0) })
                let login = try await client.defaultCollection()
                let attributes = ["round": "\(round)"]
                let value: [UInt8] = [0, 1, 2, UInt8(round)]
                try await login.store(label: "round", attributes: attributes, secret: Secret(bytes: value))
                #expect(try await client.lookup(attributes)?.bytes.unprotectedArray == value, "round \(round)")
                await client.close()
            }
            // Every client key went out as 128 bytes (KWallet refuses shorter ones); 30 sessions
            // at least (a random one too has a zero top byte once in 256).
            let keys = try Self.clientKeys(f.server)
            #expect(keys.count >= 24 + 6)
            #expect(keys.allSatisfy { $0.count == 128 })
        }
    }

    @Test func aClientKeyKWalletWouldReadAsNegativeIsDrawnAgain() async throws {
        let bad = try Keys.pair(Keys.bad)
        #expect(bad.publicKey[0] == 0xFF && bad.publicKey[1] >= 0x80)
        #expect(!SecretSession.isAcceptedEverywhere(bad.publicKey))
        #expect(SecretSession.isAcceptedEverywhere([0xFF, 0x7F] + [UInt8](repeating: 0xFF, count: 126)))
        #expect(SecretSession.isAcceptedEverywhere([0xFE, 0xFF] + [UInt8](repeating: 0xFF, count: 126)))
        for _ in 0..<20 { #expect(SecretSession.isAcceptedEverywhere(SecretSession.makeKeyPair().publicKey)) }
        try await withHostile { f in
            f.server.behave { $0.kwalletSessions = true }
            let connection = try await DBusConnection.connect(to: .address(f.bus.address))
            defer { connection.close() }
            let session = try await SecretSession.open(on: connection, algorithm: .diffieHellman, keyPair: bad)
            _ = await session.waitForKey()  // false in one session of 256 (a zero top byte): replaced by the client
            let sent = try #require(try Self.clientKeys(f.server).last)
            #expect(sent != bad.publicKey)
            #expect(SecretSession.isAcceptedEverywhere(sent))
            // Through a client too: the prepared key is replaced and the secret reads right.
            let client = SecretServiceClient(options: f.client().options, preparation: SecretServicePreparation(keyPair: bad))
            #expect(try await client.lookup(F.attributes)?.stringValue == F.secret)
            #expect(try Self.clientKeys(f.server).last != bad.publicKey)
            await client.close()
        }
    }

    @Test func aSharedSecretWithAZeroTopByteGetsANewSession() async throws {
        let server = try Keys.pair(Keys.server)
        let unlucky = try Keys.pair(Keys.zeroTopByte[0])
        try await withHostile { f in
            // KWallet hashes such a secret without its zero byte: the client's key would be wrong.
            f.server.behave {
                $0.kwalletSessions = true
                $0.keyPair = server
            }
            let reader = SecretServiceClient(options: f.client().options, preparation: SecretServicePreparation(keyPair: unlucky))
            #expect(try await reader.lookup(F.attributes)?.stringValue == F.secret)
            #expect((2...4).contains(f.server.members.filter { $0 == "OpenSession" }.count))
            await reader.close()

            // A write: nothing is sent in the unusable session, one item is made.
            f.server.clearCalls()
            let writer = SecretServiceClient(options: f.client().options, preparation: SecretServicePreparation(keyPair: unlucky))
            let login = try await writer.defaultCollection()
            try await login.createItem(label: "zero", attributes: ["zero": "1"], secret: Secret("after a new session"))
            #expect((2...4).contains(f.server.members.filter { $0 == "OpenSession" }.count))
            #expect(f.server.members.filter { $0 == "CreateItem" }.count == 1)
            #expect(f.server.items.filter { $0.attributes == ["zero": "1"] }.map(\.secret) == [Array("after a new session".utf8)])
            await writer.close()

            // Also with a server that pads as the specification says: a new session costs a
            // round trip in one session of 256, and the value is right.
            f.server.behave { $0.kwalletSessions = false }
            f.server.clearCalls()
            let other = SecretServiceClient(options: f.client().options, preparation: SecretServicePreparation(keyPair: unlucky))
            #expect(try await other.lookup(F.attributes)?.stringValue == F.secret)
            #expect((2...4).contains(f.server.members.filter { $0 == "OpenSession" }.count))
            await other.close()
        }
    }

    @Test func aFailedCreationLeavesNothingBehind() async throws {
        try await withHostile { f in
            let client = f.client()
            let login = try await client.defaultCollection()
            // An item of the same attributes that was there before, even with an empty secret, stays.
            let before = try f.server.addItem(label: "before", attributes: ["half": "1"], secret: "")
            let existing = try await login.searchItems(["half": "1"])
            f.server.behave { $0.createItemFailsAfterCreating = true }
            await expectFailure(.failed, "a CreateItem that fails after making the item") {
                _ = try await login.createItem(
                    label: "half", attributes: ["half": "1"], secret: Secret("never stored"), existing: existing)
            }
            #expect(f.server.items.filter { $0.attributes == ["half": "1"] }.map(\.path) == [before])
            // store() says the same through its own search.
            f.server.behave { $0.createItemFailsAfterCreating = true }
            await expectFailure(.failed, "store of a new item") {
                _ = try await login.store(label: "other", attributes: ["other": "1"], secret: Secret("never stored"))
            }
            #expect(f.server.items.filter { $0.attributes == ["other": "1"] }.isEmpty)
            await client.close()
        }
    }

    @Test func anItemWithAValueWinsOverAHalfWrittenOne() async throws {
        try await withHostile { f in
            let attributes = ["service": "half.example", "username": "alice"]
            try f.server.addItem(label: "half-written", attributes: attributes, secret: "")
            try f.server.addItem(label: "whole", attributes: attributes, secret: "the value")
            let client = f.client()
            #expect(try await client.lookup(attributes)?.stringValue == "the value")
            // An empty secret alone is still an empty secret.
            let alone = ["service": "empty.example"]
            try f.server.addItem(label: "empty", attributes: alone, secret: "")
            #expect(try await client.lookup(alone)?.count == 0)
            await client.close()
        }
    }

    @Test func lockingWhatIsLockedIsSuccess() async throws {
        try await withHostile { f in
            f.server.behave { $0.lockOfLockedFails = true }
            let client = f.client()
            let login = try await client.defaultCollection()
            try await login.lock()
            try await login.lock()  // KWallet: InvalidArgs "Can't lock object at path ..."
            #expect(f.server.isLocked)
            // InvalidArgs about something that is not locked stays an error.
            f.server.setLocked(false)
            f.server.behave { $0.replies["Lock"] = .error(name: DBusError.Name.invalidArgs, message: "no") }
            await expectFailure(.invalidArgument, "InvalidArgs from Lock of an unlocked collection") { try await login.lock() }
            await client.close()
        }
    }

    @Test func aDismissedLockPromptIsRetriedBriefly() async throws {
        try await withHostile { f in
            // KeePassXC right after a change: Lock answers with a prompt that completes dismissed.
            f.server.behave { $0.lockPromptsDismissed = 2 }
            let client = f.client(allowsPrompts: false)  // locking asks nobody: run it anyway
            let login = try await client.defaultCollection()
            try await login.lock()
            #expect(f.server.isLocked)
            #expect(f.server.members.filter { $0 == "Lock" }.count == 3)
            // Bounded: a server that always dismisses fails after about 3 s.
            f.server.setLocked(false)
            f.server.behave { $0.lockPromptsDismissed = 100 }
            await expectFailure(.promptDismissed, within: .seconds(30), "a lock prompt dismissed every time") {
                try await login.lock()
            }
            #expect(!f.server.isLocked)
            await client.close()
        }
    }

    @Test func keePassXCListsEverythingAndShowsItsLockedDatabases() async throws {
        try await withHostile { f in
            f.server.behave {
                $0.emptySearchFindsNothing = true
                $0.lockedHidesItems = true
            }
            let client = f.client()
            let login = try await client.defaultCollection()
            #expect(try await client.searchItems([:]).unlocked.isEmpty)  // what KeePassXC answers
            #expect(try await client.items(in: [login]).map(\.path) == [f.item])
            #expect(try await client.lockedCollectionsHidingItems().isEmpty)
            f.server.setLocked(true)
            #expect(try await client.lookup(F.attributes) == nil)  // it hides the item
            #expect(try await client.lockedCollectionsHidingItems().map(\.path) == [login.path])
            #expect(try await client.lockedCollectionsHidingItems(among: [login]).map(\.path) == [login.path])
            // gnome-keyring's way: a locked collection lists its items, and hides nothing.
            f.server.behaveWell()
            #expect(try await client.lockedCollectionsHidingItems().isEmpty)
            await client.close()
        }
    }

    @Test func keePassXCsCreationPromptRunsWithoutPromptsInAnUnlockedCollection() async throws {
        try await withHostile { f in
            f.server.behave { $0.createItemNeedsPrompt = true }  // KeePassXC: every CreateItem
            let client = f.client(allowsPrompts: false)
            let login = try await client.defaultCollection()
            let item = try await login.createItem(label: "kpx", attributes: ["kpx": "1"], secret: Secret("made"))
            #expect(try await item.secret() == Secret("made"))
            #expect(f.server.members.contains("Prompt"))
            await client.close()
        }
    }

    @Test func withoutGnomeKeyringsInterfaceMasterPasswordsAreNotSupported() async throws {
        try await withHostile { f in
            let client = f.client()
            let login = try await client.defaultCollection()
            let error = await expectFailure(.notSupported, "UnlockWithMasterPassword on a server without it") {
                try await client.unlock(login, masterPassword: Secret("pw"))
            }
            #expect(error?.message.contains(SecretServiceNames.gnomeInternalInterface) == true)
            await expectFailure(.notSupported, "CreateWithMasterPassword on a server without it") {
                _ = try await client.createCollection(label: "new", masterPassword: Secret("pw"))
            }
            await client.close()
        }
    }
}
