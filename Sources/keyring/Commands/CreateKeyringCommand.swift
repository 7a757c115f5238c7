internal import ArgumentParser
internal import KeyringKit

/// `keyring create NAME`: a new keyring; the backend asks for its password (the file backend
/// on the terminal, twice, unless KEYRING_FILE_PASSWORD is set).
struct CreateKeyringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a keyring.")

    @OptionGroup var options: GlobalOptions

    @Flag(
        help:
            "Read the keyring's password from standard input instead of prompting (on the Secret Service: gnome-keyring's prompt-free interface, for machines where nobody can answer a prompt)."
    )
    var passwordStdin = false

    @Argument(help: "The new keyring's name.")
    var name: String

    func run() async throws {
        let context = CommandContext(options)
        let password = passwordStdin ? try PasswordInput.fromStandardInput() : nil
        let keyring = try await context.open()
        try await KeyringCommand.advisingOnPasswordStdin(keyring, password: password, creating: true) { () throws(KeyringError) in
            try await keyring.createKeyring(name, password: password)
        }
    }
}
