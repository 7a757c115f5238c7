internal import ArgumentParser
internal import KeyringKit

/// `keyring`: the root command. Parses the command line, runs one subcommand, and turns every
/// outcome into an exit status (``ExitStatus``) and at most one message on stderr.
struct KeyringCommand: AsyncParsableCommand {
    /// The version `keyring --version` prints: the one place it is written (CHANGELOG.md lists
    /// the releases). A version with `-dev` is a build between releases.
    static let version = "0.2.0-dev"

    static let configuration = CommandConfiguration(
        commandName: "keyring",
        abstract: "Store, read and delete secrets in the keyring.",
        discussion: """
            Secrets are read from a terminal without echo or from standard input, never from \
            the command line, and are printed only by `get` (and given to the command of `run`). \
            Compatible with Python keyring's command line, so pip and uv can use it with \
            --keyring-provider subprocess; `keyring git-credential` is a git credential helper, \
            `keyring docker-credential` a Docker one. Shell completion: \
            keyring --generate-completion-script bash|zsh|fish (or --print-completion SHELL).

            \(ExitStatus.helpSection)
            """,
        version: version,
        subcommands: [
            GetCommand.self, SetCommand.self, DeleteCommand.self, DiagnoseCommand.self,
            ListCommand.self, SearchCommand.self, RunCommand.self, ImportEnvCommand.self, GitCredentialCommand.self,
            DockerCredentialCommand.self,
            KeyringsCommand.self, CreateKeyringCommand.self, DeleteKeyringCommand.self,
            LockCommand.self, UnlockCommand.self, AgentCommand.self, TokenHelperCommand.self,
        ])

    @OptionGroup var options: GlobalOptions
    @OptionGroup var getMode: GetModeOption

    @Flag(name: .customLong("list-backends"), help: "List the backends and exit.")
    var listBackends = false

    @OptionGroup var python: PythonOptions

    func run() async throws {
        if try python.run(options) { return }
        guard listBackends else {
            throw CommandExit.usage("say what to do: get, set, del, diagnose, ... (see keyring --help)")
        }
        let names = BackendKind.allCases.map(\.rawValue) + BackendProviders.all.map(\.name)
        try StandardStreams.writeOut(names.map { "\($0)\n" }.joined())
    }

    /// The program names that make `keyring` act as a helper, and the command each is: git
    /// runs `git-credential-keyring` for `credential.helper = keyring`, docker
    /// `docker-credential-keyring` for `"credsStore": "keyring"`.
    static let helperNames = [
        "git-credential-keyring": GitCredentialCommand.configuration.commandName!,
        "docker-credential-keyring": DockerCredentialCommand.configuration.commandName!,
        TokenHelperCommand.programName: TokenHelperCommand.configuration.commandName!,
    ]

    /// Starts, on other cores, what the command will probably need first, before anything else
    /// runs: for a plain `get` that may end at the Secret Service, its session (key pair,
    /// connection, `OpenSession`), under way by the time the backend is chosen.
    static func prepare(arguments: [String]) {
        guard let get = FastPath.parseGet(Array(arguments.dropFirst())) else { return }
        let request = get.settings.backend.map { try? BackendRequest(parsing: $0) } ?? .automatic
        switch request {
        case .automatic:
            CommandSession.keep(BackendSelection.prepare(backend: nil, environment: ProcessEnvironment.value(of:)))
        case .kind(.secretService):
            CommandSession.keep(BackendSelection.prepare(backend: .secretService, environment: ProcessEnvironment.value(of:)))
        default:
            break
        }
    }

    /// Parses `arguments` (argv, including argv[0]), runs the command, and returns the exit status
    /// once the process may exit: with nothing left unanswered at the Secret Service.
    static func main(arguments: [String]) async -> Int32 {
        let status = await execute(arguments: arguments)
        await CommandSession.close()
        return status
    }

    private static func execute(arguments: [String]) async -> Int32 {
        let program = arguments.first ?? "keyring"
        var arguments = Array(arguments.dropFirst())
        if let name = program.split(separator: "/").last, let helper = helperNames[String(name)] {
            if arguments.first == helper { arguments.removeFirst() }
            arguments.insert(helper, at: 0)
        }
        do {
            if !arguments.isEmpty, let get = FastPath.parseGet(arguments) {
                let context = CommandContext(get.settings)
                try await GetCommand.perform(context, mode: get.mode, service: get.service, username: get.username)
                return ExitStatus.success.rawValue
            }
            if let unknown = ArgumentErrors.unknownCommand(in: arguments) {
                throw CommandExit.usage(unknown)
            }
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await run(&asyncCommand)
            } else {
                try command.run()
            }
            return ExitStatus.success.rawValue
        } catch let exit as CommandExit {
            if let message = exit.message { report(message) }
            return exit.status.rawValue
        } catch let error as KeyringError {
            report(error.message + (advice(for: error).map { "; " + $0 } ?? ""))
            return ExitStatus(error).rawValue
        } catch is CancellationError {
            report("the command was cancelled before it finished")
            return ExitStatus.failure.rawValue
        } catch {
            // Argument parser outcomes: help, completion scripts, usage errors, ExitCode.
            let code = exitCode(for: error)
            var message = fullMessage(for: error)
            if code != .success { message = ArgumentErrors.redacting(message, arguments: arguments) }
            if code == .success {
                if let shell = CompletionScripts.requestedShell(in: arguments) {
                    message = CompletionScripts.addingAliases(to: message, shell: shell)
                }
                if !message.isEmpty { try? StandardStreams.writeOut(message.hasSuffix("\n") ? message : message + "\n") }
                return ExitStatus.success.rawValue
            }
            if !message.isEmpty {
                // The parser's own lines stay lines; anything it quotes is escaped.
                let lines = message.split(separator: "\n", omittingEmptySubsequences: false)
                StandardStreams.writeError(lines.map { DisplayText.sanitized(String($0)) }.joined(separator: "\n"))
            }
            if error is ExitCode { return code.rawValue }
            // The parser's own errors (unknown options, missing arguments, validate()) are usage
            // errors; anything else a command threw is a failure, never a usage error.
            return code == .validationFailure ? ExitStatus.usage.rawValue : ExitStatus.failure.rawValue
        }
    }

    private static func run<Command: AsyncParsableCommand>(_ command: inout Command) async throws {
        try await command.run()
    }

    /// What to do next, in this program's words: the libraries say what happened (a code and
    /// its context), only the command knows its own commands.
    static func advice(for error: KeyringError) -> String? {
        switch error.code {
        case .noSuchKeyring: return "`keyring keyrings` lists the keyrings there are"
        case .noDefaultKeyring:
            return "create one with `keyring create default` (or your desktop's keyring manager), or name one with --keyring"
        case .locked:
            return "unlock it with `keyring unlock`, or run the command where it may ask (a terminal, a desktop session)"
        default: return nil
        }
    }

    /// What to do instead when `--password-stdin` meets a Secret Service without gnome-keyring's
    /// prompt-free interface (`error` is `unsupported`): the advice of `create` (`creating`) or
    /// `unlock`, after the library's message.
    /// Runs `body` (a create or unlock), turning the Secret Service's `unsupported` for a
    /// `--password-stdin` password into ``passwordStdinRefusal(_:creating:)``.
    static func advisingOnPasswordStdin(
        _ keyring: Keyring, password: SecureBytes?, creating: Bool, _ body: () async throws(KeyringError) -> Void
    ) async throws {
        do {
            try await body()
        } catch {
            if error.code == .unsupported, password != nil, keyring.backend.name == "secret-service" {
                throw passwordStdinRefusal(error, creating: creating)
            }
            throw error
        }
    }

    static func passwordStdinRefusal(_ error: KeyringError, creating: Bool) -> CommandExit {
        let instead =
            creating
            ? "create the keyring in the keyring program itself (KWallet Manager, KeePassXC), or run "
                + "`keyring create NAME` without --password-stdin where the Secret Service can ask (a desktop session)"
            : "run `keyring unlock` without --password-stdin where the Secret Service can show its unlock prompt "
                + "(a desktop session), or unlock the keyring in the keyring program itself (KWallet Manager, KeePassXC)"
        return CommandExit(
            .unavailable, error.message + "; --password-stdin needs gnome-keyring's prompt-free interface: " + instead)
    }

    /// Writes `keyring: MESSAGE` on stderr, control characters escaped and length bounded
    /// (messages carry names from the user, files and the Secret Service).
    static func report(_ message: String) {
        StandardStreams.writeError("keyring: " + DisplayText.sanitized(message))
    }
}
