internal import ArgumentParser
internal import KeyringKit

/// `keyring unlock [NAME]`: unlocks a keyring; the backend asks for the password.
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock a keyring.",
        discussion: """
            The Secret Service keeps a keyring unlocked for the session. An encrypted-file \
            keyring is unlocked only inside each command, so this checks its password.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The keyring; the default one (or --keyring) when left out.")
    var name: String?

    func run() async throws {
        let context = CommandContext(options)
        try await context.open(keyring: name).unlock()
    }
}
