import KeyringDBus
import KeyringSecretService
import KeyringSystem
import Synchronization
import Testing
import TestSupport

/// Tests that start gnome-keyring in a state of its own, or no server at all: they run in the
/// gnome-keyring pass of scripts/test, not again in each other server's.
let gnomeKeyringPass = ConditionTrait.enabled(
    if: TestServer.current == .gnomeKeyring, "tests gnome-keyring itself or no server; runs in the gnome-keyring pass")

/// The client against a real Secret Service: gnome-keyring, or the server `KEYRING_TEST_SERVER`
/// names (scripts/test runs this suite on each). Where a server differs, its
/// ``ServerProfile`` says so and the test expects what that server does.
@Suite("Secret Service client against a real server", .timeLimit(.minutes(5)))
struct ClientTests {
    @Test func sessionIsEncryptedAndSecretsRoundTrip() async throws {
        try await Fixture.with { f in
            #expect(try await f.client.isSessionEncrypted)
            let collection = try await f.client.defaultCollection()
            if let path = f.profile.defaultCollection { #expect(collection.path.rawValue == path) }
            var cases: [Secret] = [
                Secret("hunter2"),
                Secret(""),
                Secret(bytes: Array(0...255)),
                Secret("ünïcødé 🔑", contentType: "text/plain; charset=utf8"),
            ]
            if f.profile.takesLargeSecretsQuickly {
                cases.append(Secret(bytes: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
            } else {
                // The libsecret mock decrypts in pure Python (2 min for 1 MiB), pass-secret-service
                // goes through gpg: 16 KiB.
                cases.append(Secret(bytes: (0..<(1 << 14)).map { UInt8(truncatingIfNeeded: $0 &* 7) }))
            }
            for (index, secret) in cases.enumerated() {
                if !f.profile.storesAnyBytes && secret.stringValue == nil {
                    // pass-secret-service keeps secrets as UTF-8 text: it refuses other bytes.
                    await expectFailure("case \(index) on \(f.server)") {
                        _ = try await collection.createItem(
                            label: "case \(index)", attributes: ["case": "\(index)"], secret: secret)
                    }
                    #expect(try await f.client.lookup(["case": "\(index)"]) == nil, "nothing half-written")
                    continue
                }
                let item = try await collection.createItem(
                    label: "case \(index)", attributes: ["case": "\(index)"], secret: secret)
                let back = try await item.secret()
                #expect(sameBytes(back, secret), "case \(index)")
                if f.profile.keepsContentType {
                    // KeePassXC and pass-secret-service keep the type, not its parameters.
                    let type =
                        f.profile.keepsContentTypeParameters
                        ? secret.contentType : String(secret.contentType.prefix { $0 != ";" })
                    #expect(back.contentType == type, "case \(index)")
                }
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
                // Any byte but on pass-secret-service (UTF-8 text only).
                let last = f.profile.storesAnyBytes ? UInt8(i % 256) : UInt8(0x30 + i % 10)
                let secret = Secret(bytes: Array("value \(i)".utf8) + [last])
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
            let session = try await f.secondCollection()
            try await session.createItem(label: "in session", attributes: attributes, secret: Secret("from session"))
            try await login.createItem(label: "in login", attributes: attributes, secret: Secret("from login"))
            #expect(try await f.client.lookup(attributes) == Secret("from login"))
            // The alias decides, not the name: with `default` on the session collection, it wins.
            if f.profile.setsAliases {
                try await f.client.setAlias("default", to: session)
                #expect(try await f.client().lookup(attributes) == Secret("from session"))
                try await f.client.setAlias("default", to: login)
            } else {
                await expectFailure("SetAlias on \(f.server)") { try await f.client.setAlias("default", to: session) }
                #expect(try await f.client().lookup(attributes) == Secret("from login"))
            }
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
            let session = try await f.secondCollection()
            let paths = try await f.client.collections().map(\.path)
            let login = try #require(try await f.client.collection(alias: "default"))
            #expect(paths.contains(login.path) && paths.contains(session.path), "\(paths)")
            if let path = f.profile.defaultCollection { #expect(login.path.rawValue == path) }
            #expect(try await f.client.collection(alias: "nothing-here") == nil)
            guard f.profile.setsAliases else {
                await expectFailure("SetAlias on \(f.server)") { try await f.client.setAlias("default", to: session) }
                #expect(try await f.client.defaultCollection() == login)
                return
            }
            // gnome-keyring supports only the 'default' alias.
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
            let label: String
            if f.profile.relabelsCollections {
                try await login.setLabel("My login")
                label = "My login"
            } else {
                let before = try await login.label()
                await expectFailure("setting a collection's Label on \(f.server)") { try await login.setLabel("My login") }
                label = before
            }
            #expect(try await login.label() == label)
            #expect(try await login.isLocked() == false)
            if f.profile.hasItemTimes {
                #expect(try await login.created() > 1_600_000_000)
            } else {
                #expect(try await login.created() == 0, "\(f.server) has no times")
            }
            _ = try await login.modified()
            let item = try await login.createItem(label: "x", attributes: ["k": "v"], secret: Secret("s"))
            #expect(try await login.items().contains(item))
            let info = try await login.info()
            #expect(info.label == label && info.items.contains(item.path))
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
            if f.profile.hasItemTimes {
                #expect(try await item.created() > 1_600_000_000)
                #expect(try await item.modified() >= item.created())
            } else {
                #expect(try await item.created() == 0, "\(f.server) has no times")
                #expect(try await item.modified() == 0)
            }
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
            let session = try await f.secondCollection()
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

    @Test(gnomeKeyringPass) func aMissingDefaultCollectionIsAClearError() async throws {
        let bus = try await TestBus.startAsync(keyring: true, locked: true)
        defer { bus.stop() }
        let client = SecretServiceClient(options: .init(bus: .address(bus.address), allowsPrompts: false))
        await expectCode(.noDefaultCollection) { _ = try await client.defaultCollection() }
        await client.disconnect()
    }

    @Test(gnomeKeyringPass) func noDaemonIsServiceUnavailable() async throws {
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

    @Test(gnomeKeyringPass) func openSessionWaitsForTheDaemonToAnswerAPropertyRead() async throws {
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
            // kwalletd5 writes a wallet to disk 5 s after a change, KeePassXC saves in the
            // background: a crash sooner loses the change.
            if f.profile.savesWithin > .zero { try await Task.sleep(for: f.profile.savesWithin) }
            try await f.bus.killKeyringAsync()
            await expectCode(.serviceUnavailable) { _ = try await f.client.lookup(["persist": "1"]) }
            try await f.bus.restartKeyringAsync()
            // The old session died with the daemon; the client opens a new one by itself.
            if f.profile.keepsItemsAcrossRestarts {
                #expect(try await f.client.lookup(["persist": "1"]) == Secret("still here"))
            } else {
                // The libsecret mock keeps everything in memory: the restarted one is empty.
                #expect(try await f.client.lookup(["persist": "1"]) == nil)
                #expect(try await f.client.isSessionEncrypted)
            }
        }
    }
}
