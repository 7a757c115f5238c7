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
    /// The name `keyrings()` gives the default keyring.
    var defaultKeyringName = "default"
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

    /// A real gnome-keyring on a private bus; the default keyring is its `login` collection.
    static let secretService: BackendFixture = {
        var fixture = BackendFixture(
            name: "secret-service", isReadOnly: false, supportsBinary: true, supportsKeyrings: true,
            make: { seed in
                let bus = try await TestBus.startAsync(keyring: true)
                let client = SecretServiceClient(options: .init(bus: .address(bus.address), allowsPrompts: false))
                let backend = SecretServiceBackend(client: client)
                for entry in seed {
                    try await backend.set(entry.secret, service: entry.service, account: entry.account, keyring: nil, label: nil)
                }
                return FixtureInstance(backend: backend, resources: [bus])
            },
            listedAccount: { $0 })
        fixture.defaultKeyringName = "login"
        return fixture
    }()

    static let all: [BackendFixture] = [.memory, .file, .env, .secretService] + withTraits
    static let writable = all.filter { !$0.isReadOnly }
    static let binary = all.filter(\.supportsBinary)
    static let withKeyrings = all.filter(\.supportsKeyrings)
}
