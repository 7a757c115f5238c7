#if OpenBao
public import KeyringKit
public import KeyringSystem

/// Keeps secrets in an OpenBao (or HashiCorp Vault) server's KV version 2 engine, for secrets
/// a team or a fleet of machines shares: `openbao`, also chosen as `vault`.
///
/// Each entry is one KV secret at `MOUNT/data/PREFIX/SERVICE/ACCOUNT` (``OpenBaoPath`` escapes
/// the names into one segment each), holding `password` (or `password_base64` for a secret
/// that is not UTF-8), `content_type`, `label`, and the plain `service` and `account`. Other
/// tools read it as usual (`bao kv get -field=password secret/keyring/SERVICE/ACCOUNT`).
///
/// - `set` is create-or-replace with check-and-set: it writes over exactly the version it read,
///   so a concurrent writer is detected (an error), never silently overwritten.
/// - `delete` removes every version and the metadata (a soft delete would stay listed).
/// - Every 404 is "no entry". A 403 is `permissionDenied`, with the path and what the token may
///   do there (`sys/capabilities-self`); no message holds a token or a secret.
/// - `keyring:` names another KV version 2 mount; `nil` is ``OpenBaoConfiguration/mount``.
///
/// The server, TLS and the token are ``OpenBaoConfiguration``'s. Nothing reaches the server
/// until the first operation; ``close()`` releases the connection.
public actor OpenBaoBackend: KeyringBackend {
    /// `openbao`.
    public nonisolated let name = "openbao"
    /// Where and how the server is reached.
    public nonisolated let configuration: OpenBaoConfiguration

    private let http: OpenBaoHTTP
    /// The token in use, and for an AppRole token when to log in again.
    private var token: OpenBaoCredentials.Token?
    private var tokenRefresh: ContinuousClock.Instant?
    /// Runs in `set` between reading the version and writing it: tests make a concurrent writer here.
    private var beforeWrite: (@Sendable () async -> Void)?

    /// Creates a backend; nothing is sent yet.
    /// - Parameter configuration: The server, TLS and credentials.
    public init(configuration: OpenBaoConfiguration) {
        self.configuration = configuration
        self.http = OpenBaoHTTP(configuration: configuration)
    }

    /// Creates a backend from the configuration file's `openbao.*` lines and the environment.
    /// - Throws: ``KeyringError`` `invalidArgument` for a bad setting.
    public init(environment: [String: String], settings: [BackendSetting] = []) throws(KeyringError) {
        self.init(configuration: try OpenBaoConfiguration(settings: settings, environment: environment))
    }

    /// Chooses this backend by name in a ``BackendSelection``: `openbao`, or `vault`.
    public static let provider = BackendProvider(name: "openbao", aliases: ["vault"]) {
        (context: BackendProvider.Context) async throws(KeyringError) -> any KeyringBackend in
        try OpenBaoBackend(environment: context.environment, settings: context.settings)
    }

    // MARK: Entries

    /// Reads one secret; see ``KeyringBackend/get(service:account:keyring:)``.
    /// - Throws: ``KeyringError``: `permissionDenied` (403), `noSuchKeyring` (no such mount),
    ///   `noStorageAccess` (unreachable, sealed), `badDataFormat` (no `password` field).
    public func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret? {
        try EntryValidation.check(service: service, account: account)
        let path = try entryPath(service, account, keyring, kind: "data")
        let response = try await call("GET", path, doing: "read '\(account)' on '\(service)'")
        switch response.status {
        case 200:
            guard let fields = Self.fields(of: response) else {
                throw KeyringError(
                    .badDataFormat, "the server's answer for \(Self.logicalPath(path)) is not a KV version 2 secret")
            }
            return try Self.secret(from: fields, path: path)
        case 404:
            try checkMount(response, keyring)
            return nil
        default:
            throw unexpected(response, doing: "reading \(Self.logicalPath(path))")
        }
    }

    /// Creates or replaces one entry with check-and-set; see
    /// ``KeyringBackend/set(_:service:account:keyring:label:)``.
    /// - Throws: ``KeyringError``: `alreadyExists` when another writer changed the entry between
    ///   this call's read and its write (nothing was overwritten); `permissionDenied`, ...
    public func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?)
        async throws(KeyringError)
    {
        try EntryValidation.check(service: service, account: account)
        let path = try entryPath(service, account, keyring, kind: "data")
        let current = try await currentVersion(path, keyring: keyring, service: service, account: account)
        if let beforeWrite { await beforeWrite() }
        var data: [(String, OpenBaoJSON.Value)] = []
        if let text = secret.stringValue {
            data.append(("password", .string(text)))
        } else {
            data.append(("password_base64", .string(secret.withUnsafeBytes { OpenBaoJSON.base64($0) })))
        }
        data += [
            ("content_type", .string(secret.contentType)),
            ("label", .string(label ?? KeyringEntry.defaultLabel(service: service, account: account))),
            ("service", .string(service)), ("account", .string(account)),
        ]
        var body = OpenBaoJSON.encode([("options", .object([("cas", .int(current))])), ("data", .object(data))])
        defer { body.wipe() }
        let response = try await call("POST", path, body: body, doing: "write '\(account)' on '\(service)'")
        switch response.status {
        case 200, 204: return
        case 400 where (response.errors ?? "").contains("check-and-set"):
            throw KeyringError(
                .alreadyExists,
                "'\(account)' on '\(service)' was changed by another writer while this one wrote it "
                    + "(check-and-set on version \(current) failed at \(Self.logicalPath(path))); nothing was overwritten: read it and try again"
            )
        case 404:
            try checkMount(response, keyring)
            throw unexpected(response, doing: "writing \(Self.logicalPath(path))")
        default:
            throw unexpected(response, doing: "writing \(Self.logicalPath(path))")
        }
    }

    /// Deletes every version of one entry and its metadata; see
    /// ``KeyringBackend/delete(service:account:keyring:)``.
    /// - Returns: Whether a readable version existed.
    /// - Throws: ``KeyringError``.
    public func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool {
        try EntryValidation.check(service: service, account: account)
        let dataPath = try entryPath(service, account, keyring, kind: "data")
        let metadataPath = try entryPath(service, account, keyring, kind: "metadata")
        let read = try await call("GET", dataPath, doing: "read '\(account)' on '\(service)'")
        if read.status == 404 { try checkMount(read, keyring) }
        let existed = read.status == 200
        let response = try await call("DELETE", metadataPath, doing: "delete '\(account)' on '\(service)'")
        switch response.status {
        case 200, 204, 404: return existed
        default: throw unexpected(response, doing: "deleting \(Self.logicalPath(metadataPath))")
        }
    }

    /// Lists the accounts of a service (`LIST` on its folder); see
    /// ``KeyringBackend/accounts(service:keyring:)``.
    /// - Throws: ``KeyringError``.
    public func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String] {
        try EntryValidation.check(service: service)
        let folder = try folderPath(keyring) + "/" + OpenBaoPath.segment(service)
        return try await list(folder, keyring: keyring, doing: "list the accounts of '\(service)'")
            .filter { !$0.hasSuffix("/") }.compactMap(OpenBaoPath.name).sorted()
    }

    /// Finds entries by the `service` and `username` attributes (the only ones an entry has):
    /// lists the folders, then reads each match's label (its value is read and dropped, never
    /// returned). See ``KeyringBackend/search(attributes:keyring:)``.
    /// - Throws: ``KeyringError``.
    public func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry] {
        try EntryValidation.checkKeyring(keyring)
        guard Set(attributes.keys).isSubset(of: ["service", "username"]) else { return [] }
        let services: [String]
        if let service = attributes["service"] {
            guard !service.isEmpty else { return [] }
            services = [service]
        } else {
            services = try await list(try folderPath(keyring), keyring: keyring, doing: "list the services")
                .filter { $0.hasSuffix("/") }.compactMap { OpenBaoPath.name(String($0.dropLast())) }
        }
        var found: [KeyringEntry] = []
        for service in services where !service.isEmpty {
            for account in try await accounts(service: service, keyring: keyring) {
                if let username = attributes["username"], username != account { continue }
                let path = try entryPath(service, account, keyring, kind: "data")
                let response = try await call("GET", path, doing: "read '\(account)' on '\(service)'")
                guard response.status == 200, let fields = Self.fields(of: response) else { continue }
                found.append(
                    KeyringEntry(
                        service: service, account: account,
                        label: fields["label"]?.value ?? KeyringEntry.defaultLabel(service: service, account: account),
                        attributes: KeyringEntry.standardAttributes(service: service, account: account),
                        keyring: keyring ?? configuration.mount))
            }
        }
        return found.sorted { ($0.service, $0.account) < ($1.service, $1.account) }
    }

    // MARK: Keyrings

    /// The configured mount, the one keyring used when `keyring:` is `nil`; other mounts are
    /// reached by naming them.
    public func keyrings() async throws(KeyringError) -> [KeyringInfo] {
        [KeyringInfo(name: configuration.mount, isLocked: false, isDefault: true)]
    }

    /// Never locked: the server's seal is the server operator's business.
    public func isLocked(keyring: String?) async throws(KeyringError) -> Bool {
        try EntryValidation.checkKeyring(keyring)
        return false
    }

    // MARK: Diagnosis

    /// The server's address, health and version, where the token came from, its identity and
    /// policies (`auth/token/lookup-self`), and what it may do under the prefix
    /// (`sys/capabilities-self`). Never shows the token.
    public func diagnose() async -> BackendDiagnosis {
        var details = ["address: \(configuration.address)"]
        if let namespace = configuration.namespace { details.append("namespace: \(namespace)") }
        details.append("entries: \(configuration.mount)/data/\(prefixPath)SERVICE/ACCOUNT (KV version 2)")
        if configuration.isPlainHTTP && !Self.isLoopback(configuration.address) {
            details.append("warning: plain HTTP to another machine: the token and the secrets cross the network unencrypted")
        }
        if configuration.skipsVerification { details.append("warning: the server's TLS certificate is not verified") }
        func unusable(_ reason: String) -> BackendDiagnosis {
            BackendDiagnosis(backend: name, isUsable: false, reason: reason, details: details)
        }
        let health: OpenBaoResponse
        do {
            health = try await http.send("GET", "sys/health", token: nil)
        } catch {
            return unusable(error.message)
        }
        let state = Self.healthState(health.status)
        let version = (try? OpenBaoJSON.decode(Health.self, from: health.body))?.version
        details.append("health: \(state)" + (version.map { ", version \($0)" } ?? ""))
        guard health.status == 200 || health.status == 429 || health.status == 473 else {
            return unusable("the server at \(configuration.address) is \(state)")
        }
        let token: OpenBaoCredentials.Token
        do {
            token = try await currentToken()
        } catch {
            return unusable(error.message)
        }
        details.append("token: from \(token.source)")
        let lookup: OpenBaoResponse
        do {
            lookup = try await http.send("GET", "auth/token/lookup-self", token: token.value)
        } catch {
            return unusable(error.message)
        }
        guard lookup.status == 200, let identity = try? OpenBaoJSON.decode(Lookup.self, from: lookup.body).data else {
            return unusable(
                "the server refuses the token from \(token.source) (status \(lookup.status)"
                    + (lookup.errors.map { ": \($0)" } ?? "") + "): expired, revoked, or for another server or namespace?")
        }
        let policies = (identity.policies ?? []).joined(separator: ", ")
        var who = "identity: \(identity.displayName ?? "unnamed")"
        if let entity = identity.entityID, !entity.isEmpty { who += ", entity \(entity)" }
        if let path = identity.path, !path.isEmpty { who += ", created by \(path)" }
        details.append(who)
        details.append("policies: \(policies.isEmpty ? "none" : policies)")
        if let ttl = identity.ttl {
            details.append(
                ttl == 0 ? "ttl: never expires" : "ttl: \(ttl) s left" + (identity.renewable == true ? ", renewable" : ""))
        }
        let paths = ["\(configuration.mount)/data/\(prefixPath)*", "\(configuration.mount)/metadata/\(prefixPath)*"]
        for path in paths {
            let capabilities = await capabilities(path, token: token)
            details.append("may on \(path): \(capabilities.map { $0.joined(separator: ", ") } ?? "unknown")")
        }
        return BackendDiagnosis(
            backend: name, isUsable: true,
            reason: "the server at \(configuration.address) is \(state), and it accepts the token from \(token.source)",
            details: details)
    }

    /// Sets what `set` runs between reading the version and writing (for tests of check-and-set).
    package func setBeforeWrite(_ hook: (@Sendable () async -> Void)?) {
        beforeWrite = hook
    }

    /// Releases the connection and its thread; the backend reconnects when used again.
    public func close() async {
        await http.shutdown()
    }

    // MARK: Requests

    /// Sends a request with the token: an AppRole token that is refused (expired, revoked) is
    /// fetched again once. 403 becomes `permissionDenied` with what the token may do there;
    /// 503 `noStorageAccess` (sealed).
    private func call(_ method: String, _ path: String, body: [UInt8]? = nil, doing operation: String)
        async throws(KeyringError) -> OpenBaoResponse
    {
        var token = try await currentToken()
        var response = try await http.send(method, path, body: body, token: token.value)
        if response.status == 403, case .appRole = configuration.authentication {
            self.token = nil
            token = try await currentToken()
            response = try await http.send(method, path, body: body, token: token.value)
        }
        switch response.status {
        case 403:
            throw await refused(operation, path: path, token: token)
        case 503:
            throw KeyringError(
                .noStorageAccess,
                "the OpenBao server at \(configuration.address) is sealed or unavailable; it cannot \(operation) now")
        default:
            return response
        }
    }

    /// The token, logging in with AppRole when there is none or it is about to expire.
    private func currentToken() async throws(KeyringError) -> OpenBaoCredentials.Token {
        if let token, tokenRefresh.map({ ContinuousClock.now < $0 }) ?? true { return token }
        let fetched: OpenBaoCredentials.Token
        switch configuration.authentication {
        case .token:
            guard let found = try await OpenBaoCredentials.token(configuration) else {
                throw KeyringError(
                    .noStorageAccess,
                    "no OpenBao token: set BAO_TOKEN (or VAULT_TOKEN), log in with `bao login`, or configure AppRole "
                        + "(openbao.role-id-file and openbao.secret-id-file)")
            }
            fetched = found
            tokenRefresh = nil
        case .appRole(let roleID, let secretID, let mount):
            let login = OpenBaoJSON.encode([
                ("role_id", .string(try OpenBaoCredentials.value(of: roleID, what: "AppRole role id"))),
                ("secret_id", .string(try OpenBaoCredentials.value(of: secretID, what: "AppRole secret id"))),
            ])
            var body = login
            defer { body.wipe() }
            let loginPath = "auth/\(OpenBaoPath.urlEncoded(mount))/login"
            let response = try await http.send("POST", loginPath, body: body, token: nil)
            guard response.status == 200, let auth = try? OpenBaoJSON.decode(Login.self, from: response.body).auth,
                let clientToken = auth.clientToken, !clientToken.isEmpty
            else {
                throw KeyringError(
                    .permissionDenied,
                    "AppRole login at \(configuration.address)/v1/\(loginPath) failed (status \(response.status)"
                        + (response.errors.map { ": \($0)" } ?? "")
                        + ") with the role id from \(roleID) and the secret id from \(secretID)")
            }
            fetched = OpenBaoCredentials.Token(value: clientToken, source: "AppRole login (role id from \(roleID))")
            // Log in again when nine tenths of the lease are gone.
            let lease = auth.leaseDuration ?? 0
            tokenRefresh = lease > 0 ? ContinuousClock.now + .milliseconds(lease * 900) : nil
        }
        token = fetched
        return fetched
    }

    /// The error for a 403: what was refused, where, and what the token may do there.
    private func refused(_ operation: String, path: String, token: OpenBaoCredentials.Token) async -> KeyringError {
        let logical = Self.logicalPath(path)
        guard let capabilities = await capabilities(logical, token: token) else {
            return KeyringError(
                .permissionDenied,
                "the OpenBao server at \(configuration.address) refused to \(operation): the token from \(token.source) "
                    + "is not accepted (expired, revoked, or for another server or namespace?)")
        }
        let allowed =
            capabilities == ["deny"] || capabilities.isEmpty
            ? "nothing there (deny)" : capabilities.joined(separator: ", ") + " there"
        return KeyringError(
            .permissionDenied,
            "the OpenBao server at \(configuration.address) refused to \(operation): permission denied on \(logical); "
                + "the token from \(token.source) may do \(allowed) (sys/capabilities-self)")
    }

    /// What the token may do at a path, or `nil` when the server will not say.
    private func capabilities(_ path: String, token: OpenBaoCredentials.Token) async -> [String]? {
        let body = OpenBaoJSON.encode([("paths", .strings([path]))])
        guard let response = try? await http.send("POST", "sys/capabilities-self", body: body, token: token.value),
            response.status == 200, let decoded = try? OpenBaoJSON.decode(Capabilities.self, from: response.body)
        else { return nil }
        return decoded.capabilities ?? decoded.data?.capabilities
    }

    /// The version a write must name for check-and-set: the latest one, deleted or not; 0 for none.
    private func currentVersion(_ path: String, keyring: String?, service: String, account: String)
        async throws(KeyringError) -> Int
    {
        let response = try await call("GET", path, doing: "read '\(account)' on '\(service)'")
        switch response.status {
        case 200, 404:
            if response.status == 404 { try checkMount(response, keyring) }
            return (try? OpenBaoJSON.decode(Read.self, from: response.body))?.data?.metadata?.version ?? 0
        default:
            throw unexpected(response, doing: "reading \(Self.logicalPath(path))")
        }
    }

    private func list(_ folder: String, keyring: String?, doing operation: String) async throws(KeyringError) -> [String] {
        let path = "\(mountPath(keyring))/metadata/\(folder)"
        let response = try await call("LIST", Self.urlPath(path), doing: operation)
        switch response.status {
        case 200:
            guard let keys = (try? OpenBaoJSON.decode(List.self, from: response.body))?.data?.keys else {
                throw KeyringError(.badDataFormat, "the server's answer to LIST \(path) has no keys")
            }
            return keys
        case 404:
            try checkMount(response, keyring)
            return []
        default:
            throw unexpected(response, doing: "listing \(path)")
        }
    }

    /// A 404 from a path no engine serves means the mount (keyring) does not exist.
    private func checkMount(_ response: OpenBaoResponse, _ keyring: String?) throws(KeyringError) {
        guard let errors = response.errors, errors.contains("no handler for route") else { return }
        throw KeyringError(
            .noSuchKeyring,
            "the OpenBao server at \(configuration.address) has no KV engine mounted at '\(mountPath(keyring))'"
                + (configuration.namespace.map { " in the namespace \($0)" } ?? ""),
            keyring: keyring)
    }

    private func unexpected(_ response: OpenBaoResponse, doing operation: String) -> KeyringError {
        KeyringError(
            .backendFailure,
            "the OpenBao server at \(configuration.address) answered \(response.status) to \(operation)"
                + (response.errors.map { ": \($0)" } ?? ""))
    }

    // MARK: Paths

    private var prefixPath: String { configuration.prefix.isEmpty ? "" : configuration.prefix + "/" }

    private func mountPath(_ keyring: String?) -> String {
        keyring ?? configuration.mount
    }

    /// `PREFIX` (or nothing) for LIST under the mount.
    private func folderPath(_ keyring: String?) throws(KeyringError) -> String {
        try EntryValidation.checkKeyring(keyring)
        return configuration.prefix
    }

    /// The URL path (after `/v1/`) of an entry's `data` or `metadata`.
    private func entryPath(_ service: String, _ account: String, _ keyring: String?, kind: String) throws(KeyringError)
        -> String
    {
        try EntryValidation.checkKeyring(keyring)
        let path = "\(mountPath(keyring))/\(kind)/\(prefixPath)\(OpenBaoPath.segment(service))/\(OpenBaoPath.segment(account))"
        return Self.urlPath(path)
    }

    private static func urlPath(_ path: String) -> String { OpenBaoPath.urlEncoded(path) }

    /// The path as the server and its policies see it (the URL path decoded once).
    private static func logicalPath(_ urlPath: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = urlPath.utf8[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isLoopback(_ address: String) -> Bool {
        let host = address.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).first ?? ""
        return host.hasPrefix("127.") || host.hasPrefix("localhost") || host.hasPrefix("[::1]")
    }

    private static func healthState(_ status: Int) -> String {
        switch status {
        case 200: "active"
        case 429: "a standby node"
        case 472: "a disaster-recovery secondary"
        case 473: "a performance standby"
        case 501: "not initialised"
        case 503: "sealed"
        default: "in an unknown state (status \(status))"
        }
    }

    // MARK: Answers

    private static func fields(of response: OpenBaoResponse) -> [String: LenientString]? {
        (try? OpenBaoJSON.decode(Read.self, from: response.body))?.data?.data
    }

    private static func secret(from fields: [String: LenientString], path: String) throws(KeyringError) -> Secret {
        if let text = fields["password"]?.value {
            return Secret(text, contentType: fields["content_type"]?.value ?? Secret.textContentType)
        }
        if let encoded = fields["password_base64"]?.value {
            guard var bytes = OpenBaoJSON.bytes(base64: encoded) else {
                throw KeyringError(
                    .badDataFormat, "the secret at \(Self.logicalPath(path)) has a password_base64 that is not base64")
            }
            defer { bytes.wipe() }
            return Secret(bytes: bytes, contentType: fields["content_type"]?.value ?? Secret.binaryContentType)
        }
        throw KeyringError(
            .badDataFormat,
            "the secret at \(Self.logicalPath(path)) has no 'password' field (it has: \(fields.keys.sorted().joined(separator: ", ")))"
        )
    }

    private struct Read: Decodable {
        struct Inner: Decodable {
            let data: [String: LenientString]?
            let metadata: Metadata?
        }
        struct Metadata: Decodable {
            let version: Int?
        }
        let data: Inner?
    }

    private struct List: Decodable {
        struct Keys: Decodable { let keys: [String]? }
        let data: Keys?
    }

    private struct Health: Decodable {
        let version: String?
    }

    private struct Lookup: Decodable {
        struct Identity: Decodable {
            let displayName: String?
            let policies: [String]?
            let ttl: Int?
            let renewable: Bool?
            let entityID: String?
            let path: String?

            enum CodingKeys: String, CodingKey {
                case displayName = "display_name"
                case policies, ttl, renewable, path
                case entityID = "entity_id"
            }
        }
        let data: Identity?
    }

    private struct Login: Decodable {
        struct Auth: Decodable {
            let clientToken: String?
            let leaseDuration: Int?

            enum CodingKeys: String, CodingKey {
                case clientToken = "client_token"
                case leaseDuration = "lease_duration"
            }
        }
        let auth: Auth?
    }

    private struct Capabilities: Decodable {
        struct Inner: Decodable { let capabilities: [String]? }
        let capabilities: [String]?
        let data: Inner?
    }
}

extension BackendKind {
    /// The OpenBao / Vault backend (``OpenBaoBackend``), when the program added
    /// ``OpenBaoBackend/provider`` to its selection.
    public static let openBao = OpenBaoBackend.provider.kind
}
#endif
