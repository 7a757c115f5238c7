internal import ArgumentParser
internal import KeyringKit

/// `keyring delete-keyring NAME`: deletes a keyring and every secret in it, after asking on the
/// terminal; `--yes` instead of asking, and required without a terminal.
struct DeleteKeyringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-keyring",
        abstract: "Delete a keyring and every secret in it.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The keyring's name.")
    var name: String

    @Flag(name: [.customShort("y"), .customLong("yes")], help: "Do not ask for confirmation.")
    var yes = false

    func run() async throws {
        let context = CommandContext(options)
        if !yes {
            guard context.mayPrompt, Terminal.isAvailable else {
                throw CommandExit.usage("delete-keyring removes every secret in '\(name)'; add --yes to confirm")
            }
            var answer = (try? Terminal.readLine(prompt: "Delete the keyring '\(name)' and every secret in it? [y/N] ")) ?? []
            defer { answer.wipe() }
            guard answer == Array("y".utf8) || answer == Array("yes".utf8) else {
                throw CommandExit(.failure, "nothing was deleted")
            }
        }
        try await context.open().deleteKeyring(name)
    }
}
