import Foundation
import KeyringKit
import KeyringSystem
import Testing
import TestSupport

/// Docker credentials on a backend without attributes (memory), and the configuration
/// settings of issue 15 (`backend = disabled`, `audit-log`).
@Suite("Docker credentials and the configuration's settings")
struct DockerCredentialsTests {
    @Test("one credential per server under docker:SERVER; erase and list")
    func memoryBackend() async throws {
        let keyring = Keyring(backend: MemoryBackend())
        let hub = DockerCredentialKey(server: "https://index.docker.io/v1/")
        try await keyring.storeDockerCredential(hub, username: "alice", secret: Secret("a"))
        try await keyring.storeDockerCredential(DockerCredentialKey(server: "r.example"), username: "bob", secret: Secret("b"))
        #expect(try await keyring.accounts(service: "docker:https://index.docker.io/v1/") == ["alice"])
        try await keyring.storeDockerCredential(hub, username: "carol", secret: Secret("c"))
        let found = try #require(try await keyring.dockerCredential(hub))
        #expect(found.username == "carol" && found.secret.stringValue == "c")
        #expect(try await keyring.accounts(service: hub.service) == ["carol"], "the other user's is gone")
        #expect(
            try await keyring.dockerCredentials().map { "\($0.server)=\($0.username)" } == [
                "https://index.docker.io/v1/=carol", "r.example=bob",
            ])
        #expect(try await keyring.eraseDockerCredential(hub) == 1)
        #expect(try await keyring.dockerCredential(hub) == nil)
        #expect(try await keyring.eraseDockerCredential(hub) == 0)
        await #expect(throws: KeyringError.self) {
            try await keyring.storeDockerCredential(DockerCredentialKey(server: ""), username: "u", secret: Secret("x"))
        }
    }

    @Test("the item attributes are docker-credential-secretservice's")
    func attributes() {
        let key = DockerCredentialKey(server: "r.example")
        #expect(
            key.storeAttributes(username: "u") == [
                "server": "r.example", "username": "u", "docker_cli": "1", "label": "Docker Credentials",
                "xdg:schema": "io.docker.Credentials",
            ])
        #expect(key.label == "r.example")
    }

    @Test("backend = disabled turns the choice off unless something else chooses; audit-log is read, ~/ expanded")
    func configuration() async throws {
        let directory = try TemporaryDirectory.create(prefix: "config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config"
        try "backend = disabled\naudit-log = ~/audit.log\n".write(toFile: path, atomically: true, encoding: .utf8)
        let selection = BackendSelection(environment: ["HOME": directory], configurationPath: path)
        #expect(selection.disabledBy?.contains(path) == true)
        #expect(try selection.auditLogPath() == directory + "/audit.log")
        await #expect(throws: KeyringError.self) { try await selection.choose() }
        #expect(
            BackendSelection(environment: ["HOME": directory, "KEYRING_BACKEND": "memory"], configurationPath: path).disabledBy
                == nil)
        #expect(BackendSelection(backend: .memory, environment: ["HOME": directory], configurationPath: path).disabledBy == nil)
        #expect(throws: KeyringError.self) { try selection.disable() }  // exists: refused
        let fresh = BackendSelection(environment: ["HOME": directory], configurationPath: directory + "/new/config")
        #expect(try fresh.disable() == directory + "/new/config")
        #expect(fresh.disabledBy != nil)
        try "audit-log = relative.log\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: KeyringError.self) { try selection.auditLogPath() }
    }
}
