internal import ArgumentParser
internal import KeyringKit

/// `keyring lock [NAME]`: locks a keyring (the default, or `--keyring`).
struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Lock a keyring.",
        discussion: "Encrypted-file keyrings are locked whenever no keyring command runs; locking them does nothing.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The keyring; the default one (or --keyring) when left out.")
    var name: String?

    func run() async throws {
        let context = CommandContext(options)
        try await context.open(keyring: name).lock()
    }
}
