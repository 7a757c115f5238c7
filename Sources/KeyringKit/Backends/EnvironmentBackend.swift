public import KeyringSystem

/// Reads secrets from environment variables; read-only. Meant for CI jobs and containers,
/// where secrets arrive as variables and no keyring daemon runs.
///
/// ## Variable names
///
/// A name is built from `KEYRING_SECRET_`, the encoded service, and, for the account form,
/// `__` (two underscores) and the encoded account. Encoding upper-cases ASCII letters, keeps
/// ASCII digits, and turns every other character (including `_`, `-`, `.`, `:`, `/`, spaces and
/// every non-ASCII character) into one `_`:
///
/// | lookup | variable |
/// |---|---|
/// | service `gh:github.com`, account `octocat` | `KEYRING_SECRET_GH_GITHUB_COM__OCTOCAT` |
/// | service `gh:github.com`, any account (service-only form) | `KEYRING_SECRET_GH_GITHUB_COM` |
///
/// ``get(service:account:keyring:)`` reads the account form, and when that is not set, the
/// service-only form, which therefore answers for every account of the service. An account of
/// `""` reads the service-only form alone. A variable that is set to the empty string is an empty
/// secret, not a missing one. Values are text: the secret is the variable's UTF-8 bytes with
/// content type `text/plain`.
///
/// The encoding loses information (`a.b` and `a-b` share a name, case is lost), so
/// ``accounts(service:keyring:)`` and ``search(attributes:keyring:)`` return accounts as they
/// appear in variable names (upper case, encoded), and the search splits a name at its first
/// `__`. The prefix keeps secrets apart from settings such as `KEYRING_FILE_PASSWORD`, which this
/// backend never reads.
///
/// There is one keyring, `environment`. Writes, deletes and keyring management throw
/// ``KeyringError/Code/unsupported``.
public struct EnvironmentBackend: KeyringBackend {
    /// The prefix of every variable this backend reads.
    public static let variablePrefix = "KEYRING_SECRET_"
    /// The one keyring's name.
    public static let keyringName = "environment"

    /// `env`.
    public let name = "env"
    private let environment: [String: String]

    /// Creates a backend over an environment.
    /// - Parameter environment: The variables to read; `nil` for the process environment.
    ///   Tests pass a dictionary instead of changing the process environment.
    public init(environment: [String: String]? = nil) {
        self.environment = environment ?? ProcessEnvironment.current()
    }

    /// The variable holding the secret of `service` and `account`, or of the whole service
    /// when `account` is `nil`.
    /// - Parameters:
    ///   - service: The service.
    ///   - account: The account, or `nil` for the service-only form.
    public static func variableName(service: String, account: String?) -> String {
        var name = variablePrefix + encode(service)
        if let account { name += "__" + encode(account) }
        return name
    }

    /// Upper-cases ASCII letters, keeps digits, turns everything else into `_`.
    static func encode(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x30...0x39, 0x41...0x5A: out.unicodeScalars.append(scalar)
            case 0x61...0x7A: out.unicodeScalars.append(Unicode.Scalar(scalar.value - 0x20)!)
            default: out.unicodeScalars.append("_")
            }
        }
        return out
    }

    // MARK: Reading

    /// Reads the account form, else the service-only form.
    /// - Returns: The variable's value as a `text/plain` secret, or `nil` when neither is set.
    /// - Throws: ``KeyringError``: `invalidArgument`, `unsupported` for a keyring other than `environment`.
    public func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret? {
        try EntryValidation.check(service: service, account: account)
        try checkKeyring(keyring)
        let value = account.isEmpty ? nil : environment[Self.variableName(service: service, account: account)]
        guard let value = value ?? environment[Self.variableName(service: service, account: nil)] else {
            return nil
        }
        return Secret(value)
    }

    /// Accounts with an account-form variable for the service, as encoded in the names.
    /// - Throws: ``KeyringError``: `invalidArgument`, `unsupported`.
    public func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String] {
        try EntryValidation.check(service: service)
        try checkKeyring(keyring)
        let prefix = Self.variableName(service: service, account: nil) + "__"
        return environment.keys.filter { $0.hasPrefix(prefix) && $0.count > prefix.count }
            .map { String($0.dropFirst(prefix.count)) }
            .sorted()
    }

    /// Entries from `KEYRING_SECRET_*` variables. Understands the attributes `service` and
    /// `username`; any other attribute matches nothing.
    /// - Throws: ``KeyringError``: `unsupported` for a keyring other than `environment`.
    public func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry] {
        try checkKeyring(keyring)
        if attributes.keys.contains(where: { $0 != "service" && $0 != "username" }) { return [] }
        var found: [KeyringEntry] = []
        for variable in environment.keys where variable.hasPrefix(Self.variablePrefix) {
            var service: String
            var account = ""
            if let wanted = attributes["service"] {
                // Match on the service's own name, so a service whose encoding holds `__` still works.
                let base = Self.variableName(service: wanted, account: nil)
                if variable == base {
                    account = ""
                } else if variable.hasPrefix(base + "__") {
                    account = String(variable.dropFirst(base.count + 2))
                } else {
                    continue
                }
                service = wanted
            } else {
                let rest = variable.dropFirst(Self.variablePrefix.count)
                guard !rest.isEmpty else { continue }
                service = String(rest)
                if let separator = rest.firstRange(of: "__") {
                    service = String(rest[..<separator.lowerBound])
                    account = String(rest[separator.upperBound...])
                }
            }
            if let wanted = attributes["username"], Self.encode(wanted) != account { continue }
            found.append(
                KeyringEntry(
                    service: service, account: account, label: variable,
                    attributes: KeyringEntry.standardAttributes(service: service, account: account),
                    keyring: Self.keyringName))
        }
        return found.sorted { ($0.service, $0.account) < ($1.service, $1.account) }
    }

    // MARK: Writing: unsupported

    /// Always throws ``KeyringError/Code/unsupported``: the environment is read-only.
    public func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?)
        async throws(KeyringError)
    {
        throw readOnly(service: service, account: account)
    }

    /// Always throws ``KeyringError/Code/unsupported``: the environment is read-only.
    public func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool {
        throw readOnly(service: service, account: account)
    }

    // MARK: Keyrings

    /// The one keyring, `environment`, never locked.
    public func keyrings() async throws(KeyringError) -> [KeyringInfo] {
        [KeyringInfo(name: Self.keyringName, isLocked: false, isDefault: true)]
    }

    /// Always `false`; throws ``KeyringError/Code/unsupported`` for a keyring other than `environment`.
    public func isLocked(keyring: String?) async throws(KeyringError) -> Bool {
        try checkKeyring(keyring)
        return false
    }

    /// Always usable; counts the `KEYRING_SECRET_*` variables (names only).
    public func diagnose() async -> BackendDiagnosis {
        let count = environment.keys.filter { $0.hasPrefix(Self.variablePrefix) }.count
        return BackendDiagnosis(
            backend: name, isUsable: true,
            reason: "reads secrets from \(Self.variablePrefix)* environment variables; read-only",
            details: ["variables: \(count)"])
    }

    // MARK: Helpers

    private func checkKeyring(_ keyring: String?) throws(KeyringError) {
        try EntryValidation.checkKeyring(keyring)
        if let keyring, keyring != Self.keyringName {
            throw KeyringError(
                .unsupported,
                "the 'env' backend has one keyring, '\(Self.keyringName)'; '\(keyring)' does not exist there")
        }
    }

    private func readOnly(service: String, account: String) -> KeyringError {
        KeyringError(
            .unsupported,
            "the 'env' backend is read-only; set the variable \(Self.variableName(service: service, account: account)) "
                + "in the environment, or choose a writable backend with KEYRING_BACKEND=file")
    }
}
