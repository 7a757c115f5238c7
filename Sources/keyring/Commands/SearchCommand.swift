internal import ArgumentParser
internal import KeyringKit

/// `keyring search ATTR=VALUE...`: entries whose attributes match all the pairs; metadata only.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find entries by attributes (metadata only, never secrets).",
        discussion: """
            Every entry has the attributes service and username; Secret Service items may have \
            more (git's have protocol, server, user). Prints one block per entry: its label, \
            keyring, service, username and attributes, with a blank line between blocks.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("Attributes that must all match, such as service=example.org.", valueName: "attribute=value"))
    var attributes: [String] = []

    func run() async throws {
        var wanted: [String: String] = [:]
        for pair in attributes {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw CommandExit.usage("an argument is not ATTRIBUTE=VALUE (not shown); write for example service=example.org")
            }
            wanted[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        let context = CommandContext(options)
        if context.isDisabled { return }
        let entries = try await context.open().search(wanted)
        switch options.output {
        case .plain:
            // Everything escaped (control characters, backslash): a name cannot forge a line.
            let show = DisplayText.escaped
            let blocks = entries.map { entry in
                var lines = [
                    "label = \(show(entry.label))", "keyring = \(show(entry.keyring))",
                    "service = \(show(entry.service))", "username = \(show(entry.account))",
                ]
                lines += entry.attributes.sorted { $0.key < $1.key }.map { "attribute.\(show($0.key)) = \(show($0.value))" }
                return lines.joined(separator: "\n") + "\n"
            }
            try StandardStreams.writeOut(blocks.joined(separator: "\n"))
        case .json:
            try StandardStreams.writeOut(JSONValue.array(entries.map(\.json)).text + "\n")
        }
    }
}
