internal import ArgumentParser
internal import KeyringKit

/// Options every command takes, before or after the command name (`keyring -b file get ...` and
/// `keyring get ... -b file` both work, as they do for Python keyring).
struct GlobalOptions: ParsableArguments {
    @Option(
        name: [.customShort("b"), .customLong("backend"), .customLong("keyring-backend")],
        help: ArgumentHelp(
            "The backend: secret-service, file, env, memory, auto, or openbao when built with it (Python keyring class names are mapped).",
            discussion:
                "Without it, KEYRING_BACKEND, then the configuration file, then the Secret Service if one answers, else the encrypted file.",
            valueName: "name"),
        completion: .list(BackendRequest.names))
    var backend: String?

    @Option(
        name: .customLong("keyring"),
        help: ArgumentHelp("The keyring (collection, file) to use instead of the default.", valueName: "name"))
    var keyring: String?

    @Flag(
        name: .customLong("no-prompt"),
        help: "Never ask on the terminal: fail with status 3 when a password or a secret would be asked for.")
    var noPrompt = false

    @Option(
        name: .customLong("output"),
        help: ArgumentHelp("Output format of get, list, search, keyrings and diagnose: plain or json.", valueName: "format"))
    var output: OutputFormat = .plain

    @Option(
        name: .customLong("audit-log"),
        help: ArgumentHelp(
            "Append a line for each lookup (get, run, git and docker helpers) to this file; never a value.",
            discussion: "Also `audit-log = PATH` in the configuration file. The file is created 0600.",
            valueName: "path"))
    var auditLog: String?

    /// Python keyring's `-p/--keyring-path` (a Python import path); accepted and ignored.
    @Option(name: [.customShort("p"), .customLong("keyring-path")], help: .hidden)
    var keyringPath: String?

    /// The spellings of the options above that take a value (the next argument), for code that
    /// scans a command line before the parser does (``ArgumentErrors``; ``FastPath`` handles
    /// the same ones).
    static let namesTakingValues: Set<String> = [
        "-b", "--backend", "--keyring-backend", "--keyring", "--output", "--mode", "-p", "--keyring-path", "--audit-log",
        "--print-completion",
    ]

    /// The options as plain values.
    var settings: Settings {
        Settings(backend: backend, keyring: keyring, noPrompt: noPrompt, output: output, auditLog: auditLog)
    }
}

/// `--output`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case plain, json
}

/// `--mode` of `get`, as in Python keyring 25.
enum GetMode: String, ExpressibleByArgument, CaseIterable {
    /// Print the password; needs SERVICE and USERNAME.
    case password
    /// Print the user name and the password on two lines; USERNAME may be left out.
    case creds
}

/// `--mode`, shared by the root command and `get` so it may come before or after `get`.
struct GetModeOption: ParsableArguments {
    @Option(
        name: .customLong("mode"),
        help: ArgumentHelp(
            "get: 'password' prints the password; 'creds' prints the user name and the password, and USERNAME may be left out.",
            valueName: "mode"))
    var mode: GetMode = .password
}
