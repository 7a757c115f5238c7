#if OpenBao
import Foundation
import KeyringKit
@testable import KeyringOpenBao
import KeyringSystem
import Testing
import TestSupport

/// The OpenBao backend against real `bao` servers (TestSupport's BaoServer): what the
/// conformance suite does not cover. Each test works under a prefix of its own on the shared
/// dev server, or starts the server it needs (TLS, Raft, namespaces, policies).
@Suite("OpenBao backend against a real server")
struct OpenBaoServerTests {
    static func prefix() -> BackendSetting {
        BackendSetting(key: "prefix", value: "tests/\(UUID().uuidString)", origin: "the test")
    }

    static func backend(
        _ server: BaoServer, token: String? = nil, settings: [BackendSetting] = [prefix()], extra: [String: String] = [:]
    ) throws -> OpenBaoBackend {
        try OpenBaoBackend(environment: server.environment(token: token).merging(extra) { $1 }, settings: settings)
    }

    @Test("names with /, %, dots, spaces, non-ASCII and an empty account round-trip, and other tools read them")
    func awkwardNames() async throws {
        let server = try await BaoServer.shared()
        let prefix = Self.prefix()
        let backend = try Self.backend(server, settings: [prefix])
        let names = [
            ("git:https://github.com/org/repo", "al ice"), ("100%", "%2F"), ("..", "."), ("a//b", ""), ("café ☕", "zoë 👩‍💻"),
            ("tab\tand\u{00A0}no-break", "zero\u{200B}width"),
        ]
        for (index, (service, account)) in names.enumerated() {
            try await backend.set(Secret("secret \(index)"), service: service, account: account, keyring: nil, label: nil)
        }
        for (index, (service, account)) in names.enumerated() {
            #expect(try await backend.get(service: service, account: account, keyring: nil) == Secret("secret \(index)"))
            #expect(try await backend.accounts(service: service, keyring: nil) == [account])
        }
        #expect(try await backend.get(service: "git:https:", account: "github.com", keyring: nil) == nil)
        let everything = try await backend.search(attributes: [:], keyring: nil)
        #expect(Set(everything.map { "\($0.service)|\($0.account)" }) == Set(names.map { "\($0.0)|\($0.1)" }))
        // The bao CLI reads the plain fields at the escaped path.
        let json = try await server.bao([
            "kv", "get", "-format=json", "secret/\(prefix.value)/git:https:%2F%2Fgithub.com%2Forg%2Frepo/al ice",
        ])
        #expect(json.contains("\"password\": \"secret 0\""), "\(json)")
        #expect(json.contains("\"service\": \"git:https://github.com/org/repo\""), "\(json)")
        await backend.close()
    }

    @Test("delete removes every version; a soft delete by another tool reads as no entry")
    func deleteAllVersions() async throws {
        let server = try await BaoServer.shared()
        let prefix = Self.prefix()
        let backend = try Self.backend(server, settings: [prefix])
        try await backend.set(Secret("one"), service: "svc", account: "a", keyring: nil, label: nil)
        try await backend.set(Secret("two"), service: "svc", account: "a", keyring: nil, label: nil)
        #expect(try await backend.delete(service: "svc", account: "a", keyring: nil))
        #expect(try await backend.accounts(service: "svc", keyring: nil) == [])
        let metadata = try? await server.bao(["kv", "metadata", "get", "secret/\(prefix.value)/svc/a"])
        #expect(metadata == nil, "the metadata is gone too")
        // Soft-deleted elsewhere: get is nil, and set writes over the deleted version (CAS on it).
        try await backend.set(Secret("three"), service: "svc", account: "b", keyring: nil, label: nil)
        try await server.bao(["kv", "delete", "secret/\(prefix.value)/svc/b"])
        #expect(try await backend.get(service: "svc", account: "b", keyring: nil) == nil)
        try await backend.set(Secret("four"), service: "svc", account: "b", keyring: nil, label: nil)
        #expect(try await backend.get(service: "svc", account: "b", keyring: nil) == Secret("four"))
        await backend.close()
    }

    @Test("check-and-set: a writer that comes between the read and the write is detected, never overwritten")
    func checkAndSetConflict() async throws {
        let server = try await BaoServer.shared()
        let prefix = Self.prefix()
        let backend = try Self.backend(server, settings: [prefix])
        try await backend.set(Secret("first"), service: "shared", account: "deploy", keyring: nil, label: nil)
        let path = "secret/\(prefix.value)/shared/deploy"
        await backend.setBeforeWrite {
            _ = try? await server.bao(["kv", "put", path, "password=from another writer"])
        }
        let error = await expectKeyringError(.alreadyExists) {
            try await backend.set(Secret("mine"), service: "shared", account: "deploy", keyring: nil, label: nil)
        }
        #expect(error?.message.contains("another writer") == true, "\(String(describing: error))")
        #expect(error?.message.contains("mine") == false)
        await backend.setBeforeWrite(nil)
        #expect(try await backend.get(service: "shared", account: "deploy", keyring: nil) == Secret("from another writer"))
        // Nothing in the way: the next write succeeds over the other writer's version.
        try await backend.set(Secret("mine"), service: "shared", account: "deploy", keyring: nil, label: nil)
        #expect(try await backend.get(service: "shared", account: "deploy", keyring: nil) == Secret("mine"))
        await backend.close()
    }

    @Test("a narrow policy: read where allowed; elsewhere 403 with the path and capabilities, no token, no secret")
    func narrowPolicy() async throws {
        let server = try await BaoServer.start(.dev)
        defer { server.stop() }
        let policy = """
            path "secret/data/keyring/api.example.com/*" { capabilities = ["read"] }
            path "secret/metadata/keyring/api.example.com" { capabilities = ["list"] }
            path "secret/metadata/keyring/api.example.com/*" { capabilities = ["list"] }
            """
        try await server.bao(["policy", "write", "keyring-ro", "-"], stdin: Array(policy.utf8))
        let token = try await server.bao(["token", "create", "-policy=keyring-ro", "-field=token"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let settings = [BackendSetting(key: "prefix", value: "keyring", origin: "test")]
        let root = try Self.backend(server, settings: settings)
        try await root.set(Secret("alice's secret"), service: "api.example.com", account: "alice", keyring: nil, label: nil)
        try await root.set(Secret("other secret"), service: "other.example", account: "alice", keyring: nil, label: nil)
        let narrow = try Self.backend(server, token: token, settings: settings)
        #expect(try await narrow.get(service: "api.example.com", account: "alice", keyring: nil) == Secret("alice's secret"))
        #expect(try await narrow.get(service: "api.example.com", account: "nobody", keyring: nil) == nil)
        #expect(try await narrow.accounts(service: "api.example.com", keyring: nil) == ["alice"])
        let write = await expectKeyringError(.permissionDenied) {
            try await narrow.set(Secret("overwrite"), service: "api.example.com", account: "alice", keyring: nil, label: nil)
        }
        let message = write?.message ?? ""
        #expect(message.contains("secret/data/keyring/api.example.com/alice"), "\(message)")
        #expect(message.contains("may do read there"), "\(message)")
        #expect(message.contains("$BAO_TOKEN"), "\(message)")
        let elsewhere = await expectKeyringError(.permissionDenied) {
            _ = try await narrow.get(service: "other.example", account: "alice", keyring: nil)
        }
        #expect(elsewhere?.message.contains("nothing there (deny)") == true, "\(String(describing: elsewhere))")
        await expectKeyringError(.permissionDenied) {
            _ = try await narrow.delete(service: "api.example.com", account: "alice", keyring: nil)
        }
        for error in [write, elsewhere] {
            let text = "\(String(describing: error))"
            #expect(!text.contains(token) && !text.contains(server.rootToken), "no token in \(text)")
            #expect(!text.contains("overwrite") && !text.contains("secret\""), "no secret in \(text)")
        }
        #expect(try await root.get(service: "api.example.com", account: "alice", keyring: nil) == Secret("alice's secret"))
        // diagnose tells who the token is and what it may do, without the token.
        let diagnosis = await narrow.diagnose()
        #expect(diagnosis.isUsable, "\(diagnosis)")
        let text = diagnosis.description
        #expect(text.contains("address: \(server.address)"), "\(text)")
        #expect(text.contains("health: active, version 2."), "\(text)")
        #expect(text.contains("policies: default, keyring-ro"), "\(text)")
        #expect(text.contains("token: from $BAO_TOKEN"), "\(text)")
        #expect(!text.contains(token), "\(text)")
        await narrow.close()
        await root.close()
    }

    @Test("AppRole: log in with role and secret id files, log in again when the token is revoked; a bad secret id is refused")
    func appRole() async throws {
        let server = try await BaoServer.start(.dev)
        defer { server.stop() }
        try await server.bao(["auth", "enable", "approle"])
        let policy = #"path "secret/*" { capabilities = ["create", "read", "update", "delete", "list"] }"#
        try await server.bao(["policy", "write", "keyring-rw", "-"], stdin: Array(policy.utf8))
        try await server.bao(["write", "auth/approle/role/ci", "token_policies=keyring-rw", "token_ttl=20m"])
        let roleID = try await server.bao(["read", "-field=role_id", "auth/approle/role/ci/role-id"])
        let secretID = try await server.bao(["write", "-f", "-field=secret_id", "auth/approle/role/ci/secret-id"])
        let directory = try TemporaryDirectory()
        try roleID.write(toFile: directory.path + "/role-id", atomically: true, encoding: .utf8)
        try secretID.write(toFile: directory.path + "/secret-id", atomically: true, encoding: .utf8)
        let settings = [
            Self.prefix(), BackendSetting(key: "role-id-file", value: directory.path + "/role-id", origin: "test"),
            BackendSetting(key: "secret-id-file", value: directory.path + "/secret-id", origin: "test"),
        ]
        // No BAO_TOKEN: AppRole alone.
        let backend = try Self.backend(server, token: "", settings: settings)
        try await backend.set(Secret("ci secret"), service: "ci.example", account: "runner", keyring: nil, label: nil)
        #expect(try await backend.get(service: "ci.example", account: "runner", keyring: nil) == Secret("ci secret"))
        // Every token AppRole gave is revoked: the next call logs in again.
        try await server.bao(["token", "revoke", "-mode=path", "auth/approle"])
        #expect(try await backend.get(service: "ci.example", account: "runner", keyring: nil) == Secret("ci secret"))
        let diagnosis = await backend.diagnose()
        #expect(diagnosis.description.contains("policies: default, keyring-rw"), "\(diagnosis)")
        #expect(diagnosis.description.contains("AppRole login"), "\(diagnosis)")
        await backend.close()

        try "not-the-secret-id".write(toFile: directory.path + "/secret-id", atomically: true, encoding: .utf8)
        let refused = try Self.backend(server, token: "", settings: settings)
        let error = await expectKeyringError(.permissionDenied) {
            _ = try await refused.get(service: "ci.example", account: "runner", keyring: nil)
        }
        let text = "\(String(describing: error))"
        #expect(text.contains("AppRole login"), "\(text)")
        #expect(
            !text.contains("not-the-secret-id") && !text.contains(roleID.trimmingCharacters(in: .whitespacesAndNewlines)),
            "\(text)")
        await refused.close()
    }

    @Test("a namespace: entries live in it, invisible outside it")
    func namespace() async throws {
        let server = try await BaoServer.start(.dev)
        defer { server.stop() }
        try await server.bao(["namespace", "create", "team-a"])
        try await server.bao(["secrets", "enable", "-ns=team-a", "-path=secret", "-version=2", "kv"])
        let inside = try Self.backend(
            server, settings: [BackendSetting(key: "namespace", value: "team-a", origin: "test"), Self.prefix()])
        try await inside.set(Secret("team secret"), service: "svc", account: "a", keyring: nil, label: nil)
        #expect(try await inside.get(service: "svc", account: "a", keyring: nil) == Secret("team secret"))
        #expect(await inside.diagnose().description.contains("namespace: team-a"))
        let viaVariable = try Self.backend(server, extra: ["BAO_NAMESPACE": "team-a"])
        #expect(viaVariable.configuration.namespace == "team-a")
        let outside = try Self.backend(
            server,
            settings: inside.configuration.prefix.isEmpty
                ? []
                : [
                    BackendSetting(key: "prefix", value: inside.configuration.prefix, origin: "test")
                ])
        #expect(try await outside.get(service: "svc", account: "a", keyring: nil) == nil)
        let listed = try await server.bao(["kv", "list", "-ns=team-a", "secret/\(inside.configuration.prefix)"])
        #expect(listed.contains("svc/"), "\(listed)")
        let noMount = try Self.backend(server, settings: [BackendSetting(key: "namespace", value: "team-a", origin: "test")])
        await expectKeyringError(.noSuchKeyring) {
            _ = try await noMount.get(service: "svc", account: "a", keyring: "nothing-here")
        }
        await inside.close()
        await outside.close()
        await noMount.close()
    }

    @Test("TLS: the server's CA from BAO_CACERT; without it the certificate is refused; skip-verify only when told")
    func tls() async throws {
        let server = try await BaoServer.start(.devTLS)
        defer { server.stop() }
        let trusted = try Self.backend(server)
        try await trusted.set(Secret("over tls"), service: "tls.example", account: "a", keyring: nil, label: nil)
        #expect(try await trusted.get(service: "tls.example", account: "a", keyring: nil) == Secret("over tls"))
        await trusted.close()
        var environment = server.environment()
        environment["BAO_CACERT"] = nil
        let untrusted = try OpenBaoBackend(environment: environment, settings: [Self.prefix()])
        let error = await expectKeyringError(.noStorageAccess) {
            _ = try await untrusted.get(service: "tls.example", account: "a", keyring: nil)
        }
        #expect(error?.message.contains("cannot reach the OpenBao server") == true, "\(String(describing: error))")
        await untrusted.close()
        environment["BAO_SKIP_VERIFY"] = "true"
        let unverified = try OpenBaoBackend(environment: environment, settings: [Self.prefix()])
        #expect(try await unverified.get(service: "tls.example", account: "nobody", keyring: nil) == nil)
        #expect(await unverified.diagnose().description.contains("not verified"))
        await unverified.close()
    }

    @Test("the token from ~/.vault-token, else from the token helper of ~/.bao")
    func tokenSources() async throws {
        let server = try await BaoServer.shared()
        let home = try TemporaryDirectory()
        var environment = server.environment(token: "")
        environment["HOME"] = home.path
        let none = try OpenBaoBackend(environment: environment, settings: [Self.prefix()])
        let missing = await expectKeyringError(.noStorageAccess) {
            _ = try await none.get(service: "s", account: "a", keyring: nil)
        }
        #expect(missing?.message.contains("no OpenBao token") == true)
        try server.rootToken.write(toFile: home.path + "/.vault-token", atomically: true, encoding: .utf8)
        let fromFile = try OpenBaoBackend(environment: environment, settings: [Self.prefix()])
        #expect(try await fromFile.get(service: "s", account: "a", keyring: nil) == nil)
        #expect(await fromFile.diagnose().description.contains("token: from the token file \(home.path)/.vault-token"))
        await fromFile.close()
        try "wrong".write(toFile: home.path + "/.vault-token", atomically: true, encoding: .utf8)
        let helper = home.path + "/helper"
        try "#!/bin/sh\n[ \"$1\" = get ] && printf '%s' \"$FIXTURE_TOKEN\"\n".write(
            toFile: helper, atomically: true, encoding: .utf8)
        Files.chmod(helper, 0o700)
        try "token_helper = \"\(helper)\"\n".write(toFile: home.path + "/.bao", atomically: true, encoding: .utf8)
        environment["FIXTURE_TOKEN"] = server.rootToken
        let fromHelper = try OpenBaoBackend(environment: environment, settings: [Self.prefix()])
        #expect(try await fromHelper.get(service: "s", account: "a", keyring: nil) == nil)
        #expect(await fromHelper.diagnose().description.contains("token: from the token helper \(helper)"))
        await fromHelper.close()
    }

    @Test("a persistent Raft server keeps the entries across a restart")
    func raftSurvivesRestart() async throws {
        let server = try await BaoServer.start(.raft)
        defer { server.stop() }
        let prefix = Self.prefix()
        let before = try Self.backend(server, settings: [prefix])
        try await before.set(
            Secret(bytes: [0, 1, 2, 255]), service: "persist.example", account: "raft", keyring: nil, label: "kept")
        await before.close()
        try await server.restart()
        let after = try Self.backend(server, settings: [prefix])
        let secret = try #require(try await after.get(service: "persist.example", account: "raft", keyring: nil))
        #expect(secret.bytes.unprotectedArray == [0, 1, 2, 255])
        #expect(try await after.search(attributes: ["service": "persist.example"], keyring: nil).map(\.label) == ["kept"])
        #expect(await after.diagnose().isUsable)
        await after.close()
    }

    @Test("an unreachable server is noStorageAccess, quickly, and diagnose says why")
    func unreachable() async throws {
        let backend = try OpenBaoBackend(environment: ["BAO_ADDR": "http://127.0.0.1:9", "BAO_TOKEN": "t"])
        let started = ContinuousClock.now
        let error = await expectKeyringError(.noStorageAccess) {
            _ = try await backend.get(service: "s", account: "a", keyring: nil)
        }
        #expect(error?.message.contains("http://127.0.0.1:9") == true)
        // Not retried until the 10 s connect deadline (a bound generous for a busy machine).
        #expect(ContinuousClock.now - started < .seconds(8))
        let diagnosis = await backend.diagnose()
        #expect(!diagnosis.isUsable)
        #expect(diagnosis.details.first == "address: http://127.0.0.1:9")
        await backend.close()
    }
}
#endif
