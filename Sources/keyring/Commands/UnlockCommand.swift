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

    @Flag(
        help:
            "Read the keyring's password from standard input instead of prompting (on the Secret Service: gnome-keyring's prompt-free interface, for machines where nobody can answer a prompt)."
    )
    var passwordStdin = false

    @Argument(help: "The keyring; the default one (or --keyring) when left out.")
    var name: String?

    func run() async throws {
        let context = CommandContext(options)
        let password = passwordStdin ? try PasswordInput.fromStandardInput() : nil
        let keyring = try await context.open(keyring: name)
        let outcome: Result<Void, KeyringError>
        do {
            try await keyring.unlock(password: password)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        if case .failure(let error) = outcome, error.code == .unsupported, password != nil,
            keyring.backend.name == "secret-service"
        {
            throw KeyringCommand.passwordStdinRefusal(error, creating: false)
        }
        try outcome.get()
    }
}
