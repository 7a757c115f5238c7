/// The argument parser's completion scripts, with the command aliases (`delete`,
/// `list-keyrings`) offered beside the commands they stand for: swift-argument-parser lists
/// only the commands' own names.
enum CompletionScripts {
    /// Each alias and the command it stands for.
    static var aliases: [(alias: String, command: String)] {
        KeyringCommand.configuration.subcommands.flatMap { command in
            command.configuration.aliases.compactMap { alias in command.configuration.commandName.map { (alias, $0) } }
        }
    }

    /// `script` for `shell` (bash, zsh, fish) with the aliases added; other text unchanged.
    static func addingAliases(to script: String, shell: String) -> String {
        let aliases = self.aliases
        guard !aliases.isEmpty else { return script }
        func withAliases(_ words: [Substring]) -> [String] {
            words.flatMap { word in [String(word)] + aliases.filter { $0.command == word }.map(\.alias) }
        }
        var out: [String] = []
        var definedFunctions = false
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            let indent = String(line.prefix { $0 == " " })
            switch shell {
            case "bash", "zsh":
                if !definedFunctions, line.hasPrefix("_keyring_") && line.hasSuffix("() {") {
                    // Each alias's completion function is its command's.
                    for (alias, command) in aliases { out.append("_keyring_\(alias)() {\n    _keyring_\(command) \"$@\"\n}\n") }
                    definedFunctions = true
                }
                if trimmed.hasSuffix(")"), trimmed.contains("|"),
                    trimmed.dropLast().allSatisfy({ $0.isLetter || $0 == "-" || $0 == "|" })
                {
                    // The case pattern of the subcommand names.
                    out.append(indent + withAliases(trimmed.dropLast().split(separator: "|")).joined(separator: "|") + ")")
                    continue
                }
                if let start = line.firstRange(of: "compgen -W '"), let end = line[start.upperBound...].firstIndex(of: "'") {
                    let words = line[start.upperBound..<end].split(separator: " ")
                    out.append(
                        String(line[..<start.upperBound]) + withAliases(words).joined(separator: " ") + String(line[end...]))
                    continue
                }
                out.append(String(line))
                for (alias, command) in aliases where trimmed.hasPrefix("'\(command):") {
                    out.append(indent + "'\(alias):" + trimmed.dropFirst(command.count + 2))
                }
            case "fish":
                if trimmed.count > 0, aliases.contains(where: { trimmed == "case '\($0.command)'" }) {
                    let command = trimmed.dropFirst(6).dropLast()
                    out.append(indent + "case " + withAliases([command]).map { "'\($0)'" }.joined(separator: " "))
                    continue
                }
                out.append(String(line))
                for (alias, command) in aliases where line.contains("-fa '\(command)' -d ") {
                    out.append(line.replacingFirst("-fa '\(command)' -d ", with: "-fa '\(alias)' -d "))
                }
            default:
                out.append(String(line))
            }
        }
        return out.joined(separator: "\n")
    }
}

extension Substring {
    /// The text with the first occurrence of `target` replaced.
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return String(self) }
        return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
    }
}

extension CompletionScripts {
    /// The shell of `--generate-completion-script SHELL` (or `=SHELL`) in `arguments`, if any.
    static func requestedShell(in arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument == "--generate-completion-script" { return index + 1 < arguments.count ? arguments[index + 1] : nil }
            if argument.hasPrefix("--generate-completion-script=") { return String(argument.dropFirst(29)) }
        }
        return nil
    }
}
