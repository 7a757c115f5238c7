internal import ArgumentParser
internal import KeyringKit

/// `keyring unlock [NAME]`: unlocks a keyring; the backend asks for the password.
struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Unlock a keyring.",
        discussion: """
            The Secret Service keeps a keyring unlocked for the desktop session. An encrypted-file \
            keyring stays unlocked for the rest of this login session, up to --timeout (8h, or \
            `unlock-timeout` in the configuration file): later commands and programs need no \
            password until then, `keyring lock`, or logout. Its key is held by the kernel's \
            session keyring, or by a key agent of this user where that is not available.
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(
        help:
            "Read the keyring's password from standard input instead of prompting (on the Secret Service: gnome-keyring's prompt-free interface, for machines where nobody can answer a prompt)."
    )
    var passwordStdin = false

    @Option(
        help: ArgumentHelp(
            "How long an encrypted-file keyring stays unlocked: 90s, 30m, 8h, 1d.", valueName: "duration"))
    var timeout: String?

    @Argument(help: "The keyring; the default one (or --keyring) when left out.")
    var name: String?

    func run() async throws {
        let context = CommandContext(options)
        var duration: Duration?
        do throws(KeyringError) {
            if let timeout { duration = try SessionUnlock.parseDuration(timeout) }
        } catch {
            throw CommandExit.usage("--timeout: \(error.message)")
        }
        let password = passwordStdin ? try PasswordInput.fromStandardInput() : nil
        let keyring = try await context.open(keyring: name)
        if let file = keyring.backend as? EncryptedFileBackend {
            try await file.unlockForSession(keyring: keyring.keyring, password: password, timeout: duration)
            return
        }
        try await KeyringCommand.advisingOnPasswordStdin(keyring, password: password, creating: false) {
            () throws(KeyringError) in
            try await keyring.unlock(password: password)
        }
    }
}
