internal import Glibc

/// The process's arguments, decoded strictly.
///
/// `CommandLine.arguments` replaces bytes that are not UTF-8 with U+FFFD, so `svc\xff` and
/// `svc\xfe` would both become `svc\u{FFFD}` and name the same entry: one `set` would silently
/// overwrite the other's secret. Every store keeps names as text, so such an argument is refused
/// instead, before anything is read or written.
enum CommandLineArguments {
    /// An argument that is not valid UTF-8; the message says which one, never what it holds.
    struct InvalidArgument: Error {
        let index: Int

        var message: String {
            "argument \(index) is not valid UTF-8 (not shown); service, account and keyring names, options "
                + "and values must be UTF-8 text, so nothing was read or written"
        }
    }

    /// argv, each argument validated as UTF-8 (argv[0], the program's path, is decoded leniently:
    /// it only decides whether `keyring` runs as a git credential helper).
    static func decode() -> Result<[String], InvalidArgument> {
        decode(CommandLine.unsafeArgv, count: Int(CommandLine.argc))
    }

    static func decode(_ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, count: Int) -> Result<
        [String], InvalidArgument
    > {
        var arguments: [String] = []
        arguments.reserveCapacity(count)
        for index in 0..<count {
            guard let pointer = argv[index] else { break }
            if index == 0 {
                arguments.append(String(cString: pointer))
            } else if let argument = String(validatingCString: pointer) {
                arguments.append(argument)
            } else {
                return .failure(InvalidArgument(index: index))
            }
        }
        return .success(arguments)
    }
}
