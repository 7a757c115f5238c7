internal import ArgumentParser
internal import KeyringKit

/// `keyring diagnose`: every built-in backend, usable or not and why, and the one a command
/// would use now. Status 4 when no backend can be chosen.
struct DiagnoseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Show which backends are usable here, and why.")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let context = CommandContext(options)
        let selection = try context.selection()
        let diagnoses = await Keyring.diagnose(selection: selection)
        var chosen: JSONValue
        var chosenLine: String
        var status = ExitStatus.success
        do {
            let choice = try await selection.choose()
            await choice.backend.close()
            chosen = .object([("backend", .string(choice.kind.rawValue)), ("reason", .string(choice.reason))])
            chosenLine = "in use: \(choice.kind.rawValue) (\(choice.reason))"
        } catch {
            chosen = .object([("error", .string(error.message))])
            chosenLine = "in use: none: \(error.message)"
            status = ExitStatus(error)
        }
        switch options.output {
        case .plain:
            let lines = diagnoses.map(\.description) + [chosenLine]
            // Diagnoses carry names read from the Secret Service.
            let text = lines.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false)
                .map { DisplayText.sanitized(String($0)) }.joined(separator: "\n")
            try StandardStreams.writeOut(text + "\n")
        case .json:
            let backends = diagnoses.map { diagnosis in
                JSONValue.object([
                    ("backend", .string(diagnosis.backend)), ("usable", .bool(diagnosis.isUsable)),
                    ("reason", .string(diagnosis.reason)), ("details", .array(diagnosis.details.map { .string($0) })),
                ])
            }
            try StandardStreams.writeOut(JSONValue.object([("backends", .array(backends)), ("in use", chosen)]).text + "\n")
        }
        if status != .success { throw CommandExit(status) }
    }
}
