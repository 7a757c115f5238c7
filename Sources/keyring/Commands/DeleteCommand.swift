internal import ArgumentParser
internal import KeyringKit

/// `keyring del SERVICE USERNAME`: deletes an entry; status 1 when there is none.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "Delete a secret.",
        discussion: "Exits with 1 when there is no such entry.",
        aliases: ["delete"])

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The service: an application, host or URL.")
    var service: String

    @Argument(help: "The user name.")
    var username: String

    func run() async throws {
        let context = CommandContext(options)
        if context.isDisabled { return }
        let keyring = try await context.open()
        guard try await keyring.delete(service: service, account: username) else {
            throw CommandExit(.notFound, "no secret is stored for '\(username)' on '\(service)'")
        }
    }
}
