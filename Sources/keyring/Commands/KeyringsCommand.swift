internal import ArgumentParser
internal import KeyringKit

/// `keyring keyrings` (also `list-keyrings`): the backend's keyrings, locked or not.
struct KeyringsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyrings",
        abstract: "List the keyrings (collections, files) of the backend.",
        aliases: ["list-keyrings"])

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let context = CommandContext(options)
        if context.isDisabled { return }
        let keyrings = try await context.open().keyrings()
        switch options.output {
        case .plain:
            try StandardStreams.writeOut(keyrings.map { DisplayText.escaped("\($0)") + "\n" }.joined())
        case .json:
            let values = keyrings.map { info in
                JSONValue.object([
                    ("name", .string(info.name)), ("locked", .bool(info.isLocked)), ("default", .bool(info.isDefault)),
                ])
            }
            try StandardStreams.writeOut(JSONValue.array(values).text + "\n")
        }
    }
}
