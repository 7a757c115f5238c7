import KeyringSecretService
import KeyringSystem

/// Chooses the backend a program uses when it does not construct one itself.
///
/// In order, the first that applies wins:
/// 1. ``backend``, set by the program;
/// 2. `KEYRING_BACKEND` in the environment (`secret-service`, `file`, `env`, `memory`, `auto`, or
///    the name of one of the ``providers``);
/// 3. `backend = ...` in the configuration file (see <doc:ChoosingABackend>);
/// 4. automatic: the Secret Service when `org.freedesktop.secrets` answers on the session bus,
///    otherwise the encrypted file, unless fallback is refused with `KEYRING_NO_FALLBACK=1` or
///    `fallback = false`, which makes a missing Secret Service an error.
///
/// A backend named explicitly that cannot be used is an error, never a fallback. Nothing ever
/// falls back to memory or to plain text. The backends a program adds (``providers``) are
/// chosen only by name, never automatically.
public struct BackendSelection: Sendable {
    /// Looks for a reachable Secret Service: the backend on success, or why not.
    package typealias SecretServiceProbe =
        @Sendable (_ environment: [String: String], _ preparation: Preparation?) async
        -> Result<any KeyringBackend, KeyringError>

    /// The probe used unless a test replaces it: the Secret Service counts as reachable when
    /// something owns `org.freedesktop.secrets` on the session bus or the bus can start it, as
    /// in Python keyring. The bus answers that, so the probe waits for no daemon; the connection
    /// and the encrypted session it starts opening are the backend's, so the probe costs no
    /// extra round trip. `KEYRING_NO_PROMPT=1` makes locked collections fail fast.
    package static let builtInSecretServiceProbe: SecretServiceProbe = { environment, preparation in
        do throws(SecretServiceError) {
            let allowsPrompts = !["1", "true", "yes"].contains(environment["KEYRING_NO_PROMPT"]?.lowercased() ?? "")
            let client = SecretServiceClient(
                options: try .init(sessionBusIn: environment, allowsPrompts: allowsPrompts),
                preparation: preparation?.secretService)
            try await client.checkAvailability()
            return .success(SecretServiceBackend(client: client))
        } catch {
            return .failure(SecretServiceBackend.keyringError(error))
        }
    }

    /// What ``choose()`` will probably need, started ahead of time: the Secret Service's
    /// connection and session, or only the session's key pair (`SecretServicePreparation`).
    ///
    /// A short-lived program makes one first thing (``prepare(backend:environment:)``) and puts
    /// it in the selection it makes later; the choice then finds the session under way. It
    /// serves one Secret Service client, once.
    public struct Preparation: Sendable {
        let secretService: SecretServicePreparation

        /// Whether a connection to the bus was started (not only a key pair).
        public var isConnecting: Bool { secretService.isConnecting }
        /// Whether what was prepared is still waiting to be used.
        public var isPending: Bool { secretService.isPending }

        /// Closes a connection that no backend adopted, once the daemon has answered what it
        /// must; a program about to exit calls it.
        public func close() async { await secretService.close() }
    }

    /// Starts, in the background, the Secret Service connection and session that ``choose()``
    /// will open anyway, when nothing but the bus can decide the choice: `backend` is the Secret
    /// Service or `nil`, `KEYRING_BACKEND` names it or nothing, and there is no configuration
    /// file. When only a configuration file might choose otherwise, it starts just the session's
    /// key pair; when another backend is named, nothing.
    /// - Parameters:
    ///   - backend: the backend the program insists on, or `nil`.
    ///   - environment: looks up a variable (the process environment, read lazily).
    /// - Returns: what was started, for ``preparation``; `nil` when nothing was.
    public static func prepare(backend: BackendKind?, environment: (String) -> String?) -> Preparation? {
        guard backend == nil || backend == .secretService else { return nil }
        if backend == nil {
            let named = environment("KEYRING_BACKEND")?.trimmedWhitespace.lowercased() ?? ""
            guard named.isEmpty || named == "auto" || named == BackendKind.secretService.rawValue else { return nil }
            if named != BackendKind.secretService.rawValue {
                var lookup: [String: String] = [:]
                for name in ["XDG_CONFIG_HOME", "HOME"] { lookup[name] = environment(name) }
                // A configuration file may choose another backend: leave the bus alone, and
                // only start the key pair, which costs nothing outside this process.
                guard let path = BackendConfiguration.defaultPath(environment: lookup), isAbsent(path) else {
                    return Preparation(secretService: SecretServicePreparation())
                }
            }
        }
        var lookup: [String: String] = [:]
        for name in ["DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"] { lookup[name] = environment(name) }
        guard let options = try? SecretServiceClient.Options(sessionBusIn: lookup) else { return nil }
        return Preparation(secretService: SecretServicePreparation(connectingWith: options))
    }

    /// Whether nothing is at `path` (an unreadable directory counts as something).
    private static func isAbsent(_ path: String) -> Bool {
        do {
            return try FileSystem.status(path) == nil
        } catch {
            return false
        }
    }

    /// What was chosen, and why.
    public struct Choice: Sendable {
        /// The backend to use.
        public let backend: any KeyringBackend
        /// Which backend it is: a built-in one, or a provider's (``BackendProvider/kind``).
        public let kind: BackendKind
        /// Why it was chosen, for `keyring diagnose` and logs.
        public let reason: String
        /// Whether this is the first time the automatic choice fell back to the encrypted file
        /// on this machine: a program should tell its user once which backend it uses, where,
        /// and how to choose another.
        public var isFirstAutomaticFallback = false

        init(backend: any KeyringBackend, kind: BackendKind, reason: String) {
            self.backend = backend
            self.kind = kind
            self.reason = reason
        }
    }

    /// The backend the program insists on, or `nil` to look at the environment and configuration.
    public var backend: BackendKind?
    /// Who chose ``backend``, for messages and `diagnose` ("chosen by the program" unless the
    /// program says, for example "-b file" when its user chose on the command line).
    public var backendOrigin = "chosen by the program"
    /// The environment read for `KEYRING_BACKEND`, `KEYRING_NO_FALLBACK`, XDG paths, secrets and passwords.
    public var environment: [String: String]
    /// The configuration file, or `nil` when there is none to read.
    public var configurationPath: String?
    /// Handed to the encrypted file backend, to ask for passwords.
    public var passwordProvider: PasswordProvider?
    /// What ``prepare(backend:environment:)`` started, for the Secret Service client to use.
    public var preparation: Preparation?
    /// Backends the program adds to the built-in ones, chosen by their names (or aliases) like
    /// those, and diagnosed after them; see ``BackendProvider``. None by default.
    public var providers: [BackendProvider] = []
    /// Finds the Secret Service; replaceable by tests in this package.
    package var secretServiceProbe: SecretServiceProbe = BackendSelection.builtInSecretServiceProbe

    /// Creates a selection.
    /// - Parameters:
    ///   - backend: A backend the program insists on, or `nil`.
    ///   - environment: The environment to read; `nil` for the process environment.
    ///   - configurationPath: The configuration file; `nil` for
    ///     `$XDG_CONFIG_HOME/swift-keyring/config` (else `~/.config/swift-keyring/config`).
    ///   - passwordProvider: Asked for encrypted-file passwords when none is configured.
    ///   - preparation: What ``prepare(backend:environment:)`` started, if anything.
    ///   - providers: Backends the program adds to the built-in ones (``providers``).
    public init(
        backend: BackendKind? = nil,
        environment: [String: String]? = nil,
        configurationPath: String? = nil,
        passwordProvider: PasswordProvider? = nil,
        preparation: Preparation? = nil,
        providers: [BackendProvider] = []
    ) {
        self.providers = providers
        self.backend = backend
        self.environment = environment ?? ProcessEnvironment.current()
        self.configurationPath = configurationPath ?? BackendConfiguration.defaultPath(environment: self.environment)
        self.passwordProvider = passwordProvider
        self.preparation = preparation
    }

    /// Chooses and creates the backend.
    /// - Returns: The backend, which one it is, and why.
    /// - Throws: ``KeyringError``: `invalidArgument` for a bad `KEYRING_BACKEND` or configuration
    ///   line; `noStorageAccess` when the chosen backend cannot be used, or when no Secret
    ///   Service is reachable and fallback is refused.
    public func choose() async throws(KeyringError) -> Choice {
        if let backend {
            return try await make(backend, because: backendOrigin)
        }
        if let name = environment["KEYRING_BACKEND"], !name.trimmedWhitespace.isEmpty,
            name.trimmedWhitespace.lowercased() != "auto"
        {
            let kind = try BackendKind(parsing: name, origin: "KEYRING_BACKEND", providers: providers)
            return try await make(kind, because: "KEYRING_BACKEND=\(kind)")
        }
        let configuration = try loadConfiguration()
        if configuration?.isDisabled == true {
            throw KeyringError(
                .noStorageAccess, "keyring is turned off by `backend = disabled` in \(configurationPath ?? "the configuration")")
        }
        if let kind = configuration?.backend {
            return try await make(kind, because: "backend = \(kind) in \(configurationPath ?? "the configuration")")
        }
        let record = AutomaticChoiceRecord(environment: environment)
        switch await secretServiceProbe(environment, preparation) {
        case .success(let backend):
            record.record(.secretService, replacing: record.recorded)
            let kept =
                record.path.map {
                    "; recorded in \($0), so a Secret Service that stops answering is an error, not a switch to the file"
                } ?? ""
            return Choice(backend: backend, kind: .secretService, reason: "automatic: the Secret Service is reachable" + kept)
        case .failure(let error):
            if try refusesFallback(configuration) {
                throw KeyringError(
                    .noStorageAccess,
                    "no Secret Service is reachable (\(error.message)), and fallback to the encrypted file is "
                        + "refused by KEYRING_NO_FALLBACK or `fallback = false`; or set KEYRING_BACKEND=file",
                    underlying: error)
            }
            let recorded = record.recorded
            if recorded == .secretService {
                // One store of record: a secret written to the file during an outage would be
                // invisible once the daemon is back (AutomaticChoiceRecord).
                throw KeyringError(
                    .noStorageAccess,
                    "the Secret Service does not answer (\(error.message)), and it is this machine's automatic "
                        + "choice (\(record.path ?? "recorded")), so nothing goes to the encrypted file instead; "
                        + "try again once it answers, or choose a backend yourself with "
                        + "KEYRING_BACKEND or `backend = ...` in \(configurationPath ?? "the configuration file")",
                    underlying: error)
            }
            record.record(.file, replacing: recorded)
            var choice = Choice(
                backend: fileBackend(configuration: configuration), kind: .file,
                reason: "automatic: no Secret Service (\(error.message)), so the encrypted file"
                    + (record.path.map { " (the automatic choice, recorded in \($0))" } ?? ""))
            choice.isFirstAutomaticFallback = recorded == nil
            return choice
        }
    }

    /// Diagnoses every built-in backend, in the order of `BackendKind.allCases`, then each of the
    /// ``providers``. Never throws.
    public func diagnose() async -> [BackendDiagnosis] {
        var results: [BackendDiagnosis] = []
        for kind in BackendKind.allCases {
            switch kind {
            case .secretService:
                switch await secretServiceProbe(environment, preparation) {
                case .success(let backend):
                    results.append(await backend.diagnose())
                    await backend.close()
                case .failure(let error):
                    let bus =
                        environment["DBUS_SESSION_BUS_ADDRESS"].map { "session bus: \($0)" }
                        ?? "session bus: DBUS_SESSION_BUS_ADDRESS is not set"
                    results.append(
                        BackendDiagnosis(backend: kind.rawValue, isUsable: false, reason: error.message, details: [bus]))
                }
            case .file: results.append(await fileBackend(configuration: (try? loadConfiguration()) ?? nil).diagnose())
            case .env: results.append(await EnvironmentBackend(environment: environment).diagnose())
            case .memory: results.append(await MemoryBackend().diagnose())
            default: break
            }
        }
        for provider in providers {
            do throws(KeyringError) {
                let backend = try await make(provider, configuration: try loadConfiguration())
                results.append(await backend.diagnose())
                await backend.close()
            } catch {
                results.append(BackendDiagnosis(backend: provider.name, isUsable: false, reason: error.message))
            }
        }
        return results
    }

    // MARK: Helpers

    private func make(_ kind: BackendKind, because reason: String) async throws(KeyringError) -> Choice {
        if !kind.isBuiltIn, let provider = providers.first(where: { $0.kind == kind }) {
            // Its settings are in the configuration file, whoever chose it.
            let backend = try await make(provider, configuration: try loadConfiguration())
            return Choice(backend: backend, kind: kind, reason: reason)
        }
        switch kind {
        case .secretService:
            switch await secretServiceProbe(environment, preparation) {
            case .success(let backend):
                return Choice(backend: backend, kind: kind, reason: reason)
            case .failure(let error):
                throw KeyringError(
                    .noStorageAccess,
                    "the secret-service backend was chosen (\(reason)) but cannot be used: \(error.message); "
                        + "or choose another backend",
                    underlying: error)
            }
        case .file: return Choice(backend: fileBackend(configuration: try loadConfiguration()), kind: kind, reason: reason)
        case .env: return Choice(backend: EnvironmentBackend(environment: environment), kind: kind, reason: reason)
        case .memory: return Choice(backend: MemoryBackend(), kind: kind, reason: reason)
        default:
            throw KeyringError(
                .invalidArgument, "the backend '\(kind)' was chosen (\(reason)) but this program does not have it")
        }
    }

    /// A provider's backend, with its lines of the configuration file.
    private func make(_ provider: BackendProvider, configuration: BackendConfiguration?) async throws(KeyringError)
        -> any KeyringBackend
    {
        let context = BackendProvider.Context(
            environment: environment, settings: configuration?.settings[provider.name] ?? [],
            passwordProvider: passwordProvider)
        return try await provider.make(context)
    }

    private func fileBackend(configuration: BackendConfiguration?) -> EncryptedFileBackend {
        var session = SessionUnlock.automatic(environment: environment)
        if let timeout = configuration?.unlockTimeout { session.timeout = timeout }
        if let remember = configuration?.rememberPassword { session.rememberPrompted = remember }
        return EncryptedFileBackend(passwordProvider: passwordProvider, environment: environment, session: session)
    }

    private func loadConfiguration() throws(KeyringError) -> BackendConfiguration? {
        guard let configurationPath else { return nil }
        return try BackendConfiguration.load(path: configurationPath, providers: providers)
    }

    private func refusesFallback(_ configuration: BackendConfiguration?) throws(KeyringError) -> Bool {
        if let value = environment["KEYRING_NO_FALLBACK"], !value.isEmpty {
            return try BackendConfiguration.parseBoolean(value, origin: "KEYRING_NO_FALLBACK")
        }
        return configuration?.fallback == false
    }
}
