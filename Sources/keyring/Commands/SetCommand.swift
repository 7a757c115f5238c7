internal import ArgumentParser
internal import KeyringKit

/// `keyring set SERVICE USERNAME`: stores a secret read from the terminal without echo, from
/// standard input when it is not a terminal, or from an environment variable (`--from-env`).
struct SetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Store a secret.",
        discussion: """
            On a terminal, asks for the secret without echo. Otherwise reads all of standard \
            input, with no size limit, and strips exactly one trailing newline; other bytes are \
            kept as they are (binary input is stored as application/octet-stream). Empty input \
            is refused (a lone newline stores an empty secret). The secret is never taken from \
            the command line.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The service: an application, host or URL.")
    var service: String

    @Argument(help: "The user name.")
    var username: String

    /// Anything after USERNAME: most likely a secret typed on the command line by mistake.
    /// Caught here so the usage error does not echo it.
    @Argument(help: .hidden)
    var unexpected: [String] = []

    @Option(
        name: .customLong("from-env"),
        help: ArgumentHelp("Read the secret from this environment variable.", valueName: "variable"))
    var fromEnvironment: String?

    @Option(help: ArgumentHelp("A label for the entry (default: Password for 'USERNAME' on 'SERVICE').", valueName: "text"))
    var label: String?

    func validate() throws {
        if !unexpected.isEmpty {
            throw ValidationError(
                "set takes SERVICE and USERNAME only (\(unexpected.count) more argument\(unexpected.count == 1 ? " was" : "s were") given and not shown); "
                    + "the secret comes from the terminal, standard input or --from-env, never from the command line")
        }
    }

    func run() async throws {
        // Before the context copies the environment: the variable's value is taken out of it.
        var fromVariable = try fromEnvironment.map { variable throws(CommandExit) in try Self.take(variable) }
        let context = CommandContext(options)
        if context.isDisabled {
            if fromVariable != nil { fromVariable!.wipe() }
            return
        }
        var bytes = try fromVariable ?? readSecret(context)
        let secret = bytes.withUnsafeBytes { Keyring.secret(copying: $0) }
        bytes.wipe()
        let keyring = try await context.open()
        try await keyring.set(secret, service: service, account: username, label: label)
    }

    /// The value of `variable`, which is then removed from this process's environment (its
    /// bytes overwritten where /proc/PID/environ shows them). The caller wipes the result.
    private static func take(_ variable: String) throws(CommandExit) -> [UInt8] {
        guard let value = ProcessEnvironment.rawValue(of: variable) else {
            throw CommandExit.usage("the environment variable named by --from-env is not set; export it, or leave out --from-env")
        }
        ProcessEnvironment.remove(variable)
        return value
    }

    /// The secret's bytes, from the terminal or standard input. The caller wipes them.
    private func readSecret(_ context: CommandContext) throws(CommandExit) -> [UInt8] {
        if StandardStreams.isTerminal(0) {
            guard context.mayPrompt else {
                throw CommandExit(
                    .locked,
                    "set needs the secret but --no-prompt forbids asking; pipe it on standard input or use --from-env VAR")
            }
            do {
                return try Terminal.readSecret(prompt: "Password for '\(username)' in '\(service)': ")
            } catch {
                switch error {
                case .noTerminal:
                    throw CommandExit(
                        .locked, "cannot open the terminal to ask for the secret; pipe it on standard input or use --from-env VAR"
                    )
                case .endOfInput:
                    throw CommandExit(.failure, "no secret was typed; nothing was stored")
                }
            }
        }
        var bytes = try StandardStreams.readAllInput()
        guard !bytes.isEmpty else {
            // Most likely </dev/null or a command that printed nothing: never replace a secret with that.
            throw CommandExit.usage("standard input was empty, so nothing was stored; to store an empty secret, send a newline")
        }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes
    }
}
