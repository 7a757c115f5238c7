internal import ArgumentParser
internal import KeyringKit

/// The options of Python keyring's `keyring` command that are not about one entry, for those
/// who type them here: `--disable` (write a configuration that turns keyring off, Python's null
/// backend) and `--print-completion SHELL` (a completion script, Python's shtab option).
struct PythonOptions: ParsableArguments {
    @Flag(
        name: .customLong("disable"),
        help: ArgumentHelp(
            "Turn keyring off, as Python keyring's --disable does: write `backend = disabled` to a new configuration file.",
            discussion:
                "Refuses when the configuration file exists (edit it instead). Then get and del find nothing, set stores nothing."
        ))
    var disable = false

    @Option(
        name: .customLong("print-completion"),
        help: ArgumentHelp(
            "Print a completion script for bash, zsh or fish (Python keyring's spelling of --generate-completion-script).",
            valueName: "shell"),
        completion: .list(["bash", "zsh", "fish"]))
    var printCompletion: String?

    /// Does what was asked, if anything; `false` when neither option was given.
    func run(_ options: GlobalOptions) throws -> Bool {
        if let name = printCompletion {
            guard let shell = CompletionShell(rawValue: name) else {
                throw CommandExit.usage(
                    "--print-completion: no completion script for that shell (not shown); use bash, zsh or fish")
            }
            let script = CompletionScripts.addingAliases(to: KeyringCommand.completionScript(for: shell), shell: name)
            try StandardStreams.writeOut(script.hasSuffix("\n") ? script : script + "\n")
            return true
        }
        guard disable else { return false }
        let context = CommandContext(options)
        do {
            let path = try BackendSelection(environment: context.environment).disable()
            KeyringCommand.report("keyring is now off: \(path) says `backend = disabled`; remove that line to turn it on again")
        } catch {
            throw CommandExit(ExitStatus(error) == .usage ? .usage : .failure, error.message)
        }
        return true
    }
}
