import Foundation
import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

/// One entry a fixture puts in a fresh backend before a test reads it.
struct SeedEntry: Sendable {
    let service: String
    let account: String
    let secret: Secret

    init(_ service: String, _ account: String, _ secret: Secret) {
        self.service = service
        self.account = account
        self.secret = secret
    }
}

/// A backend made for one test, and whatever must live as long as it (a temporary directory).
struct FixtureInstance: Sendable {
    let backend: any KeyringBackend
    let resources: [any Sendable]
}

/// How to make each backend for the conformance suite, and what it can do.
struct BackendFixture: Sendable, CustomTestStringConvertible {
    let name: String
    /// Writes throw `unsupported`; seeds go in another way (the environment).
    let isReadOnly: Bool
    /// Can hold bytes that are not UTF-8.
    let supportsBinary: Bool
    /// Has createKeyring, lock, unlock.
    let supportsKeyrings: Bool
    /// Makes a backend whose default keyring holds `seed`.
    let make: @Sendable (_ seed: [SeedEntry]) async throws -> FixtureInstance
    /// How the backend lists an account it was given (the env backend encodes names).
    let listedAccount: @Sendable (String) -> String
    /// The name `keyrings()` gives the default keyring; nil when it changes from run to run.
    var defaultKeyringName: String? = "default"
    /// The Secret Service server behind the backend, for the secret-service fixture.
    var server: TestServer?
    /// The largest secret the tests give it.
    var largeSecretSize: Int { server?.largeSecretSize ?? 1 << 20 }
    /// The password that unlocks keyrings the tests create.
    static let keyringPassword = "work keyring password"

    var testDescription: String { name }

    static let memory = BackendFixture(
        name: "memory", isReadOnly: false, supportsBinary: true, supportsKeyrings: true,
        make: { seed in
            let backend = MemoryBackend()
            for entry in seed {
                try await backend.set(entry.secret, service: entry.service, account: entry.account, keyring: nil, label: nil)
            }
            return FixtureInstance(backend: backend, resources: [])
        },
        listedAccount: { $0 })

    static let file = BackendFixture(
        name: "file", isReadOnly: false, supportsBinary: true, supportsKeyrings: true,
        make: { seed in
            let directory = try TemporaryDirectory()
            let backend = EncryptedFileBackend(
                directory: directory.keyrings, password: SecureBytes(utf8: "fixture password"), kdf: .minimum, environment: [:])
            for entry in seed {
                try await backend.set(entry.secret, service: entry.service, account: entry.account, keyring: nil, label: nil)
            }
            return FixtureInstance(backend: backend, resources: [directory])
        },
        listedAccount: { $0 })

    static let env = BackendFixture(
        name: "env", isReadOnly: true, supportsBinary: false, supportsKeyrings: false,
        make: { seed in
            var environment = ["KEYRING_FILE_PASSWORD": "not a secret of the env backend", "PATH": "/usr/bin"]
            for entry in seed {
                environment[EnvironmentBackend.variableName(service: entry.service, account: entry.account)] =
                    entry.secret.stringValue!
            }
            return FixtureInstance(backend: EnvironmentBackend(environment: environment), resources: [])
        },
        listedAccount: { account in
            EnvironmentBackend.variableName(service: "x", account: account).replacingOccurrences(
                of: "KEYRING_SECRET_X__", with: "")
        })

    /// A real Secret Service on a private bus: gnome-keyring, whose default keyring is its
    /// `login` collection, or the server `KEYRING_TEST_SERVER` names (``TestServer/current``).
    /// Keyrings can be made with a password only through gnome-keyring's private interface
    /// (``ServerProfile/hasMasterPasswordInterface``); the other servers' keyring management is
    /// ConformanceTests.keyringManagementElsewhere.
    static let secretService: BackendFixture = {
        let server = TestServer.current
        var fixture = BackendFixture(
            name: "secret-service", isReadOnly: false, supportsBinary: server.profile.storesAnyBytes,
            supportsKeyrings: server.profile.hasMasterPasswordInterface,
            make: { seed in
                let bus = try await TestBus.startAsync(keyring: true, server: server)
                // gnome-keyring's headless prompts end dismissed at once; elsewhere they complete
                // by themselves (or never: KeePassXC's dialogs), within the deadline.
                let client = SecretServiceClient(
                    options: .init(
                        bus: .address(bus.address), promptTimeout: .seconds(5), allowsPrompts: server != .gnomeKeyring))
                let backend = SecretServiceBackend(client: client)
                for entry in seed {
                    try await backend.set(entry.secret, service: entry.service, account: entry.account, keyring: nil, label: nil)
                }
                return FixtureInstance(backend: backend, resources: [bus])
            },
            listedAccount: { $0 })
        fixture.server = server
        fixture.defaultKeyringName =
            server == .gnomeKeyring
            ? "login"
            : server.profile.defaultCollection.map {
                String($0.split(separator: "/").last!)
            }
        return fixture
    }()

    static let all: [BackendFixture] =
        TestServer.current == .gnomeKeyring ? [.memory, .file, .env, .secretService] + withTraits : [.secretService]
    static let writable = all.filter { !$0.isReadOnly }
    static let binary = all.filter(\.supportsBinary)
    static let withKeyrings = all.filter(\.supportsKeyrings)
}
