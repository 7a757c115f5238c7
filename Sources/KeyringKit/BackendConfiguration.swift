/// The settings file `$XDG_CONFIG_HOME/swift-keyring/config` (else `~/.config/swift-keyring/config`).
///
/// One `key = value` per line; `#` starts a comment; blank lines are ignored. Keys:
/// - `backend`: `secret-service`, `file`, `env`, `memory`, or `auto` (the default); `disabled`
///   turns keyring off (Python keyring's null backend: nothing is stored or found).
/// - `fallback`: `true` (the default) lets the automatic choice use the encrypted file when no
///   Secret Service is reachable; `false` makes that an error.
/// - `unlock-timeout`: how long `keyring unlock` keeps an encrypted-file keyring open for the
///   login session when `--timeout` is not given: `8h` (the default), `30m`, `90s`, `1d`.
/// - `remember-password`: how long a password typed at a prompt keeps its keyring open for the
///   session, as `sudo` remembers one: `15m` (the default), or `off`.
/// - `audit-log`: a file to which the keyring tool appends one line per lookup (absolute, or `~/...`).
/// - `NAME.key`: a setting of the backend NAME that the program added (``BackendProvider``),
///   e.g. `openbao.address`; handed to it as a ``BackendSetting``, and checked by it.
///
/// Unknown keys and bad values are errors that name the line, so a typo never silently changes
/// where secrets go.
struct BackendConfiguration: Sendable, Equatable {
    /// The backend named by `backend`, or `nil` for `auto` or no line.
    var backend: BackendKind?
    /// The `fallback` setting, or `nil` when absent.
    var fallback: Bool?
    /// The `unlock-timeout` setting, or `nil` when absent.
    var unlockTimeout: Duration?
    /// The `remember-password` setting: `.some(nil)` for `off`, `nil` when absent.
    var rememberPassword: Duration??
    /// Whether `backend = disabled`.
    var isDisabled = false
    /// The `audit-log` setting as written, or `nil` when absent.
    var auditLog: String?
    /// The `NAME.key = value` lines, by provider name (an alias's lines under the provider's name).
    var settings: [String: [BackendSetting]] = [:]

    /// The configuration file's path for an environment, or `nil` when no home is known.
    static func defaultPath(environment: [String: String]) -> String? {
        if let config = environment["XDG_CONFIG_HOME"], config.hasPrefix("/") {
            return config + "/swift-keyring/config"
        }
        guard let home = environment["HOME"].flatMap({ $0.hasPrefix("/") ? $0 : nil }) ?? FileSystem.passwordDatabaseHome else {
            return nil
        }
        return home + "/.config/swift-keyring/config"
    }

    /// Reads and parses a configuration file; `nil` when it does not exist.
    static func load(path: String, providers: [BackendProvider] = []) throws(KeyringError) -> BackendConfiguration? {
        let bytes: [UInt8]
        do {
            guard let read = try FileSystem.readSmallFile(path, limit: 1 << 20) else { return nil }
            bytes = read
        } catch {
            throw KeyringError(.noStorageAccess, "cannot read the configuration file \(path)", underlying: error)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw KeyringError(.invalidArgument, "the configuration file \(path) is not UTF-8 text")
        }
        return try parse(text, path: path, providers: providers)
    }

    /// Parses configuration text.
    static func parse(_ text: String, path: String, providers: [BackendProvider] = []) throws(KeyringError)
        -> BackendConfiguration
    {
        var configuration = BackendConfiguration()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let origin = "\(path) line \(index + 1)"
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if line.trimmedWhitespace.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw KeyringError(.invalidArgument, "\(origin): expected `key = value`")
            }
            let key = parts[0].trimmedWhitespace.lowercased()
            let value = parts[1].trimmedWhitespace
            switch key {
            case "backend":
                configuration.isDisabled = value.lowercased() == "disabled"
                configuration.backend =
                    ["auto", "disabled"].contains(value.lowercased())
                    ? nil : try BackendKind(parsing: value, origin: origin, providers: providers)
            case "fallback":
                configuration.fallback = try parseBoolean(value, origin: origin)
            case "unlock-timeout":
                configuration.unlockTimeout = try parseDuration(value, origin: origin)
            case "remember-password":
                let off = ["off", "no", "false", "never", "0"].contains(value.lowercased())
                configuration.rememberPassword = .some(off ? nil : try parseDuration(value, origin: origin))
            case "audit-log":
                guard value.hasPrefix("/") || value.hasPrefix("~/") else {
                    throw KeyringError(.invalidArgument, "\(origin): audit-log needs an absolute path (or one starting with ~/)")
                }
                configuration.auditLog = value
            default:
                let dotted = key.split(separator: ".", maxSplits: 1)
                if dotted.count == 2, let provider = providers.first(where: { $0.answers(to: String(dotted[0])) }) {
                    configuration.settings[provider.name, default: []].append(
                        BackendSetting(key: String(dotted[1]), value: value, origin: origin))
                    continue
                }
                let names =
                    ["backend", "fallback", "unlock-timeout", "remember-password", "audit-log"] + providers.map { "\($0.name).*" }
                throw KeyringError(
                    .invalidArgument, "\(origin): unknown setting '\(key)'; the settings are \(names.joined(separator: ", "))")
            }
        }
        return configuration
    }

    /// A positive duration: a number with `s`, `m`, `h` or `d` (seconds without a unit), at most a year.
    static func parseDuration(_ text: String, origin: String) throws(KeyringError) -> Duration {
        let trimmed = text.trimmedWhitespace.lowercased()
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(trimmed)
        var unit = 1
        if let last = trimmed.last, let factor = units[last] {
            digits = trimmed.dropLast()
            unit = factor
        }
        guard let count = Int(digits), count > 0, count <= 366 * 86400 / unit else {
            throw KeyringError(.invalidArgument, "\(origin): '\(text)' is not a duration such as 90s, 30m, 8h or 1d")
        }
        return .seconds(count * unit)
    }

    /// `true`/`yes`/`1`/`on` or `false`/`no`/`0`/`off`, any case.
    static func parseBoolean(_ text: String, origin: String) throws(KeyringError) -> Bool {
        switch text.trimmedWhitespace.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw KeyringError(.invalidArgument, "\(origin): '\(text)' is not true or false")
        }
    }
}
