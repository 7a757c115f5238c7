internal import KeyringKit

/// The global options as plain values, whether they came from the argument parser
/// (``GlobalOptions``) or from the fast path for `get` (``FastPath``).
struct Settings {
    var backend: String?
    var keyring: String?
    var noPrompt = false
    var output: OutputFormat = .plain
}

/// What a command needs to reach its keyring: the environment, the options, and the backend
/// chosen from them. Nothing is opened until a command asks.
struct CommandContext {
    let options: Settings
    let environment: [String: String]

    init(_ options: Settings) {
        self.options = options
        self.environment = ProcessEnvironment.current()
    }

    init(_ options: GlobalOptions) {
        self.init(options.settings)
    }

    /// Whether prompting on the terminal is allowed at all.
    var mayPrompt: Bool { !options.noPrompt }

    /// The backend request from `-b`, or automatic.
    func backendRequest() throws(CommandExit) -> BackendRequest {
        guard let name = options.backend else { return .automatic }
        return try BackendRequest(parsing: name)
    }

    /// The selection KeyringKit chooses with, given the options.
    func selection() throws(CommandExit) -> BackendSelection {
        let kind: BackendKind?
        switch try backendRequest() {
        case .automatic: kind = nil
        case .kind(let chosen): kind = chosen
        case .disabled(let name):
            throw CommandExit(.unavailable, "keyring is disabled by -b \(name): nothing is stored or found")
        }
        var environment = self.environment
        // The Secret Service backend reads this: a locked collection fails at once, no prompt.
        if !mayPrompt { environment["KEYRING_NO_PROMPT"] = "1" }
        return BackendSelection(
            backend: kind, environment: environment,
            passwordProvider: mayPrompt ? PasswordPrompt.provider : nil)
    }

    /// Opens the keyring named by `--keyring` (or `override`) in the chosen backend.
    /// - Throws: ``CommandExit`` for a bad backend name; ``KeyringError`` when it cannot be used.
    func open(keyring override: String? = nil) async throws -> Keyring {
        let choice = try await selection().choose()
        return Keyring(backend: choice.backend, keyring: override ?? options.keyring)
    }

    /// Whether `-b` disabled the keyring (Python's null backend).
    var isDisabled: Bool {
        if case .disabled = try? backendRequest() { return true }
        return false
    }
}
