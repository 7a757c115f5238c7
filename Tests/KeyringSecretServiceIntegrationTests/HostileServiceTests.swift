// The client against a Secret Service that misbehaves (TestSupport's HostileSecretService): every
// case must end with the right SecretServiceError, within its deadline, with a message that is
// bounded, escaped, and free of the secret. Short client deadlines; only generous upper bounds.

import KeyringDBus
import Foundation
import KeyringSecretService
import KeyringSystem
import KeyringDH
import Synchronization
import Testing
import TestSupport

/// A private bus without gnome-keyring, a hostile server owning `org.freedesktop.secrets` on it
/// with one item, and clients with short deadlines.
struct HostileFixture {
    /// Distinctive: it must never show up in an error.
    static let secret = "hostile-s3cret-\u{1F511}-Zq7"
    static let attributes = ["service": "hostile.example", "username": "mallory"]
    /// The deadlines of the cases that wait for them.
    static let shortTimeout = Duration.seconds(2)
    /// The deadlines of the other cases: long enough for a loaded machine, far below a hang.
    static let callTimeout = Duration.seconds(10)
    static let promptTimeout = Duration.seconds(10)

    let bus: TestBus
    let server: HostileSecretService
    let item: DBusObjectPath

    static func start(locked: Bool = false) async throws -> HostileFixture {
        let bus = try await TestBus.startAsync(keyring: false)
        do {
            let server = try await HostileSecretService.start(on: bus.address, locked: locked)
            let item = try server.addItem(label: "hostile item", attributes: attributes, secret: secret)
            return HostileFixture(bus: bus, server: server, item: item)
        } catch {
            bus.stop()
            throw error
        }
    }

    func client(
        callTimeout: Duration = Self.callTimeout, promptTimeout: Duration = Self.promptTimeout, allowsPrompts: Bool = true,
        algorithm: SecretServiceClient.SessionAlgorithm = .automatic
    ) -> SecretServiceClient {
        SecretServiceClient(
            options: .init(
                bus: .address(bus.address), callTimeout: callTimeout, promptTimeout: promptTimeout, allowsPrompts: allowsPrompts,
                algorithm: algorithm))
    }

    func stop() {
        server.stop()
        bus.stop()
    }
}

/// Runs `body` with a fixture, stopping it afterwards whatever happens.
func withHostile<T>(locked: Bool = false, _ body: (HostileFixture) async throws -> T) async throws -> T {
    let fixture = try await HostileFixture.start(locked: locked)
    defer { fixture.stop() }
    return try await body(fixture)
}

/// What a person may see of an error: bounded, one line of printable text, never the secret.
func expectPresentable(_ text: String, _ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!text.contains(HostileFixture.secret), "\(context): the secret is in the message", sourceLocation: sourceLocation)
    #expect(text.utf8.count <= 4096, "\(context): a message of \(text.utf8.count) bytes", sourceLocation: sourceLocation)
    let controls = text.unicodeScalars.filter { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    #expect(
        controls.isEmpty, "\(context): control characters \(controls.map { String($0.value, radix: 16) }) in the message",
        sourceLocation: sourceLocation)
}

/// Expects `body` to throw a SecretServiceError with `code` within `limit`, with a presentable
/// message; returns the error.
@discardableResult
func expectFailure(
    _ code: SecretServiceError.Code, within limit: Duration = .seconds(5), _ context: String,
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> SecretServiceError? {
    let clock = ContinuousClock()
    let start = clock.now
    do {
        try await body()
        Issue.record("\(context): expected \(code), got success", sourceLocation: sourceLocation)
        return nil
    } catch let error as SecretServiceError {
        let elapsed = clock.now - start
        #expect(error.code == code, "\(context): \(error.code): \(error.message.prefix(300))", sourceLocation: sourceLocation)
        #expect(elapsed < limit, "\(context): took \(elapsed)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, "\(context): empty message", sourceLocation: sourceLocation)
        expectPresentable(error.message, context, sourceLocation: sourceLocation)
        for text in ["\(error)", String(reflecting: error)] {
            #expect(
                !text.contains(HostileFixture.secret), "\(context): the secret is in the description",
                sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record(
            "\(context): expected SecretServiceError \(code), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The 1024-bit prime of the session algorithm, big-endian.
let ietf1024Prime: [UInt8] = {
    let hex = """
        FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD\
        EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
        EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF
        """
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map {
        UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
    }
}()

@Suite("The client against a hostile Secret Service")
struct HostileServiceTests {
    typealias F = HostileFixture

    // MARK: - The well-behaved baseline

    @Test func aWellBehavedServerServesEveryOperation() async throws {
        try await withHostile { f in
            let client = f.client()
            #expect(try await client.isSessionEncrypted)
            #expect(try await client.lookup(F.attributes)?.stringValue == F.secret)
            #expect(try await client.lookup(F.attributes)?.stringValue == F.secret)  // cached path
            let login = try await client.defaultCollection()
            #expect(login.path == HostileSecretService.collectionPath)
            #expect(try await client.collections().map(\.path) == [HostileSecretService.collectionPath])
            #expect(try await login.isLocked() == false)
            let created = try await login.createItem(label: "made", attributes: ["made": "1"], secret: Secret("new one"))
            #expect(try await created.secret() == Secret("new one"))
            try await created.setSecret(Secret("newer"))
            #expect(try await created.secret() == Secret("newer"))
            let (unlocked, _) = try await client.searchItems(F.attributes)
            #expect(try await client.secrets(for: unlocked).values.map(\.stringValue) == [F.secret])
            #expect(try await SecretItem.at(f.item, client: client).info().label == "hostile item")
            await client.disconnect()

            // Unlocking through a prompt that completes.
            f.server.setLocked(true)
            let prompted = f.client()
            #expect(try await prompted.lookup(F.attributes)?.stringValue == F.secret)
            #expect(f.server.isLocked == false)
            #expect(f.server.members.contains("Prompt"))
            await prompted.disconnect()
        }
    }

    @Test func serverKeysOfUnusualButValidLengthsAreAccepted() async throws {
        try await withHostile { f in
            // A key pair whose public key starts with a zero byte (one in 256), made before
            // any deadline runs.
            var keyPair = DHKeyPair(group: .ietf1024)
            while keyPair.publicKey[0] != 0 { keyPair = DHKeyPair(group: .ietf1024) }
            for key in [HostileSecretService.PublicKey.realWithoutLeadingZero, .realWithZeroPrepended] {
                f.server.behave {
                    $0.publicKey = key
                    $0.keyPair = keyPair
                }
                let client = f.client()
                let found = try await client.lookup(F.attributes)
                #expect(found?.stringValue == F.secret, "\(key)")
                await client.disconnect()
            }
        }
    }

    @Test func aServerWithoutEncryptionIsUsedOnlyAsAllowed() async throws {
        try await withHostile { f in
            let plain = f.client(algorithm: .plain)
            #expect(try await plain.isSessionEncrypted == false)
            let found = try await plain.lookup(F.attributes)
            #expect(found?.stringValue == F.secret)
            await plain.disconnect()
            // A server that supports neither algorithm.
            f.server.behave { $0.replies["OpenSession"] = .error(name: DBusError.Name.notSupported, message: "no") }
            for algorithm in [SecretServiceClient.SessionAlgorithm.automatic, .diffieHellman] {
                let client = f.client(algorithm: algorithm)
                await expectFailure(.notSupported, "\(algorithm), nothing supported") {
                    _ = try await client.lookup(F.attributes)
                }
                await client.disconnect()
            }
            // .diffieHellman never falls back to plain.
            let opened = f.server.calls.filter { $0.member == "OpenSession" }.compactMap { try? $0.arguments.first?.asString() }
            #expect(opened.filter { $0 == "plain" }.count == 2, "\(opened)")  // the .plain client's and .automatic's fallback
        }
    }

    // MARK: - OpenSession

    @Test func badServerPublicKeysFailTheSession() async throws {
        let prime = ietf1024Prime
        var primeMinusOne = prime
        primeMinusOne[127] -= 1
        let cases: [(String, [UInt8])] = [
            ("empty", []),
            ("1 byte 0", [0]),
            ("1 byte 1", [1]),
            ("64 bytes", [0x5A] + Sodium.randomBytes(63)),
            ("127 bytes of value 0", [UInt8](repeating: 0, count: 127)),
            ("127 bytes of value 1", [UInt8](repeating: 0, count: 126) + [1]),
            ("128 bytes of value 0", [UInt8](repeating: 0, count: 128)),
            ("128 bytes of value 1", [UInt8](repeating: 0, count: 127) + [1]),
            ("p - 1", primeMinusOne),
            ("p", prime),
            ("128 bytes of 0xFF", [UInt8](repeating: 0xFF, count: 128)),
            ("129 bytes", [1] + Sodium.randomBytes(128)),
            ("256 bytes", Sodium.randomBytes(256)),
            ("256 bytes, a valid key behind 128 zeros", [UInt8](repeating: 0, count: 128) + [0x5A] + Sodium.randomBytes(127)),
            ("64 KiB", Sodium.randomBytes(65536)),
        ]
        try await withHostile { f in
            for (name, key) in cases {
                f.server.behave { $0.publicKey = .bytes(key) }
                let client = f.client()
                let error = await expectFailure(.protocolViolation, "public key: \(name)") {
                    _ = try await client.lookup(F.attributes)
                }
                #expect(error?.message.contains("invalid public key for the session") == true, "\(name): \(error?.message ?? "")")
                await client.disconnect()
            }
            // The session was never used: no secret was asked for.
            #expect(!f.server.members.contains("GetSecret"))
        }
    }

    @Test func openSessionAnswersOfTheWrongShapeFailTheSession() async throws {
        typealias Behaviour = HostileSecretService.Behaviour
        let path = DBusValue.objectPath("/org/freedesktop/secrets/session/forged")
        let cases: [(String, (inout Behaviour) -> Void)] = [
            ("output s", { $0.sessionOutput = .string("not a key") }),
            ("output ai", { $0.sessionOutput = .array(.int32, (0..<128).map { .int32($0) }) }),
            ("output ay inside a variant", { $0.sessionOutput = .variant(.bytes(Sodium.randomBytes(128))) }),
            ("reply ao", { $0.replies["OpenSession"] = .values([.objectPaths([])]) }),
            ("reply o", { $0.replies["OpenSession"] = .values([path]) }),
            ("reply ayo", { $0.replies["OpenSession"] = .values([.bytes(Sodium.randomBytes(128)), path]) }),
            ("reply vs", { $0.replies["OpenSession"] = .values([.variant(.bytes(Sodium.randomBytes(128))), .string("/x")]) }),
            ("reply vov", { $0.replies["OpenSession"] = .values([.variant(.bytes([])), path, .variant(.string(""))]) }),
            ("empty reply", { $0.replies["OpenSession"] = .values([]) }),
        ]
        try await withHostile { f in
            for (name, change) in cases {
                f.server.behaveWell()
                f.server.behave(change)
                let client = f.client()
                await expectFailure(.protocolViolation, "OpenSession: \(name)") { _ = try await client.lookup(F.attributes) }
                await client.disconnect()
            }
        }
    }

    // MARK: - GetSecret and GetSecrets

    /// The secret's bytes padded as PKCS#7 would, then given a last block of `tail`.
    static func blockAligned(_ prefix: [UInt8], endingWith tail: [UInt8]) -> [UInt8] {
        var data = prefix
        while (data.count + tail.count) % 16 != 0 { data.append(0x41) }
        return data + tail
    }

    /// Secrets encoded wrongly, each with a word its error message must hold.
    static var badSecretEncodings: [(String, HostileSecretService.SecretEncoding, word: String)] {
        let secret = Array(F.secret.utf8)
        var cases: [(String, HostileSecretService.SecretEncoding, word: String)] = []
        for length in 0...32 where length != 16 {
            cases.append(("IV of \(length) bytes", .parameters(Sodium.randomBytes(length)), "IV must be 16 bytes, got \(length)"))
        }
        for length in [1, 2, 8, 15, 17, 31, 33, 47, 63] {
            cases.append(("value of \(length) bytes", .value(Sodium.randomBytes(length)), "multiple of 16 bytes, got \(length)"))
        }
        cases.append(("empty value", .value([]), "multiple of 16 bytes, got 0"))
        for pad in [0] + Array(17...255) {
            cases.append(("pad byte \(pad)", .rawPlaintext(blockAligned(secret, endingWith: [UInt8(pad)])), "padding"))
        }
        // Padding of n bytes where one of the n - 1 before the last is not n.
        for n in 2...16 {
            for wrong in 0..<(n - 1) {
                var tail = [UInt8](repeating: UInt8(n), count: n)
                tail[wrong] = UInt8(n) ^ 0x20
                cases.append(
                    ("pad \(n) with byte \(wrong) wrong", .rawPlaintext(blockAligned(secret, endingWith: tail)), "padding"))
            }
        }
        cases.append(("another session's key", .foreignKey, "padding"))
        cases.append(
            ("16 MiB ending in pad byte 0", .rawPlaintext(blockAligned(Sodium.randomBytes(16 << 20), endingWith: [0])), "padding")
        )
        return cases
    }

    @Test func badlyEncryptedSecretsAreProtocolViolations() async throws {
        try await withHostile { f in
            let client = f.client()
            let item = SecretItem.at(f.item, client: client)
            let clock = ContinuousClock()
            let start = clock.now
            for (name, encoding, word) in Self.badSecretEncodings {
                f.server.behave { $0.secrets = encoding }
                let error = await expectFailure(.protocolViolation, "GetSecret: \(name)") { _ = try await item.secret() }
                #expect(error?.message.contains(word) == true, "\(name): \(error?.message ?? "")")
                #expect(error?.message.contains("invalid encrypted value") == true, "\(name): \(error?.message ?? "")")
            }
            // Every case on one session: a protocol violation does not cost the session.
            #expect(f.server.members.filter { $0 == "OpenSession" }.count == 1)
            #expect(clock.now - start < .seconds(30))
            // The server's own raw encryption with valid padding gives the secret back.
            let secret = Array(F.secret.utf8)
            let padding = 16 - secret.count % 16
            f.server.behave { $0.secrets = .rawPlaintext(secret + [UInt8](repeating: UInt8(padding), count: padding)) }
            let found = try await item.secret()
            #expect(found.stringValue == F.secret)
            // And a secret of 16 MiB.
            let large = Sodium.randomBytes(16 << 20)
            f.server.behave { $0.secrets = .rawPlaintext(large + [UInt8](repeating: 16, count: 16)) }
            let back = try await item.secret()
            #expect(back.bytes.unprotectedArray == large)
            await client.disconnect()
        }
    }

    @Test func aSecretForAnotherSessionIsRefused() async throws {
        try await withHostile { f in
            let client = f.client()
            let item = SecretItem.at(f.item, client: client)
            f.server.behave { $0.secrets = .sessionPath("/org/freedesktop/secrets/session/someone_else") }
            let error = await expectFailure(.protocolViolation, "GetSecret: another session's path") {
                _ = try await item.secret()
            }
            #expect(error?.message.contains("another session") == true, "\(error?.message ?? "")")
            await expectFailure(.protocolViolation, "lookup: another session's path") {
                _ = try await client.lookup(F.attributes)
            }
            await expectFailure(.protocolViolation, "GetSecrets: another session's path") {
                _ = try await client.secrets(for: [item])
            }
            await client.disconnect()
        }
    }

    @Test func getSecretsWithBadSecretsFail() async throws {
        try await withHostile { f in
            let client = f.client()
            let item = SecretItem.at(f.item, client: client)
            let samples = Self.badSecretEncodings.enumerated().filter { $0.offset % 7 == 0 }.map(\.element)
            for (name, encoding, _) in samples {
                f.server.behave { $0.secrets = encoding }
                await expectFailure(.protocolViolation, "GetSecrets: \(name)") { _ = try await client.secrets(for: [item]) }
            }
            await client.disconnect()
        }
    }

    @Test func secretRepliesOfTheWrongShapeFail() async throws {
        let session = DBusValue.objectPath("/org/freedesktop/secrets/session/s1")
        let getSecret: [(String, [DBusValue])] = [
            ("s", [.string(F.secret)]),
            ("ay", [.bytes(Array(F.secret.utf8))]),
            ("(oayay)", [.structure([session, .bytes([]), .bytes(Array(F.secret.utf8))])]),
            (
                "(oayays) twice",
                [
                    .structure([session, .bytes([]), .bytes([]), .string("")]),
                    .structure([session, .bytes([]), .bytes([]), .string("")]),
                ]
            ),
            ("(sayays)", [.structure([.string("/"), .bytes([]), .bytes([]), .string("text/plain")])]),
            ("nothing", []),
        ]
        let getSecrets: [(String, [DBusValue])] = [
            ("ao", [.objectPaths([])]),
            (
                "a{s(oayays)}",
                [.dictionary(key: .string, value: .structure([.objectPath, .array(.byte), .array(.byte), .string]), [])]
            ),
            ("(oayays)", [.structure([session, .bytes([]), .bytes([]), .string("")])]),
            ("nothing", []),
        ]
        try await withHostile { f in
            let client = f.client()
            let item = SecretItem.at(f.item, client: client)
            for (name, body) in getSecret {
                f.server.behave { $0.replies["GetSecret"] = .values(body) }
                await expectFailure(.protocolViolation, "GetSecret reply \(name)") { _ = try await item.secret() }
            }
            for (name, body) in getSecrets {
                f.server.behave { $0.replies["GetSecrets"] = .values(body) }
                await expectFailure(.protocolViolation, "GetSecrets reply \(name)") { _ = try await client.secrets(for: [item]) }
            }
            await client.disconnect()
        }
    }

    // MARK: - Other replies of the wrong shape

    @Test func searchAliasAndPropertyRepliesOfTheWrongShapeFail() async throws {
        try await withHostile { f in
            let paths = DBusValue.objectPaths([f.item])
            for body: [DBusValue] in [
                [paths], [paths, paths, .string("x")], [.strings([]), .strings([])], [], [.variant(paths), .variant(paths)],
            ] {
                f.server.behaveWell()
                f.server.behave { $0.replies["SearchItems"] = .values(body) }
                let client = f.client()
                await expectFailure(.protocolViolation, "SearchItems reply \(body)") { _ = try await client.lookup(F.attributes) }
                await expectFailure(.protocolViolation, "SearchItems reply \(body)") {
                    _ = try await client.searchItems(F.attributes)
                }
                await client.disconnect()
            }
            for body: [DBusValue] in [
                [.string("/org/freedesktop/secrets/collection/login")], [paths], [], [.objectPath(f.item), .objectPath(f.item)],
            ] {
                f.server.behaveWell()
                f.server.behave { $0.replies["ReadAlias"] = .values(body) }
                let client = f.client()
                await expectFailure(.protocolViolation, "ReadAlias reply \(body)") {
                    _ = try await client.collection(alias: "default")
                }
                await expectFailure(.protocolViolation, "ReadAlias reply \(body)") { _ = try await client.defaultCollection() }
                // A lookup that finds its item in one collection does not need the alias.
                let found = try await client.lookup(F.attributes)
                #expect(found?.stringValue == F.secret)
                await client.disconnect()
            }
            let login = HostileSecretService.collectionPath
            let property: [(String, [DBusValue])] = [
                ("Get", [paths]),  // not in a variant
                ("Get", []),
                ("Get:Collections", [.variant(.string("login"))]),
                ("Get:Collections", [.variant(.variant(paths))]),
                ("Get:Locked", [.variant(.string("no"))]),
                ("Get:Locked", [.boolean(false)]),
                ("Get:Label", [.variant(.objectPath(login))]),
                ("Get:Items", [.variant(.strings(["x"]))]),
                ("GetAll", [.string("x")]),
                ("GetAll", [.variantDictionary(["Locked": .string("no")])]),
            ]
            for (key, body) in property {
                f.server.behaveWell()
                f.server.behave { $0.replies[key] = .values(body) }
                let client = f.client()
                let collection = SecretCollection.at(login, client: client)
                switch key {
                case "Get:Locked":
                    await expectFailure(.protocolViolation, "\(key) \(body)") { _ = try await collection.isLocked() }
                case "Get:Label": await expectFailure(.protocolViolation, "\(key) \(body)") { _ = try await collection.label() }
                case "Get:Items": await expectFailure(.protocolViolation, "\(key) \(body)") { _ = try await collection.items() }
                case "GetAll": await expectFailure(.protocolViolation, "\(key) \(body)") { _ = try await collection.info() }
                default: await expectFailure(.protocolViolation, "\(key) \(body)") { _ = try await client.collections() }
                }
                await client.disconnect()
            }
        }
    }

    @Test func aHundredThousandSearchResultsAreHandledInBoundedTime() async throws {
        try await withHostile { f in
            let bogus = try (0..<99_999).map { try HostileSecretService.collectionPath.appending("bogus\($0)") }
            f.server.behave { $0.searchResults = [f.item] + bogus }
            let client = f.client(callTimeout: .seconds(10))
            let clock = ContinuousClock()
            let start = clock.now
            let (unlocked, locked) = try await client.searchItems(F.attributes)
            #expect(unlocked.count == 100_000 && locked.isEmpty)
            let found = try await client.lookup(F.attributes)
            #expect(found?.stringValue == F.secret)
            // Their properties, read side by side: the made-up ones do not exist. (Ten thousand
            // of them: each is a round trip, some 150 us in a debug build.)
            let infos = try await client.infos(of: Array(unlocked.prefix(10_000)))
            #expect(infos.count == 10_000)
            #expect(infos.compactMap { $0?.label } == ["hostile item"])
            #expect(clock.now - start < .seconds(20), "took \(clock.now - start)")
            await client.disconnect()
        }
    }

    // MARK: - Prompts

    @Test func aPromptThatNeverCompletesTimesOut() async throws {
        try await withHostile(locked: true) { f in
            f.server.behave { $0.prompts = .hold }
            let client = f.client(promptTimeout: F.shortTimeout)
            let error = await expectFailure(.promptTimedOut, within: Deadlines.bound(F.shortTimeout), "held prompt") {
                _ = try await client.lookup(F.attributes)
            }
            #expect(error?.message.contains("prompt") == true)
            #expect(!f.server.members.contains("GetSecret"))
            await client.disconnect()
        }
    }

    @Test func promptsThatCompleteWrongly() async throws {
        let item = DBusValue.objectPath("/org/freedesktop/secrets/collection/login/i1")
        let unlockCases: [(String, HostileSecretService.PromptBehaviour, DBusValue?)] = [
            ("Completed(s)", .completeWith([.string("done")]), nil),
            ("Completed(b)", .completeWith([.boolean(false)]), nil),
            ("Completed(bs)", .completeWith([.boolean(false), .string("x")]), nil),
            ("Completed(vb)", .completeWith([.variant(.objectPaths([])), .boolean(false)]), nil),
            ("Completed(false, <s>) for an unlock", .complete, .string("unlocked")),
            ("Completed(false, <o>) for an unlock", .complete, item),
            ("Completed(false, <b>) for an unlock", .complete, .boolean(true)),
        ]
        try await withHostile(locked: true) { f in
            for (name, behaviour, result) in unlockCases {
                f.server.setLocked(true)
                f.server.behaveWell()
                f.server.behave {
                    $0.prompts = behaviour
                    $0.promptResult = result
                }
                let client = f.client()
                await expectFailure(.protocolViolation, name) { try await client.unlock([HostileSecretService.collectionPath]) }
                await client.disconnect()
            }
            // CreateItem's prompt gives the item, `o`.
            f.server.setLocked(false)
            for result: DBusValue in [.string("/org/freedesktop/secrets/collection/login/i9"), .objectPaths([]), .boolean(true)] {
                f.server.behaveWell()
                f.server.behave {
                    $0.createItemNeedsPrompt = true
                    $0.promptResult = result
                }
                let client = f.client()
                let login = SecretCollection.at(HostileSecretService.collectionPath, client: client)
                await expectFailure(.protocolViolation, "CreateItem prompt result \(result)") {
                    _ = try await login.createItem(label: "x", attributes: ["x": "1"], secret: Secret("y"))
                }
                await client.disconnect()
            }
            // A dismissal is a dismissal, of an unlock or of a creation.
            f.server.behaveWell()
            f.server.setLocked(true)
            f.server.behave { $0.prompts = .dismiss }
            let client = f.client()
            await expectFailure(.promptDismissed, "dismissed unlock") { _ = try await client.lookup(F.attributes) }
            f.server.setLocked(false)
            f.server.behave { $0.createItemNeedsPrompt = true }
            let login = SecretCollection.at(HostileSecretService.collectionPath, client: client)
            await expectFailure(.promptDismissed, "dismissed creation") {
                _ = try await login.createItem(label: "x", attributes: ["x": "1"], secret: Secret("y"))
            }
            await client.disconnect()
        }
    }

    @Test func aPromptCompletedTwiceCountsOnce() async throws {
        try await withHostile(locked: true) { f in
            f.server.behave { $0.prompts = .completeTwice }
            let client = f.client()
            #expect(try await client.lookup(F.attributes)?.stringValue == F.secret)
            f.server.setLocked(true)
            #expect(try await client.unlock([HostileSecretService.collectionPath]) == [HostileSecretService.collectionPath])
            try await Task.sleep(for: .milliseconds(50))  // the second Completed of each has arrived
            #expect(try await client.lookup(F.attributes)?.stringValue == F.secret)
            await client.disconnect()
        }
    }

    // MARK: - Replies that never come, and a server that goes away

    @Test func repliesThatNeverComeEndAtTheCallDeadline() async throws {
        let cases = [
            "OpenSession", "SearchItems", "GetSecret", "GetSecrets", "Unlock", "Prompt", "ReadAlias", "Get:Collections",
            "GetAll", "CreateItem",
        ]
        // Each on a bus and server of its own, all at once: the waits overlap.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for member in cases {
                group.addTask {
                    try await withHostile(locked: member == "Unlock" || member == "Prompt") { f in
                        f.server.behave { $0.replies[member] = .never }
                        let client = f.client(callTimeout: F.shortTimeout)
                        let error = await expectFailure(
                            .timedOut, within: Deadlines.bound(F.shortTimeout), "\(member) never answered"
                        ) {
                            switch member {
                            case "Get:Collections": _ = try await client.collections()
                            case "ReadAlias": _ = try await client.defaultCollection()
                            case "GetAll": _ = try await SecretItem.at(f.item, client: client).info()
                            case "GetSecrets": _ = try await client.secrets(for: [SecretItem.at(f.item, client: client)])
                            case "CreateItem":
                                _ = try await SecretCollection.at(HostileSecretService.collectionPath, client: client)
                                    .createItem(label: "x", attributes: [:], secret: Secret("y"))
                            default: _ = try await client.lookup(F.attributes)
                            }
                        }
                        #expect(error?.message.contains("in time") == true, "\(error?.message ?? "")")
                        await client.disconnect()
                    }
                }
            }
            // An alias that is never read back does not stop a lookup that does not need it.
            group.addTask {
                try await withHostile { f in
                    f.server.behave { $0.replies["ReadAlias"] = .never }
                    let client = f.client(callTimeout: F.shortTimeout)
                    let clock = ContinuousClock()
                    let start = clock.now
                    let found = try await client.lookup(F.attributes)
                    #expect(found?.stringValue == F.secret)
                    #expect(clock.now - start < Deadlines.bound(F.shortTimeout))
                    await client.disconnect()
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func aServerThatExitsMidCallFailsTheCallAtOnce() async throws {
        let bus = try await TestBus.startAsync(keyring: false)
        defer { bus.stop() }
        // A long call deadline: the failure must come from the hang-up, before it.
        let deadline = Duration.seconds(30)
        let client = SecretServiceClient(
            options: .init(bus: .address(bus.address), callTimeout: deadline, promptTimeout: deadline))
        for member in [
            "OpenSession", "SearchItems", "GetSecret", "GetSecrets", "Unlock", "Prompt", "ReadAlias", "Get:Collections",
        ] {
            let server = try await HostileSecretService.start(on: bus.address, locked: member == "Unlock" || member == "Prompt")
            defer { server.stop() }
            try server.addItem(label: "x", attributes: F.attributes, secret: F.secret)
            // The session opens first, but for the case that makes OpenSession the one in flight.
            if member != "OpenSession" { try await client.connect() }
            server.behave { $0.replies[member] = .vanish }
            let error = await expectFailure(.serviceVanished, within: deadline, "exits on \(member)") {
                switch member {
                case "GetSecrets":
                    let (found, _) = try await client.searchItems(F.attributes)
                    _ = try await client.secrets(for: found)
                case "ReadAlias": _ = try await client.defaultCollection()
                case "Get:Collections": _ = try await client.collections()
                default: _ = try await client.lookup(F.attributes)
                }
            }
            #expect(error?.message.contains("left without answering") == true, "\(member): \(error?.message ?? "")")
        }
        // With the prompt open.
        let server = try await HostileSecretService.start(on: bus.address, locked: true)
        try server.addItem(label: "x", attributes: F.attributes, secret: F.secret)
        server.behave { $0.prompts = .hold }
        let task = Task { try await client.lookup(F.attributes) }
        try await waitUntil { !server.heldPrompts.isEmpty }
        server.stop()
        await expectFailure(.serviceVanished, within: deadline, "exits with its prompt open") { _ = try await task.value }
        // And the next call finds the next server.
        let next = try await HostileSecretService.start(on: bus.address)
        defer { next.stop() }
        try next.addItem(label: "x", attributes: F.attributes, secret: F.secret)
        #expect(try await client.lookup(F.attributes)?.stringValue == F.secret)
        await client.disconnect()
    }

    // MARK: - Error messages

    @Test func hugeAndHostileErrorMessagesAreBoundedAndEscaped() async throws {
        let escapes = "\u{1B}[2J\u{1B}[31mred\u{1B}]0;title\u{07}\r\nline two\u{08}\u{08}\t\u{7F}\u{9B}31m"
        let messages: [(String, String)] = [
            ("20 MB", String(repeating: "A", count: 20 << 20)),
            ("1 MB of escapes", String(repeating: escapes, count: (1 << 20) / escapes.utf8.count)),
            ("escapes", escapes),
        ]
        try await withHostile { f in
            let client = f.client(callTimeout: .seconds(10))
            for (name, message) in messages {
                for error in ["org.freedesktop.DBus.Error.Failed", "org.example.Hostile.Error"] {
                    f.server.behave { $0.replies["SearchItems"] = .error(name: error, message: message) }
                    await expectFailure(.failed, within: .seconds(10), "\(error): \(name)") {
                        _ = try await client.lookup(F.attributes)
                    }
                }
            }
            // From the other calls too: every error reply goes through the same door.
            for member in ["OpenSession", "GetSecret", "Unlock", "CreateItem", "Get"] {
                f.server.behaveWell()
                f.server.behave { $0.replies[member] = .error(name: "org.example.Hostile.Error", message: escapes) }
                let fresh = f.client()
                await expectFailure(.failed, "\(member): escapes") {
                    switch member {
                    case "Unlock": try await fresh.unlock([HostileSecretService.collectionPath])
                    case "CreateItem":
                        _ = try await SecretCollection.at(HostileSecretService.collectionPath, client: fresh)
                            .createItem(label: "x", attributes: [:], secret: Secret("y"))
                    case "Get": _ = try await fresh.collections()
                    default: _ = try await fresh.lookup(F.attributes)
                    }
                }
                await fresh.disconnect()
            }
            await client.disconnect()
        }
    }

    // MARK: - Signals forged by another connection

    /// A locked server whose prompt waits until told, a client looking up the item through
    /// it, and a second connection on the bus. Returns once the prompt is showing.
    func forgedSignalCase(
        _ forge:
            @Sendable (_ forger: DBusConnection, _ prompt: DBusObjectPath, _ client: String, _ server: HostileSecretService)
            async throws -> Void
    ) async throws {
        try await withHostile(locked: true) { f in
            f.server.behave { $0.prompts = .hold }
            let client = f.client(callTimeout: .seconds(5), promptTimeout: .seconds(10))
            let lookup = Task { try await client.lookup(F.attributes) }
            try await waitUntil { !f.server.heldPrompts.isEmpty }
            let prompt = try #require(f.server.heldPrompts.first)
            let caller = try #require(f.server.calls.last { $0.member == "Prompt" }?.sender)
            let forger = try await DBusConnection.connect(to: .address(f.bus.address))
            defer { forger.close() }
            try await forge(forger, prompt, caller, f.server)
            // Give the forgery time to arrive and be acted on, if the client believes it.
            try await Task.sleep(for: .milliseconds(400))
            let before = f.server.members
            #expect(!before.contains("GetSecret"), "the client read the secret before the real prompt completed: \(before)")
            #expect(f.server.isLocked)
            f.server.completeHeldPrompts()
            let result = await lookup.result
            switch result {
            case .success(let secret):
                #expect(secret?.stringValue == F.secret)
            case .failure(let error):
                Issue.record("the lookup failed after a forged signal: \(error)")
            }
            await client.disconnect()
        }
    }

    @Test func aForgedCompletedIsNotBelieved() async throws {
        try await forgedSignalCase { forger, prompt, client, _ in
            let result: [DBusValue] = [.boolean(false), .variant(.objectPaths([HostileSecretService.collectionPath]))]
            // Sent to the client alone, as the daemon sends it, and to everyone.
            try forger.emitSignal(
                path: prompt, interface: SecretServiceNames.promptInterface, member: "Completed", arguments: result,
                destination: client)
            try forger.emitSignal(
                path: prompt, interface: SecretServiceNames.promptInterface, member: "Completed", arguments: result)
        }
    }

    @Test func aForgedDismissalIsNotBelieved() async throws {
        try await forgedSignalCase { forger, prompt, client, _ in
            let result: [DBusValue] = [.boolean(true), .variant(.string(""))]
            try forger.emitSignal(
                path: prompt, interface: SecretServiceNames.promptInterface, member: "Completed", arguments: result,
                destination: client)
            try forger.emitSignal(
                path: prompt, interface: SecretServiceNames.promptInterface, member: "Completed", arguments: result)
        }
    }

    @Test func aForgedCompletedOfTheWrongShapeIsNotBelieved() async throws {
        try await forgedSignalCase { forger, prompt, client, _ in
            try forger.emitSignal(
                path: prompt, interface: SecretServiceNames.promptInterface, member: "Completed",
                arguments: [.string("forged")], destination: client)
        }
    }

    @Test func aForgedNameOwnerChangedIsNotBelieved() async throws {
        try await forgedSignalCase { forger, _, client, server in
            try forger.emitSignal(
                path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged",
                arguments: [.string(SecretServiceNames.busName), .string(server.uniqueName), .string("")], destination: client)
        }
    }
}

/// Polls `condition` every 10 ms for up to `limit`.
func waitUntil(_ limit: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let giveUp = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < giveUp else { throw TestSupportError("condition not met within \(limit)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
