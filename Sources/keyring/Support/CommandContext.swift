internal import KeyringKit

/// The global options as plain values, whether they came from the argument parser
/// (``GlobalOptions``) or from the fast path for `get` (``FastPath``).
struct Settings {
    var backend: String?
    var keyring: String?
    var noPrompt = false
    var output: OutputFormat = .plain
    var auditLog: String?
}

/// What a command needs to reach its keyring: the environment, the options, and the backend
/// chosen from them. Nothing is opened until a command asks.
struct CommandContext {
    let options: Settings
    let environment: [String: String]

    init(_ options: Settings) {
        self.options = options
        self.environment = SecretSettings.environment()
    }

    init(_ options: GlobalOptions) {
        self.init(options.settings)
    }

    /// Whether prompting on the terminal is allowed at all.
    var mayPrompt: Bool { !options.noPrompt }

    /// Whether the Secret Service may show a prompt (an unlock dialog on the desktop): not with
    /// `--no-prompt`, and only when someone can answer it: the process has a terminal (whose
    /// user sees the command wait and can interrupt it) or a desktop session to show it on
    /// (`DISPLAY` or `WAYLAND_DISPLAY`). Otherwise a locked collection fails at once with
    /// status 3 instead of waiting for a dialog nobody sees. `KEYRING_PROMPT=always` allows
    /// prompts regardless (a program that knows its user will answer), `never` forbids them.
    var serviceMayPrompt: Bool {
        guard mayPrompt else { return false }
        switch environment["KEYRING_PROMPT"]?.lowercased() {
        case "always": return true
        case "never": return false
        default: break
        }
        let display = [environment["DISPLAY"], environment["WAYLAND_DISPLAY"]].contains { !($0 ?? "").isEmpty }
        return display || Terminal.isAvailable
    }

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
        if !serviceMayPrompt { environment["KEYRING_NO_PROMPT"] = "1" }
        var selection = BackendSelection(
            backend: kind, environment: environment,
            passwordProvider: mayPrompt ? PasswordPrompt.provider : nil, preparation: CommandSession.takePreparation())
        if let name = options.backend { selection.backendOrigin = "-b \(name)" }
        selection.providers = BackendProviders.all
        return selection
    }

    /// Opens the keyring named by `--keyring` (or `override`) in the chosen backend.
    /// - Throws: ``CommandExit`` for a bad backend name; ``KeyringError`` when it cannot be used.
    func open(keyring override: String? = nil) async throws -> Keyring {
        let choice = try await selection().choose()
        if choice.isFirstAutomaticFallback {
            // Said once per machine: where secrets now go, and how to choose otherwise.
            let directory = (choice.backend as? EncryptedFileBackend).flatMap { try? $0.directory() } ?? "the encrypted file"
            KeyringCommand.report(
                "note: no Secret Service answers here, so secrets are kept in the encrypted file keyring in \(directory) "
                    + "(said once); to choose yourself, set KEYRING_BACKEND=file or secret-service, or `backend = ...` "
                    + "in the configuration file (`keyring diagnose` shows which is used and why)")
        }
        let keyring = Keyring(backend: choice.backend, keyring: override ?? options.keyring)
        CommandSession.opened(keyring)
        return keyring
    }

    /// Whether `-b` disabled the keyring (Python's null backend), or the configuration file
    /// did (`backend = disabled`, written by `keyring --disable`) and nothing chose otherwise.
    var isDisabled: Bool {
        switch try? backendRequest() {
        case .disabled: return true
        case .kind: return false
        case .automatic, nil: return settingsSelection.disabledBy != nil
        }
    }

    /// A selection that only reads the configuration file's other settings (`audit-log`,
    /// `backend = disabled`): with the program's providers, whose `NAME.key` lines the file may hold.
    var settingsSelection: BackendSelection {
        var selection = BackendSelection(environment: environment)
        selection.providers = BackendProviders.all
        return selection
    }
}
