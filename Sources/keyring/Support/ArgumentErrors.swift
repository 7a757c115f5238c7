internal import ArgumentParser

/// Usage errors that never repeat what was typed.
///
/// People paste tokens into the wrong place (`keyring sett svc user hunter2`,
/// `keyring --output $TOKEN get ...`), and the argument parser's messages quote the arguments
/// they complain about. Every usage message goes through ``redacting(_:arguments:)``; an unknown
/// command gets a message of its own, with the nearest command when one is close.
enum ArgumentErrors {
    /// The command names and aliases `keyring` knows.
    static var commandNames: [String] {
        KeyringCommand.configuration.subcommands.flatMap { command in
            [command.configuration.commandName].compactMap { $0 } + command.configuration.aliases
        } + ["help"]
    }

    /// A message for a first positional argument that is no command, or `nil` when it is one
    /// (or there is none, or the arguments start with something only the parser understands).
    static func unknownCommand(in arguments: [String]) -> String? {
        // The parser's own requests (help, version, completion scripts) are its to answer.
        let parserOptions: Set<String> = [
            "-h", "--help", "--version", "--generate-completion-script", "--experimental-dump-help",
        ]
        if arguments.contains(where: { parserOptions.contains(String($0.prefix { $0 != "=" })) }) { return nil }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return nil }
            if GlobalOptions.namesTakingValues.contains(argument) {
                index += 2
                continue
            }
            if argument.hasPrefix("-") {
                index += 1
                continue
            }
            let names = commandNames
            if names.contains(argument) { return nil }
            var message = "unknown command (not shown, in case it was a secret)"
            if let nearest = nearest(to: argument, in: names) {
                message += "; did you mean '\(nearest)'?"
            } else {
                message += "; the commands are " + names.filter { $0 != "help" }.joined(separator: ", ")
            }
            return message + " (see keyring --help)"
        }
        return nil
    }

    /// `message` with every quoted argument value replaced by `'…'`. Option names stay (they are
    /// the program's words, not the user's); what follows `=` in `--name=value` is a value.
    static func redacting(_ message: String, arguments: [String]) -> String {
        var values: Set<String> = []
        for argument in arguments {
            if argument.hasPrefix("-") {
                if let equals = argument.firstIndex(of: "=") { values.insert(String(argument[argument.index(after: equals)...])) }
            } else {
                values.insert(argument)
            }
        }
        var redacted = message
        for value in values.sorted(by: { $0.count > $1.count }) where !value.isEmpty {
            for quote in ["'", "\""] {
                redacted = redacted.replacingOccurrences(of: quote + value + quote, with: quote + "…" + quote)
            }
        }
        return redacted
    }

    /// The command within edit distance 2 of `word` (1 for short words), if exactly one is nearest.
    private static func nearest(to word: String, in names: [String]) -> String? {
        let limit = word.count <= 3 ? 1 : 2
        let scored = names.map { ($0, distance(Array(word), Array($0))) }.filter { $0.1 <= limit }
        guard let best = scored.map(\.1).min() else { return nil }
        let winners = scored.filter { $0.1 == best }
        return winners.count == 1 ? winners[0].0 : nil
    }

    /// Levenshtein distance, with adjacent transpositions counting one.
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (FoundationEssentials-free).
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var out = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        return out + rest
    }
}
