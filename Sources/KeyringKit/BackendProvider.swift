internal import KeyringSystem

/// A backend that is not built into KeyringKit, handed to a ``BackendSelection`` by the program
/// (``BackendSelection/providers``), so that it can be chosen by name like the built-in ones:
/// in `KEYRING_BACKEND`, with `backend = NAME` in the configuration file (plus its own
/// `NAME.key = value` settings there), or by ``BackendSelection/backend``; and so that
/// ``BackendSelection/diagnose()`` lists it.
///
/// ```swift
/// import KeyringOpenBao
///
/// let selection = BackendSelection(providers: [OpenBaoBackend.provider])
/// let keyring = Keyring(backend: try await selection.choose().backend)
/// ```
///
/// A value the program holds and passes, not a registry: two selections in one process may
/// know different backends.
public struct BackendProvider: Sendable {
    /// What a provider is given to make its backend.
    public struct Context: Sendable {
        /// The environment of the selection (``BackendSelection/environment``).
        public let environment: [String: String]
        /// The backend's own lines of the configuration file (`NAME.key = value`, or an alias's
        /// prefix), in file order; empty when there is no file or no such line.
        public let settings: [BackendSetting]
        /// The selection's ``BackendSelection/passwordProvider``.
        public let passwordProvider: PasswordProvider?

        /// Creates a context (for tests of a provider).
        public init(environment: [String: String], settings: [BackendSetting] = [], passwordProvider: PasswordProvider? = nil) {
            self.environment = environment
            self.settings = settings
            self.passwordProvider = passwordProvider
        }
    }

    /// Makes the backend; it should not reach its store yet (diagnose makes one to ask it).
    public typealias Make = @Sendable (_ context: Context) async throws(KeyringError) -> any KeyringBackend

    /// The backend's name, lowercase: what ``KeyringBackend/name`` says and ``kind`` holds.
    public let name: String
    /// Other names that choose it (`vault` for `openbao`), lowercase.
    public let aliases: [String]
    /// Makes the backend.
    public let make: Make

    /// Creates a provider.
    /// - Parameters:
    ///   - name: The backend's name, e.g. `openbao`; letters, digits and `-` (lowercased). It
    ///     should not be a built-in backend's name: those are chosen first.
    ///   - aliases: Other names that choose it.
    ///   - make: Makes the backend from the environment and its settings; throws
    ///     ``KeyringError`` (`invalidArgument` for a bad setting, naming its line).
    public init(name: String, aliases: [String] = [], make: @escaping Make) {
        self.name = name.lowercased()
        self.aliases = aliases.map { $0.lowercased() }
        self.make = make
    }

    /// The kind ``BackendSelection/Choice/kind`` has when this provider's backend is chosen.
    public var kind: BackendKind { BackendKind(named: name) }

    /// Whether `name` (lowercase) is this provider's name or one of its aliases.
    public func answers(to name: String) -> Bool {
        name == self.name || aliases.contains(name)
    }
}

/// One `NAME.key = value` line of the configuration file, for the backend called NAME.
public struct BackendSetting: Sendable, Hashable {
    /// The key after `NAME.`, lowercase (`address`).
    public let key: String
    /// The value, without surrounding spaces.
    public let value: String
    /// Where it is, for messages: `PATH line N`.
    public let origin: String

    /// Creates a setting.
    public init(key: String, value: String, origin: String) {
        self.key = key
        self.value = value
        self.origin = origin
    }
}
