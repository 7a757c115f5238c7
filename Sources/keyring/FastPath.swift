/// `keyring get` without the argument parser, for the command lines pip, uv, scripts and people
/// use most: `get SERVICE USERNAME`, `get SERVICE --mode creds`, with `-b`, `--keyring`,
/// `--mode`, `--output`, `--no-prompt`, `--audit-log` in any order. Parsing with swift-argument-parser costs
/// more than the rest of a `get` from a keyring without a file; this skips it.
///
/// Anything else (help, `--opt=value`, `--`, a name starting with `-`, a wrong value, too many
/// or too few arguments) returns `nil`, and the argument parser handles it, with its messages.
/// Tests run the same command lines through both paths.
enum FastPath {
    /// A `get` parsed by hand.
    struct Get {
        var settings = Settings()
        var mode = GetMode.password
        var service = ""
        var username: String?
    }

    /// Parses `arguments` (without argv[0]) when they are a plain `get`; `nil` otherwise.
    static func parseGet(_ arguments: [String]) -> Get? {
        var get = Get()
        var positionals: [String] = []
        var index = 0
        func value() -> String? {
            index += 1
            return index < arguments.count ? arguments[index] : nil
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "-b", "--backend", "--keyring-backend":
                guard let name = value() else { return nil }
                get.settings.backend = name
            case "--keyring":
                guard let name = value() else { return nil }
                get.settings.keyring = name
            case "--mode":
                guard let text = value(), let mode = GetMode(rawValue: text) else { return nil }
                get.mode = mode
            case "--output":
                guard let text = value(), let output = OutputFormat(rawValue: text) else { return nil }
                get.settings.output = output
            case "--audit-log":
                guard let path = value() else { return nil }
                get.settings.auditLog = path
            case "-p", "--keyring-path":
                guard value() != nil else { return nil }
            case "--no-prompt":
                get.settings.noPrompt = true
            default:
                if argument.hasPrefix("-") { return nil }
                positionals.append(argument)
            }
            index += 1
        }
        guard positionals.first == "get" else { return nil }
        switch positionals.count {
        case 3: (get.service, get.username) = (positionals[1], positionals[2])
        case 2 where get.mode == .creds: get.service = positionals[1]
        default: return nil
        }
        return get
    }
}
