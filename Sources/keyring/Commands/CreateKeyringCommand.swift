internal import ArgumentParser
internal import KeyringKit

/// `keyring create NAME`: a new keyring; the backend asks for its password (the file backend
/// on the terminal, twice, unless KEYRING_FILE_PASSWORD is set).
struct CreateKeyringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a keyring.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The new keyring's name.")
    var name: String

    func run() async throws {
        let context = CommandContext(options)
        try await context.open().createKeyring(name)
    }
}
