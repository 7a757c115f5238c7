/// A backend's name, as used in `KEYRING_BACKEND`, `backend = ...` in the configuration file, and
/// ``BackendSelection/Choice/kind``: one of the four built into KeyringKit, or one a program
/// added with a ``BackendProvider`` (such as `openbao` from the KeyringOpenBao module).
///
/// A struct, not an enum, so that a new backend never breaks a caller's `switch`, which needs a
/// `default:` (as with ``KeyringError/Code``):
/// ```swift
/// switch choice.kind {
/// case .secretService: ...
/// case .file: ...
/// default: ...
/// }
/// ```
public struct BackendKind: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The name, e.g. `secret-service`.
    public let rawValue: String

    /// The built-in backend of this name; `nil` for any other name (a provider's kind is
    /// ``BackendProvider/kind``).
    public init?(rawValue: String) {
        guard let builtIn = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = builtIn
    }

    /// A kind by name, without checking it against the built-in ones: ``BackendProvider``'s.
    init(named name: String) {
        rawValue = name
    }

    /// The desktop keyring over D-Bus (gnome-keyring, KWallet, KeePassXC): `secret-service`.
    public static let secretService = BackendKind(named: "secret-service")
    /// Encrypted files, ``EncryptedFileBackend``: `file`.
    public static let file = BackendKind(named: "file")
    /// Read-only environment variables, ``EnvironmentBackend``: `env`.
    public static let env = BackendKind(named: "env")
    /// This process's memory, ``MemoryBackend``: `memory`.
    public static let memory = BackendKind(named: "memory")

    /// The built-in backends, in the order ``BackendSelection/diagnose()`` lists them.
    public static let allCases: [BackendKind] = [.secretService, .file, .env, .memory]

    /// Whether this is one of the built-in backends (not a provider's).
    public var isBuiltIn: Bool { Self.allCases.contains(self) }

    /// The name, e.g. `secret-service`.
    public var description: String { rawValue }

    /// Parses a name as written in `KEYRING_BACKEND` or the configuration file.
    /// - Parameters:
    ///   - text: The name; surrounding spaces and case are ignored.
    ///   - origin: Where it came from, for the message (`KEYRING_BACKEND`, `config line 3`).
    ///   - providers: The backends the program added; their names and aliases are accepted too.
    /// - Throws: ``KeyringError`` `invalidArgument` naming the accepted values.
    init(parsing text: String, origin: String, providers: [BackendProvider] = []) throws(KeyringError) {
        let name = text.trimmedWhitespace.lowercased()
        if let kind = BackendKind(rawValue: name) {
            self = kind
        } else if let provider = providers.first(where: { $0.answers(to: name) }) {
            self = provider.kind
        } else {
            let names = Self.allCases.map(\.rawValue) + providers.map(\.name)
            throw KeyringError(
                .invalidArgument,
                "\(origin): '\(text)' is not a backend of this program; use one of \(names.joined(separator: ", ")) or auto"
            )
        }
    }
}
