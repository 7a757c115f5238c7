#if OpenBao
@testable import KeyringOpenBao
import KeyringKit
import Testing

/// The OpenBao backend's settings and paths; no server needed.
@Suite("OpenBao configuration and paths")
struct OpenBaoConfigurationTests {
    static func setting(_ key: String, _ value: String, line: Int = 1) -> BackendSetting {
        BackendSetting(key: key, value: value, origin: "config line \(line)")
    }

    @Test("defaults: https://127.0.0.1:8200, secret/, keyring/, token auth, verification on")
    func defaults() throws {
        let configuration = try OpenBaoConfiguration(environment: [:])
        #expect(configuration.address == "https://127.0.0.1:8200")
        #expect(configuration.mount == "secret")
        #expect(configuration.prefix == "keyring")
        #expect(configuration.namespace == nil)
        #expect(configuration.authentication == .token)
        #expect(configuration.skipsVerification == false)
        #expect(configuration.timeoutSeconds == 30)
    }

    @Test("BAO_* wins over VAULT_*, and the configuration file over both")
    func precedence() throws {
        let environment = [
            "VAULT_ADDR": "http://vault.example:8200", "BAO_ADDR": "https://bao.example:8200/",
            "VAULT_NAMESPACE": "vault-ns", "BAO_CACERT": "/etc/bao/ca.pem", "VAULT_CACERT": "/etc/vault/ca.pem",
        ]
        let fromEnvironment = try OpenBaoConfiguration(environment: environment)
        #expect(fromEnvironment.address == "https://bao.example:8200")
        #expect(fromEnvironment.namespace == "vault-ns")
        #expect(fromEnvironment.caCertificate == "/etc/bao/ca.pem")
        let fromFile = try OpenBaoConfiguration(
            settings: [
                Self.setting("address", "https://team.example"), Self.setting("namespace", "/team-a/"),
                Self.setting("mount", "/kv/"), Self.setting("prefix", "apps/keyring/"),
            ],
            environment: environment)
        #expect(fromFile.address == "https://team.example")
        #expect(fromFile.namespace == "team-a")
        #expect(fromFile.mount == "kv")
        #expect(fromFile.prefix == "apps/keyring")
    }

    @Test("AppRole when a role id is given, from files or the environment; never half configured")
    func appRole() throws {
        let files = try OpenBaoConfiguration(
            settings: [Self.setting("role-id-file", "/run/role-id"), Self.setting("secret-id-file", "/run/secret-id")],
            environment: ["BAO_TOKEN": "ignored when AppRole is configured"])
        #expect(
            files.authentication == .appRole(roleID: .file("/run/role-id"), secretID: .file("/run/secret-id"), mount: "approle"))
        let variables = try OpenBaoConfiguration(environment: ["VAULT_ROLE_ID": "r", "BAO_SECRET_ID": "s"])
        #expect(
            variables.authentication
                == .appRole(
                    roleID: .value("r", variable: "VAULT_ROLE_ID"), secretID: .value("s", variable: "BAO_SECRET_ID"),
                    mount: "approle"))
        #expect("\(OpenBaoConfiguration.CredentialSource.value("s3cr3t", variable: "BAO_SECRET_ID"))" == "$BAO_SECRET_ID")
        let error = #expect(throws: KeyringError.self) {
            try OpenBaoConfiguration(environment: ["BAO_ROLE_ID": "r"])
        }
        #expect(error?.code == .invalidArgument)
        let forced = try OpenBaoConfiguration(settings: [Self.setting("auth", "token")], environment: ["BAO_ROLE_ID": "r"])
        #expect(forced.authentication == .token)
    }

    @Test("bad values name their line or variable")
    func badValues() {
        let cases: [([BackendSetting], [String: String], String)] = [
            ([Self.setting("adress", "x", line: 4)], [:], "line 4: unknown setting 'openbao.adress'"),
            ([], ["BAO_ADDR": "bao.example:8200"], "BAO_ADDR: 'bao.example:8200' is not a server address"),
            ([Self.setting("tls-skip-verify", "maybe", line: 2)], [:], "line 2: 'maybe' is not true or false"),
            ([Self.setting("timeout", "0", line: 3)], [:], "line 3: the timeout"),
            ([Self.setting("auth", "ldap", line: 5)], [:], "line 5: openbao.auth is token or approle"),
            ([Self.setting("client-cert", "/c.pem")], [:], "a client certificate needs its key"),
            ([Self.setting("mount", "/")], [:], "the mount is empty"),
        ]
        for (settings, environment, expected) in cases {
            let error = #expect(throws: KeyringError.self) {
                try OpenBaoConfiguration(settings: settings, environment: environment)
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains(expected) == true, "\(String(describing: error)) lacks \(expected)")
        }
    }

    @Test("skip-verify only when told", arguments: ["true", "1", "yes"])
    func skipVerify(value: String) throws {
        #expect(try OpenBaoConfiguration(environment: ["VAULT_SKIP_VERIFY": value]).skipsVerification)
        #expect(try OpenBaoConfiguration(environment: ["VAULT_SKIP_VERIFY": "false"]).skipsVerification == false)
    }

    @Test(
        "names become one segment each and come back",
        arguments: [
            "api.example.com", "git:https://github.com/org/repo", "100% sure", "%2F", "/", "//", ".", "..", ".hidden",
            "a.b.", "", "%", "café ☕ 東京", "zoë 👩‍💻", "with space", "tab\there", "a?b#c", "~user", "no\u{00A0}break",
            "zero\u{200B}width", "line\u{2028}sep", "\u{FEFF}bom", "e\u{0301}", "%25",
        ])
    func segments(name: String) {
        let segment = OpenBaoPath.segment(name)
        #expect(!segment.contains("/"))
        #expect(!segment.isEmpty)
        #expect(segment != "." && segment != "..")
        #expect(OpenBaoPath.name(segment) == name)
    }

    @Test("ordinary names are stored as they are; foreign segments are not names")
    func readableSegments() {
        #expect(OpenBaoPath.segment("api.example.com") == "api.example.com")
        #expect(OpenBaoPath.segment("alice") == "alice")
        #expect(OpenBaoPath.segment("git:https://x") == "git:https:%2F%2Fx")
        #expect(OpenBaoPath.name("bad%zz") == nil)
        #expect(OpenBaoPath.name("a%2Eb") == nil)
        #expect(OpenBaoPath.segment("zoë 👩‍💻") == "zoë 👩%E2%80%8D💻")
        #expect(OpenBaoPath.segment("a\u{00A0}b") == "a%C2%A0b")
        #expect(OpenBaoPath.name("a%41") == nil, "a segment() would not make")
        #expect(OpenBaoPath.urlEncoded("secret/data/a b/%25/é") == "secret/data/a%20b/%2525/%C3%A9")
    }

    @Test("the provider answers to openbao and vault, and makes a backend without reaching a server")
    func provider() async throws {
        #expect(OpenBaoBackend.provider.name == "openbao")
        #expect(OpenBaoBackend.provider.answers(to: "vault"))
        #expect(BackendKind.openBao.rawValue == "openbao")
        let backend = try await OpenBaoBackend.provider.make(
            BackendProvider.Context(environment: ["BAO_ADDR": "http://127.0.0.1:1"], settings: []))
        #expect(backend.name == "openbao")
        await backend.close()
    }
}
#endif
