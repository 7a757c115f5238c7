internal import ArgumentParser
internal import KeyringKit

/// `keyring list [SERVICE]`: names only, never secrets.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the entries (names only, never secrets).",
        discussion: """
            With SERVICE, prints the user names stored for it, one a line. Without, prints \
            every entry of the keyring as SERVICE, a tab, and USERNAME; git and Docker \
            credentials of the Secret Service, which have no service, show as \
            git:URL and docker:SERVER.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "Only this service's user names.")
    var service: String?

    func run() async throws {
        let context = CommandContext(options)
        if context.isDisabled { return }
        let keyring = try await context.open()
        if let service {
            let accounts = try await keyring.accounts(service: service)
            switch options.output {
            // Names are escaped (control characters, backslash): one entry is always one line.
            case .plain: try StandardStreams.writeOut(accounts.map { DisplayText.escaped($0) + "\n" }.joined())
            case .json: try StandardStreams.writeOut(JSONValue.array(accounts.map { .string($0) }).text + "\n")
            }
        } else {
            let entries = try await keyring.search()
            switch options.output {
            case .plain:
                try StandardStreams.writeOut(
                    entries.map { "\(DisplayText.escaped($0.shownService))\t\(DisplayText.escaped($0.account))\n" }.joined())
            case .json: try StandardStreams.writeOut(JSONValue.array(entries.map(\.json)).text + "\n")
            }
        }
    }
}

extension KeyringEntry {
    /// The entry's metadata as JSON: service, username, label, keyring, attributes.
    var json: JSONValue {
        .object([
            ("service", .string(service)), ("username", .string(account)), ("label", .string(label)),
            ("keyring", .string(keyring)),
            ("attributes", .object(attributes.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
        ])
    }
}
