internal import ArgumentParser
internal import KeyringKit

/// `keyring lock [NAME]`: locks a keyring (the default, or `--keyring`).
struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Lock a keyring.",
        discussion: """
            An encrypted-file keyring unlocked for the session (`keyring unlock`, or a remembered \
            password) is locked at once for every process of the session; --all locks every one.
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Lock every encrypted-file keyring unlocked for this session.")
    var all = false

    @Argument(help: "The keyring; the default one (or --keyring) when left out.")
    var name: String?

    func run() async throws {
        let context = CommandContext(options)
        let keyring = try await context.open(keyring: name)
        if all, let file = keyring.backend as? EncryptedFileBackend {
            try file.session.holder?.releaseAll()
        } else {
            try await keyring.lock()
        }
    }
}
