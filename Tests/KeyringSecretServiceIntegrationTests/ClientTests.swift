import KeyringDBus
import KeyringSecretService
import KeyringSystem
import Synchronization
import Testing
import TestSupport

@Suite("Secret Service client against gnome-keyring")
struct ClientTests {
    @Test func sessionIsEncryptedAndSecretsRoundTrip() async throws {
        try await Fixture.with { f in
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
    }

    @Test func aThousandSessionsInARowEachRoundTripASecret() async throws {
        try await Fixture.with { f in
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
    }

    @Test func repeatedLookupsSeeChangesMadeByOtherPrograms() async throws {
        try await Fixture.with { f in
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
            let newer = try await other.defaultCollection().createItem(
                label: "newer", attributes: ["cache": "other"], secret: Secret("v3"))
            try await item.setAttributes(["cache": "moved"])
            #expect(try await f.client.lookup(attributes) == nil)
            try await newer.setAttributes(attributes)
            #expect(try await f.client.lookup(attributes) == Secret("v3"))
            try await newer.delete()
            #expect(try await f.client.lookup(attributes) == nil)
            await other.disconnect()
        }
    }

    @Test func aLookupPrefersTheDefaultCollectionWhenSeveralMatch() async throws {
        try await Fixture.with { f in
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
    }

    @Test func plainSessionWhenAskedFor() async throws {
        try await Fixture.with { f in
            let plain = SecretServiceClient(options: .init(bus: .address(f.bus.address), algorithm: .plain))
            #expect(try await plain.isSessionEncrypted == false)
            let item = try await plain.defaultCollection().createItem(
                label: "plain", attributes: ["p": "1"], secret: Secret("clear"))
            #expect(try await f.client.lookup(["p": "1"]) == Secret("clear"))
            #expect(try await item.secret() == Secret("clear"))
            await plain.disconnect()
        }
    }

    @Test func serviceAliasesAndCollections() async throws {
        try await Fixture.with { f in
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
    }

    @Test func collectionProperties() async throws {
        try await Fixture.with { f in
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
    }

    @Test func storeUpdatesExactlyOneItemAndLeavesSupersetsAlone() async throws {
        try await Fixture.with { f in
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
    }

    @Test func itemPropertiesAndDeletion() async throws {
        try await Fixture.with { f in
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
    }

    @Test func batchGetSecretsForAHundredItems() async throws {
        try await Fixture.with { f in
            let session = SecretCollection.at("/org/freedesktop/secrets/collection/session", client: f.client)
            for i in 0..<100 {
                try await session.createItem(
                    label: "batch \(i)", attributes: ["batch": "yes", "n": "\(i)"], secret: Secret("secret \(i)"))
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
        try await Fixture.with { f in
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
    }

    @Test func aPreparedKeyPairServesTheFirstSessionOnly() async throws {
        try await Fixture.with { f in
            let preparation = SecretServicePreparation()
            #expect(preparation.isPending && !preparation.isConnecting)
            let client = SecretServiceClient(options: f.client.options, preparation: preparation)
            try await client.connect()
            #expect(!preparation.isPending)
            #expect(try await client.isSessionEncrypted)
            await client.disconnect()
            try await client.connect()  // a new session makes its own key pair
            #expect(try await client.isSessionEncrypted)
            await client.close()
        }
    }

    @Test func aPreparedConnectionServesAClientOnTheSameBusOnly() async throws {
        try await Fixture.with { f in
            let preparation = SecretServicePreparation(connectingWith: f.client.options)
            #expect(preparation.isConnecting)
            let elsewhere = SecretServiceClient(
                options: .init(bus: .address("unix:path=/nonexistent/bus")), preparation: preparation)
            await expectCode(.serviceUnavailable) { try await elsewhere.checkAvailability() }
            #expect(preparation.isConnecting, "a client on another bus does not take it")
            let client = SecretServiceClient(options: f.client.options, preparation: preparation)
            try await client.checkAvailability()
            #expect(!preparation.isPending)
            #expect(try await client.isSessionEncrypted)
            // Hello, the readiness probe and OpenSession were sent for the client before it existed;
            // it added NameHasOwner.
            #expect(await client.methodCallsSent == 4)
            await client.close()
        }
    }

    /// gnome-keyring aborts when a client hangs up with its OpenSession unanswered: close()
    /// waits for the answer, so a program that closes and exits at once leaves the daemon up.
    @Test func closeWaitsForTheSessionRequestAndEndsTheConnection() async throws {
        try await Fixture.with { f in
            for _ in 0..<20 {
                let client = f.client()
                try await client.checkAvailability()  // asks only the bus; OpenSession is on its way
                await client.close()
                #expect(await client.methodCallsSent == 0, "closed")
            }
            // The daemon is still there and serves a new client.
            let client = f.client()
            try await client.connect()
            #expect(try await client.isSessionEncrypted)
            await client.close()
        }
    }

    @Test func aFirstLookupSendsItsSearchBesideHelloAndOpenSession() async throws {
        try await Fixture.with { f in
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
        try daemon.export(path: "/org/freedesktop/secrets", interface: "org.freedesktop.DBus.Properties") { _ throws(DBusError) in
            try? await Task.sleep(for: .milliseconds(300))
            events.withLock { $0.append("answered Get") }
            return [.variant(.objectPaths([]))]
        }
        try daemon.export(path: "/org/freedesktop/secrets", interface: "org.freedesktop.Secret.Service") {
            call throws(DBusError) in
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
        try await Fixture.with { f in
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
}
