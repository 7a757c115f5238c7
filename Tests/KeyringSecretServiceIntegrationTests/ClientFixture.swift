import KeyringDBus
import KeyringSecretService
import KeyringSystem
import Synchronization
import Testing
import TestSupport

/// A private bus, a real Secret Service (``TestServer/current``: gnome-keyring, its login
/// keyring unlocked with `password`, unless `KEYRING_TEST_SERVER` names another), a test
/// prompter (gnome-keyring sends its prompts there) and a client.
struct Fixture {
    static let password = "test-password"
    let bus: TestBus
    let prompter: TestPrompter
    let client: SecretServiceClient
    let server: TestServer

    /// What the server under test does differently.
    var profile: ServerProfile { server.profile }

    static func start(
        answers: [TestPrompter.Answer] = [], allowsPrompts: Bool = true, promptTimeout: Duration = .seconds(20),
        server: TestServer = .current
    ) async throws -> Fixture {
        let bus = try await TestBus.startAsync(
            keyring: true, server: server, password: password, prompter: TestPrompter.busName)
        let prompter = try await TestPrompter.start(on: bus.address, answers: answers)
        let client = SecretServiceClient(
            options: .init(
                bus: .address(bus.address), promptTimeout: promptTimeout, allowsPrompts: allowsPrompts))
        return Fixture(bus: bus, prompter: prompter, client: client, server: server)
    }

    /// Runs `body` with a fresh fixture and stops it afterwards, whether `body` returns or throws.
    static func with<T>(
        answers: [TestPrompter.Answer] = [], allowsPrompts: Bool = true, promptTimeout: Duration = .seconds(20),
        server: TestServer = .current, _ body: (Fixture) async throws -> T
    ) async throws -> T {
        let fixture = try await start(
            answers: answers, allowsPrompts: allowsPrompts, promptTimeout: promptTimeout, server: server)
        do {
            let result = try await body(fixture)
            await fixture.stop()
            return result
        } catch {
            await fixture.stop()
            throw error
        }
    }

    func client(allowsPrompts: Bool = true, promptTimeout: Duration = .seconds(20)) -> SecretServiceClient {
        SecretServiceClient(
            options: .init(bus: .address(bus.address), promptTimeout: promptTimeout, allowsPrompts: allowsPrompts))
    }

    /// An unlocked collection other than the default one: the profile's, or (on a server that
    /// starts with one collection) a new one.
    func secondCollection() async throws -> SecretCollection {
        if let path = profile.secondCollection { return SecretCollection.at(try DBusObjectPath(path), client: client) }
        return try await client.createCollection(label: "second")
    }

    func stop() async {
        await client.disconnect()
        prompter.stop()
        bus.stop()
    }

    /// The server is alive and answering.
    func daemonAnswers() async -> Bool {
        guard let connection = try? await DBusConnection.connect(to: .address(bus.address)) else { return false }
        defer { connection.close() }
        return
            (try? await connection.call(
                destination: "org.freedesktop.secrets", path: "/org/freedesktop/secrets",
                interface: "org.freedesktop.DBus.Peer", member: "Ping", timeout: .seconds(2))) != nil
    }
}

/// Same bytes (gnome-keyring 42 returns every content type as text/plain: ``ServerProfile/keepsContentType``).
func sameBytes(_ a: Secret?, _ b: Secret?) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    return a.bytes.constantTimeEquals(b.bytes)
}

func expectCode(
    _ code: SecretServiceError.Code, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as SecretServiceError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// `body` fails, with any error: for what a server refuses in its own way (``ServerProfile``).
func expectFailure(
    _ what: String, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async {
    do {
        try await body()
        Issue.record("expected \(what) to fail, it succeeded", sourceLocation: sourceLocation)
    } catch {
    }
}
