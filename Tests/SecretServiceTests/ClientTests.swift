import DBus
import SecretService
import Synchronization
import Testing
import TestSupport

/// A private bus, a real gnome-keyring (login unlocked with `password`), a test prompter and a client.
struct Fixture {
    static let password = "test-password"
    let bus: TestBus
    let prompter: TestPrompter
    let client: SecretServiceClient

    static func start(
        answers: [TestPrompter.Answer] = [], allowsPrompts: Bool = true, promptTimeout: Duration = .seconds(20)
    ) async throws -> Fixture {
        let bus = try await TestBus.startAsync(keyring: true, password: password, prompter: TestPrompter.busName)
        let prompter = try await TestPrompter.start(on: bus.address, answers: answers)
        let client = SecretServiceClient(options: .init(
            bus: .address(bus.address), promptTimeout: promptTimeout, allowsPrompts: allowsPrompts))
        return Fixture(bus: bus, prompter: prompter, client: client)
    }

    func client(allowsPrompts: Bool = true, promptTimeout: Duration = .seconds(20)) -> SecretServiceClient {
        SecretServiceClient(options: .init(bus: .address(bus.address), promptTimeout: promptTimeout, allowsPrompts: allowsPrompts))
    }

    func stop() async {
        await client.disconnect()
        prompter.stop()
        bus.stop()
    }

    /// gnome-keyring is alive and answering.
    func daemonAnswers() async -> Bool {
        guard let connection = try? await DBusConnection.connect(to: .address(bus.address)) else { return false }
        defer { connection.close() }
        return (try? await connection.call(
            destination: "org.freedesktop.secrets", path: "/org/freedesktop/secrets",
            interface: "org.freedesktop.DBus.Peer", member: "Ping", timeout: .seconds(2))) != nil
    }
}

/// Same bytes (gnome-keyring 42 returns every content type as text/plain).
func sameBytes(_ a: Secret?, _ b: Secret?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.bytes.constantTimeEquals(b.bytes)
}

func expectCode(_ code: SecretServiceError.Code, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as SecretServiceError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Secret Service client against gnome-keyring")
struct ClientTests {
    @Test func sessionIsEncryptedAndSecretsRoundTrip() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        #expect(try await f.client.isSessionEncrypted)
        let login = try await f.client.defaultCollection()
        #expect(login.path == "/org/freedesktop/secrets/collection/login")
        let cases: [Secret] = [
            Secret("hunter2"),
            Secret(""),
            Secret(bytes: Array(0...255)),
            Secret(bytes: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }),
            Secret("ünïcødé 🔑", contentType: "text/plain; charset=utf8"),
        ]
        for (index, secret) in cases.enumerated() {
            let item = try await login.createItem(label: "case \(index)", attributes: ["case": "\(index)"], secret: secret)
            let back = try await item.secret()
            #expect(sameBytes(back, secret), "case \(index)")
            #expect(sameBytes(try await f.client.lookup(["case": "\(index)"]), secret))
        }
    }

    @Test func aThousandSessionsInARowEachRoundTripASecret() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let item = try await f.client.defaultCollection().createItem(
            label: "many sessions", attributes: ["test": "sessions"], secret: Secret("start"))
        for i in 0..<1000 {
            let client = f.client()
            let handle = SecretItem.at(item.path, client: client)
            let secret = Secret(bytes: Array("value \(i)".utf8) + [UInt8(i % 256)])
            try await handle.setSecret(secret)
            #expect(sameBytes(try await handle.secret(), secret), "session \(i)")
            await client.disconnect()
        }
    }

    @Test func repeatedLookupsSeeChangesMadeByOtherPrograms() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let attributes = ["cache": "test"]
        let login = try await f.client.defaultCollection()
        try await login.createItem(label: "cached", attributes: attributes, secret: Secret("v1"))
        for _ in 0..<3 { #expect(try await f.client.lookup(attributes) == Secret("v1")) }

        // Another program (another connection) changes the secret, then its attributes, then deletes it.
        let other = f.client()
        let item = try #require(try await other.searchItems(attributes).unlocked.first)
        try await item.setSecret(Secret("v2"))
        #expect(try await f.client.lookup(attributes) == Secret("v2"))
        #expect(try await f.client.lookup(attributes) == Secret("v2"))
        let newer = try await other.defaultCollection().createItem(label: "newer", attributes: ["cache": "other"], secret: Secret("v3"))
        try await item.setAttributes(["cache": "moved"])
        #expect(try await f.client.lookup(attributes) == nil)
        try await newer.setAttributes(attributes)
        #expect(try await f.client.lookup(attributes) == Secret("v3"))
        try await newer.delete()
        #expect(try await f.client.lookup(attributes) == nil)
        await other.disconnect()
    }

    @Test func aLookupPrefersTheDefaultCollectionWhenSeveralMatch() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let attributes = ["where": "both"]
        let login = try await f.client.defaultCollection()
        let session = SecretCollection.at("/org/freedesktop/secrets/collection/session", client: f.client)
        try await session.createItem(label: "in session", attributes: attributes, secret: Secret("from session"))
        try await login.createItem(label: "in login", attributes: attributes, secret: Secret("from login"))
        #expect(try await f.client.lookup(attributes) == Secret("from login"))
        // The alias decides, not the name: with `default` on the session collection, it wins.
        try await f.client.setAlias("default", to: session)
        #expect(try await f.client().lookup(attributes) == Secret("from session"))
        try await f.client.setAlias("default", to: login)
        // One collection only: the search alone decides.
        #expect(try await f.client().lookup(["where": "both", "missing": "x"]) == nil)
        try await session.createItem(label: "only here", attributes: ["where": "session only"], secret: Secret("lone"))
        #expect(try await f.client().lookup(["where": "session only"]) == Secret("lone"))
    }

    @Test func plainSessionWhenAskedFor() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let plain = SecretServiceClient(options: .init(bus: .address(f.bus.address), algorithm: .plain))
        #expect(try await plain.isSessionEncrypted == false)
        let item = try await plain.defaultCollection().createItem(label: "plain", attributes: ["p": "1"], secret: Secret("clear"))
        #expect(try await f.client.lookup(["p": "1"]) == Secret("clear"))
        #expect(try await item.secret() == Secret("clear"))
        await plain.disconnect()
    }

    @Test func serviceAliasesAndCollections() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let names = try await f.client.collections().map(\.name)
        #expect(names.contains("login") && names.contains("session"))
        let login = try #require(try await f.client.collection(alias: "default"))
        #expect(login.name == "login")
        #expect(try await f.client.collection(alias: "nothing-here") == nil)
        // gnome-keyring supports only the 'default' alias.
        let session = SecretCollection.at("/org/freedesktop/secrets/collection/session", client: f.client)
        try await f.client.setAlias("default", to: session)
        #expect(try await f.client.collection(alias: "default") == session)
        #expect(try await f.client.defaultCollection() == session)
        try await f.client.setAlias("default", to: login)
        #expect(try await f.client.defaultCollection() == login)
    }

    @Test func collectionProperties() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.setLabel("My login")
        #expect(try await login.label() == "My login")
        #expect(try await login.isLocked() == false)
        #expect(try await login.created() > 1_600_000_000)
        _ = try await login.modified()
        let item = try await login.createItem(label: "x", attributes: ["k": "v"], secret: Secret("s"))
        #expect(try await login.items().contains(item))
        let info = try await login.info()
        #expect(info.label == "My login" && info.items.contains(item.path))
    }

    @Test func storeUpdatesExactlyOneItemAndLeavesSupersetsAlone() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        let attributes = ["service": "api", "username": "alice"]
        let superset = try await login.createItem(
            label: "other program", attributes: attributes.merging(["extra": "1"]) { a, _ in a }, secret: Secret("keep me"))
        let first = try await login.store(label: "api token", attributes: attributes, secret: Secret("one"))
        let second = try await login.store(label: "api token (renamed)", attributes: attributes, secret: Secret("two"))
        #expect(first == second)
        #expect(try await first.secret() == Secret("two"))
        #expect(try await first.label() == "api token (renamed)")
        #expect(try await superset.secret() == Secret("keep me"))
        #expect(try await superset.attributes()["extra"] == "1")
        #expect(try await login.exactMatches(attributes) == [first])
        // gnome-keyring's own replace would have hit the superset item: we never use it for updates
        // (docs/secret-service-protocol.md, gnome-keyring).
        #expect(try await login.searchItems(attributes).count == 2)
    }

    @Test func itemPropertiesAndDeletion() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        let item = try await login.createItem(label: "label", attributes: ["a": "1"], secret: Secret(bytes: [1, 2, 3]))
        #expect(try await item.attributes()["a"] == "1")
        try await item.setAttributes(["a": "2", "b": "3"])
        #expect(try await item.attributes()["b"] == "3")
        try await item.setLabel("relabelled")
        #expect(try await item.label() == "relabelled")
        #expect(try await item.isLocked() == false)
        #expect(try await item.created() > 1_600_000_000)
        #expect(try await item.modified() >= item.created())
        try await item.setSecret(Secret("text now"))
        #expect(try await item.secret() == Secret("text now"))
        #expect(item.collection == login)
        try await item.delete()
        await expectCode(.noSuchObject) { _ = try await item.secret() }
        #expect(try await login.searchItems(["a": "2"]).isEmpty)
    }

    @Test func batchGetSecretsForAHundredItems() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let session = SecretCollection.at("/org/freedesktop/secrets/collection/session", client: f.client)
        for i in 0..<100 {
            try await session.createItem(label: "batch \(i)", attributes: ["batch": "yes", "n": "\(i)"], secret: Secret("secret \(i)"))
        }
        let (items, locked) = try await f.client.searchItems(["batch": "yes"])
        #expect(items.count == 100 && locked.isEmpty)
        let secrets = try await f.client.secrets(for: items)
        #expect(secrets.count == 100)
        for item in items {
            let n = try await item.attributes()["n"]!
            #expect(secrets[item.path] == Secret("secret \(n)"))
        }
    }

    @Test func aMissingDefaultCollectionIsAClearError() async throws {
        let bus = try await TestBus.startAsync(keyring: true, locked: true)
        defer { bus.stop() }
        let client = SecretServiceClient(options: .init(bus: .address(bus.address), allowsPrompts: false))
        await expectCode(.noDefaultCollection) { _ = try await client.defaultCollection() }
        await client.disconnect()
    }

    @Test func noDaemonIsServiceUnavailable() async throws {
        let bus = try await TestBus.startAsync(keyring: false)
        defer { bus.stop() }
        let client = SecretServiceClient(options: .init(bus: .address(bus.address)))
        await expectCode(.serviceUnavailable) { _ = try await client.lookup(["a": "b"]) }
        let noBus = SecretServiceClient(options: .init(bus: .address("unix:path=/nonexistent/bus")))
        await expectCode(.serviceUnavailable) { _ = try await noBus.lookup(["a": "b"]) }
    }

    @Test func availabilityIsAskedOfTheBusAndTheSessionOpensMeanwhile() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        try await f.client.checkAvailability()
        // The probe's connection is kept: its session (opening since) serves the next call.
        #expect(try await f.client.isSessionEncrypted)
        // Hello, NameHasOwner, the readiness probe (Get Collections), OpenSession.
        #expect(await f.client.methodCallsSent == 4)

        let noDaemon = try await TestBus.startAsync(keyring: false)
        defer { noDaemon.stop() }
        let client = SecretServiceClient(options: .init(bus: .address(noDaemon.address)))
        await expectCode(.serviceUnavailable) { try await client.checkAvailability() }
        let noBus = SecretServiceClient(options: .init(bus: .address("unix:path=/nonexistent/bus")))
        await expectCode(.serviceUnavailable) { try await noBus.checkAvailability() }
    }

    @Test func aPreparedKeyPairServesTheNextSessionOnly() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        SecretServiceClient.prepareSession()
        SecretServiceClient.prepareSession()  // one at a time
        #expect(SecretServiceClient.hasPreparedSession)
        try await f.client.connect()
        #expect(!SecretServiceClient.hasPreparedSession)
        #expect(try await f.client.isSessionEncrypted)
        let other = f.client()
        try await other.connect()  // makes its own
        #expect(try await other.isSessionEncrypted)
        await other.disconnect()
    }

    @Test func aPreparedConnectionServesTheNextClientOnTheSameBusOnly() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let elsewhere = SecretServiceClient(options: .init(bus: .address("unix:path=/nonexistent/bus")))
        SecretServiceClient.prepareSession(connectingWith: f.client.options)
        await expectCode(.serviceUnavailable) { try await elsewhere.checkAvailability() }
        #expect(SecretServiceClient.hasPreparedSession)
        try await f.client.checkAvailability()
        #expect(!SecretServiceClient.hasPreparedSession)
        #expect(try await f.client.isSessionEncrypted)
        // Hello, the readiness probe and OpenSession were sent for the client before it existed;
        // it added NameHasOwner.
        #expect(await f.client.methodCallsSent == 4)
    }

    @Test func aFirstLookupSendsItsSearchBesideHelloAndOpenSession() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.createItem(label: "first", attributes: ["first": "1"], secret: Secret("found at once"))
        let fresh = f.client()
        #expect(try await fresh.lookup(["first": "1"]) == Secret("found at once"))
        // Hello, the readiness probe, OpenSession, SearchItems, ReadAlias, GetSecret: nothing
        // waits for a round trip it does not need, so only GetSecret follows an answer (and
        // OpenSession the probe's, sent while the key pair is computed).
        #expect(await fresh.methodCallsSent == 6)
        await fresh.disconnect()
    }

    @Test func openSessionWaitsForTheDaemonToAnswerAPropertyRead() async throws {
        // A stand-in daemon whose main loop is busy for 300 ms: its answer to the property read
        // comes late, and OpenSession must not arrive before it (gnome-keyring aborts on an
        // OpenSession that arrives before its service is fully set up).
        let bus = try await TestBus.startAsync(keyring: false)
        defer { bus.stop() }
        let daemon = try await DBusConnection.connect(to: .address(bus.address))
        defer { daemon.close() }
        let events = Mutex<[String]>([])
        try daemon.export(path: "/org/freedesktop/secrets", interface: "org.freedesktop.DBus.Properties") { _ in
            try await Task.sleep(for: .milliseconds(300))
            events.withLock { $0.append("answered Get") }
            return [.variant(.objectPaths([]))]
        }
        try daemon.export(path: "/org/freedesktop/secrets", interface: "org.freedesktop.Secret.Service") { call in
            events.withLock { $0.append("received \(call.member ?? "")") }
            return [.variant(.string("")), .objectPath("/org/freedesktop/secrets/session/s1")]
        }
        #expect(try await daemon.requestName("org.freedesktop.secrets") == .primaryOwner)
        let client = SecretServiceClient(options: .init(bus: .address(bus.address), algorithm: .plain))
        try await client.connect()
        #expect(events.withLock { $0 } == ["answered Get", "received OpenSession"])
        await client.disconnect()
    }

    @Test func aRestartedDaemonIsReconnectedByTheNextCall() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.createItem(label: "persisted", attributes: ["persist": "1"], secret: Secret("still here"))
        #expect(try await f.client.lookup(["persist": "1"]) == Secret("still here"))
        try await f.bus.killKeyringAsync()
        await expectCode(.serviceUnavailable) { _ = try await f.client.lookup(["persist": "1"]) }
        try await f.bus.restartKeyringAsync()
        // The old session died with the daemon; the client opens a new one by itself.
        #expect(try await f.client.lookup(["persist": "1"]) == Secret("still here"))
    }
}

@Suite("Prompts, locking and gnome-keyring's master-password interface")
struct PromptTests {
    static let login: DBusObjectPath = "/org/freedesktop/secrets/collection/login"

    @Test func lockedCollectionFailsFastWithoutPrompts() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.createItem(label: "t", attributes: ["locked-test": "1"], secret: Secret("v"))
        try await login.lock()
        #expect(try await login.isLocked())
        let (unlocked, locked) = try await f.client.searchItems(["locked-test": "1"])
        #expect(unlocked.isEmpty && locked.count == 1)

        let strict = f.client(allowsPrompts: false)
        try await strict.connect()
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await strict.lookup(["locked-test": "1"])
            Issue.record("expected a locked error")
        } catch let error as SecretServiceError {
            #expect(error.code == .locked)
            #expect(error.message.contains("login") && error.message.contains("locked"))
        }
        #expect(clock.now - start < .seconds(1))
        #expect(f.prompter.records.isEmpty)
        await strict.disconnect()
    }

    @Test func unlockThroughThePrompterAfterAWrongPassword() async throws {
        let f = try await Fixture.start(answers: [.password("wrong"), .password(Fixture.password)])
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.createItem(label: "t", attributes: ["unlock-test": "1"], secret: Secret("opened"))
        try await login.lock()
        #expect(try await f.client.lookup(["unlock-test": "1"]) == Secret("opened"))
        #expect(try await login.isLocked() == false)
        let passwordPrompts = f.prompter.records.filter { $0.type == "password" }
        #expect(passwordPrompts.count == 2)
    }

    @Test func cancelledPromptIsDismissed() async throws {
        let f = try await Fixture.start(answers: [.cancel])
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.lock()
        await expectCode(.promptDismissed) { try await login.unlock() }
        #expect(try await login.isLocked())
    }

    @Test func aPrompterThatNeverAnswersEndsAtTheDeadline() async throws {
        let f = try await Fixture.start(answers: [.never])
        defer { Task { await f.stop() } }
        let client = f.client(promptTimeout: .milliseconds(500))
        try await client.connect()
        let login = try await client.defaultCollection()
        try await login.lock()
        let clock = ContinuousClock()
        let start = clock.now
        await expectCode(.promptTimedOut) { try await login.unlock() }
        #expect(clock.now - start < .seconds(5))
        #expect(await f.daemonAnswers())
        await client.disconnect()
    }

    @Test func aDaemonThatExitsDuringAPromptEndsTheWait() async throws {
        let f = try await Fixture.start(answers: [.never])
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.lock()
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task { try await login.unlock() }
        // Kill the daemon once the prompt is really showing.
        while f.prompter.records.isEmpty, clock.now - start < .seconds(10) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!f.prompter.records.isEmpty)
        try await f.bus.killKeyringAsync()
        let result = await task.result
        #expect {
            try result.get()
        } throws: { error in
            (error as? SecretServiceError)?.code == .serviceVanished
        }
        #expect(clock.now - start < .seconds(15))
    }

    @Test func cancellingTheWaitingTaskLeavesTheDaemonRunning() async throws {
        let f = try await Fixture.start(answers: [.never])
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.lock()
        let task = Task { try await login.unlock() }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        try await Task.sleep(for: .milliseconds(200))
        #expect(await f.daemonAnswers())
    }

    @Test func dismissingAPromptThatIsNotShown() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let login = try await f.client.defaultCollection()
        try await login.lock()
        let (unlocked, prompt) = try await f.client.requestUnlock([login.path])
        #expect(unlocked.isEmpty)
        let pending = try #require(prompt)
        try await pending.dismiss()
        #expect(try await login.isLocked())
        #expect(await f.daemonAnswers())
        #expect(f.prompter.records.isEmpty)
    }

    @Test func createCollectionThroughItsPrompt() async throws {
        let f = try await Fixture.start(answers: [.password("new-collection-password")], promptTimeout: .seconds(20))
        defer { Task { await f.stop() } }
        let created = try await f.client.createCollection(label: "Work Secrets")
        #expect(try await created.label() == "Work Secrets")
        #expect(created.name == "Work_Secrets" || created.name.lowercased().contains("work"))
        try await created.createItem(label: "in work", attributes: ["w": "1"], secret: Secret("w"))
        #expect(try await f.client.lookup(["w": "1"]) == Secret("w"))
        try await created.delete()
        #expect(try await f.client.collections().contains(created) == false)
    }

    @Test func createCollectionWithoutPromptsIsRefused() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let strict = f.client(allowsPrompts: false)
        await expectCode(.promptRequired) { _ = try await strict.createCollection(label: "Nope") }
        await strict.disconnect()
    }

    @Test func masterPasswordInterfaceCreatesUnlocksAndChanges() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let vault = try await f.client.createCollection(label: "Headless", masterPassword: Secret("first"))
        #expect(try await vault.isLocked() == false)
        try await vault.createItem(label: "h", attributes: ["headless": "1"], secret: Secret("server token"))
        try await vault.lock()
        await expectCode(.denied) { try await f.client.unlock(vault, masterPassword: Secret("wrong")) }
        #expect(try await vault.isLocked())
        try await f.client.unlock(vault, masterPassword: Secret("first"))
        #expect(try await vault.isLocked() == false)
        try await f.client.changeMasterPassword(of: vault, from: Secret("first"), to: Secret("second"))
        try await vault.lock()
        await expectCode(.denied) { try await f.client.unlock(vault, masterPassword: Secret("first")) }
        try await f.client.unlock(vault, masterPassword: Secret("second"))
        #expect(try await f.client.lookup(["headless": "1"]) == Secret("server token"))
        #expect(f.prompter.records.isEmpty)
    }
}

@Suite("Interoperability with secret-tool")
struct SecretToolInteropTests {
    @Test func secretToolItemsAreReadAndOursAreReadBySecretTool() async throws {
        let f = try await Fixture.start()
        defer { Task { await f.stop() } }
        let stored = try await f.bus.run(
            "/usr/bin/secret-tool", ["store", "--label=from secret-tool", "service", "interop", "username", "bob"],
            stdin: Array("tool-secret".utf8))
        #expect(stored.succeeded, "\(stored)")
        #expect(try await f.client.lookup(["service": "interop", "username": "bob"]) == Secret("tool-secret"))

        try await f.client.defaultCollection().createItem(
            label: "from swift", attributes: ["service": "interop", "username": "carol"],
            secret: Secret(bytes: Array("swift-secret\u{0}\u{1}".utf8)))
        let looked = try await f.bus.run("/usr/bin/secret-tool", ["lookup", "service", "interop", "username", "carol"])
        #expect(looked.succeeded, "\(looked)")
        #expect(looked.stdout == Array("swift-secret\u{0}\u{1}".utf8))
    }
}
