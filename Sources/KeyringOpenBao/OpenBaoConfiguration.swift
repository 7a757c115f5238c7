#if OpenBao
public import KeyringKit
import KeyringSystem

/// Where and how the OpenBao backend reaches its server: the settings of `openbao.*` lines in
/// the configuration file, else the environment OpenBao's and Vault's own tools read (`BAO_*`,
/// then `VAULT_*`), else the defaults.
///
/// | setting (`openbao.`) | environment | default |
/// |---|---|---|
/// | `address` | `BAO_ADDR`, `VAULT_ADDR` | `https://127.0.0.1:8200` |
/// | `namespace` | `BAO_NAMESPACE`, `VAULT_NAMESPACE` | none (header `X-Vault-Namespace`) |
/// | `mount` | | `secret` (a KV version 2 engine) |
/// | `prefix` | | `keyring` (entries are `PREFIX/SERVICE/ACCOUNT`) |
/// | `ca-cert` | `BAO_CACERT`, `VAULT_CACERT` | the system's trust store |
/// | `ca-path` | `BAO_CAPATH`, `VAULT_CAPATH` | |
/// | `client-cert`, `client-key` | `BAO_CLIENT_CERT`, `VAULT_CLIENT_CERT`, `*_CLIENT_KEY` | |
/// | `tls-skip-verify` | `BAO_SKIP_VERIFY`, `VAULT_SKIP_VERIFY` | `false`: never unless told |
/// | `auth` | | `token`, or `approle` when a role id is given |
/// | `role-id-file`, `secret-id-file` | `BAO_ROLE_ID`, `VAULT_ROLE_ID`, `*_SECRET_ID` | |
/// | `approle-mount` | | `approle` |
/// | `token-file` | | `~/.vault-token` |
/// | `timeout` | | `30` seconds for each request |
///
/// The token, unless AppRole is used: `BAO_TOKEN`, else `VAULT_TOKEN`, else the `token_helper`
/// of `~/.bao` (else `~/.vault`), else the token file. The configuration file's lines win over
/// the environment: they were written for this program, the variables for every tool.
public struct OpenBaoConfiguration: Sendable, Equatable {
    /// How the backend gets its token.
    public enum Authentication: Sendable, Equatable {
        /// A token from the environment, a token helper or a file (``OpenBaoConfiguration``).
        case token
        /// AppRole login with a role id and a secret id, again when the token expires or is refused.
        case appRole(roleID: CredentialSource, secretID: CredentialSource, mount: String)
    }

    /// Where a credential comes from: a file (read at each login) or a value (an environment variable's).
    public enum CredentialSource: Sendable, Equatable, CustomStringConvertible {
        /// The first line of a file.
        case file(String)
        /// A value, and the variable it came from (for messages; the value is never shown).
        case value(String, variable: String)

        /// Where, never what: `file PATH` or `$NAME`.
        public var description: String {
            switch self {
            case .file(let path): "file \(path)"
            case .value(_, let variable): "$\(variable)"
            }
        }
    }

    /// The server, e.g. `https://bao.example.com:8200`, without a trailing `/`.
    public var address: String
    /// The namespace (`X-Vault-Namespace`), or `nil`.
    public var namespace: String?
    /// The KV version 2 mount, without slashes.
    public var mount: String
    /// The path under the mount where entries live (`PREFIX/SERVICE/ACCOUNT`); may be empty.
    public var prefix: String
    /// A PEM file of CA certificates to trust instead of the system's.
    public var caCertificate: String?
    /// A directory of PEM CA certificates to trust instead of the system's.
    public var caDirectory: String?
    /// A PEM client certificate (chain) for mutual TLS.
    public var clientCertificate: String?
    /// The client certificate's PEM private key.
    public var clientKey: String?
    /// Whether to accept any server certificate: only when set explicitly.
    public var skipsVerification: Bool
    /// How the token is obtained.
    public var authentication: Authentication
    /// The file holding a token when no variable or token helper gives one.
    public var tokenFile: String?
    /// The deadline of each request, in seconds.
    public var timeoutSeconds: Int
    /// The environment, for the token variables and the token helper.
    var environment: [String: String]

    /// The settings `openbao.KEY` accepts.
    static let keys = [
        "address", "namespace", "mount", "prefix", "ca-cert", "ca-path", "client-cert", "client-key",
        "tls-skip-verify", "auth", "role-id-file", "secret-id-file", "approle-mount", "token-file", "timeout",
    ]

    /// Reads the configuration from the configuration file's lines and the environment.
    /// - Parameters:
    ///   - settings: The `openbao.*` lines (``BackendProvider/Context/settings``).
    ///   - environment: The environment (`BAO_*`, `VAULT_*`, `HOME`).
    /// - Throws: ``KeyringError`` `invalidArgument` naming the line or variable of a bad value.
    public init(settings: [BackendSetting] = [], environment: [String: String]) throws(KeyringError) {
        var lines: [String: BackendSetting] = [:]
        for setting in settings {
            guard Self.keys.contains(setting.key) else {
                throw KeyringError(
                    .invalidArgument,
                    "\(setting.origin): unknown setting 'openbao.\(setting.key)'; the OpenBao settings are "
                        + Self.keys.map { "openbao.\($0)" }.joined(separator: ", "))
            }
            lines[setting.key] = setting
        }
        func value(_ key: String, _ variables: [String] = []) -> (value: String, origin: String)? {
            if let line = lines[key] { return (line.value, line.origin) }
            for name in variables {
                if let value = environment[name], !value.isEmpty { return (value, name) }
            }
            return nil
        }
        func both(_ suffix: String) -> [String] { ["BAO_" + suffix, "VAULT_" + suffix] }

        self.environment = environment
        let address = value("address", both("ADDR")) ?? ("https://127.0.0.1:8200", "the default")
        self.address = try Self.checkedAddress(address.value, origin: address.origin)
        namespace = value("namespace", both("NAMESPACE")).map { Self.trimmedSlashes($0.value) }.flatMap { $0.isEmpty ? nil : $0 }
        let mount = value("mount") ?? ("secret", "the default")
        self.mount = Self.trimmedSlashes(mount.value)
        guard !self.mount.isEmpty else {
            throw KeyringError(.invalidArgument, "\(mount.origin): the mount is empty; name the KV version 2 engine, e.g. secret")
        }
        prefix = Self.trimmedSlashes(value("prefix")?.value ?? "keyring")
        caCertificate = value("ca-cert", both("CACERT"))?.value
        caDirectory = value("ca-path", both("CAPATH"))?.value
        clientCertificate = value("client-cert", both("CLIENT_CERT"))?.value
        clientKey = value("client-key", both("CLIENT_KEY"))?.value
        if (clientCertificate == nil) != (clientKey == nil) {
            throw KeyringError(
                .invalidArgument,
                "a client certificate needs its key and a key its certificate (openbao.client-cert, openbao.client-key)")
        }
        if let skip = value("tls-skip-verify", both("SKIP_VERIFY")) {
            skipsVerification = try Self.parseBoolean(skip.value, origin: skip.origin)
        } else {
            skipsVerification = false
        }
        tokenFile = value("token-file")?.value
        if let timeout = value("timeout") {
            guard let seconds = Int(timeout.value.trimmedWhitespace), (1...3600).contains(seconds) else {
                throw KeyringError(.invalidArgument, "\(timeout.origin): the timeout is whole seconds from 1 to 3600")
            }
            timeoutSeconds = seconds
        } else {
            timeoutSeconds = 30
        }

        func credential(_ key: String, _ suffix: String) -> CredentialSource? {
            if let line = lines[key] { return .file(line.value) }
            for name in both(suffix) {
                if let value = environment[name], !value.isEmpty { return .value(value, variable: name) }
            }
            return nil
        }
        let roleID = credential("role-id-file", "ROLE_ID")
        let secretID = credential("secret-id-file", "SECRET_ID")
        let method = lines["auth"]
        switch method?.value.trimmedWhitespace.lowercased() {
        case "token"?:
            authentication = .token
        case nil where roleID == nil:
            authentication = .token
        case "approle"?, nil:
            guard let roleID, let secretID else {
                throw KeyringError(
                    .invalidArgument,
                    "AppRole login needs a role id and a secret id: openbao.role-id-file and openbao.secret-id-file, "
                        + "or BAO_ROLE_ID and BAO_SECRET_ID")
            }
            authentication = .appRole(
                roleID: roleID, secretID: secretID, mount: Self.trimmedSlashes(value("approle-mount")?.value ?? "approle"))
        default:
            throw KeyringError(.invalidArgument, "\(method?.origin ?? "openbao.auth"): openbao.auth is token or approle")
        }
    }

    /// The text of the URL of an API path (`v1/...`, already escaped).
    func url(_ path: String) -> String { address + "/v1/" + path }

    /// Whether the address is plain HTTP (the token crosses the network in the clear).
    var isPlainHTTP: Bool { address.lowercased().hasPrefix("http://") }

    private static func checkedAddress(_ text: String, origin: String) throws(KeyringError) -> String {
        var address = text.trimmedWhitespace
        while address.hasSuffix("/") { address.removeLast() }
        let lower = address.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"),
            !address.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }),
            address.split(separator: "/", omittingEmptySubsequences: false).count >= 3,
            !address.split(separator: "/", omittingEmptySubsequences: false)[2].isEmpty
        else {
            throw KeyringError(
                .invalidArgument, "\(origin): '\(text)' is not a server address such as https://bao.example.com:8200")
        }
        return address
    }

    private static func trimmedSlashes(_ text: String) -> String {
        var trimmed = Substring(text.trimmedWhitespace)
        while trimmed.hasPrefix("/") { trimmed.removeFirst() }
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return String(trimmed)
    }

    static func parseBoolean(_ text: String, origin: String) throws(KeyringError) -> Bool {
        switch text.trimmedWhitespace.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw KeyringError(.invalidArgument, "\(origin): '\(text)' is not true or false")
        }
    }
}

#endif
