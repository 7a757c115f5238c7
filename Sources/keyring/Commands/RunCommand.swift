internal import ArgumentParser
internal import KeyringKit
internal import Glibc

/// `keyring run --env VAR=SERVICE/USERNAME ... -- COMMAND ARGS...`: replaces itself with
/// COMMAND (execvp), whose environment has the secrets added. The secrets go nowhere else:
/// not into argv, not into a file, not into this process's own environment.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command with secrets in its environment.",
        discussion: """
            Each --env VAR=SERVICE/USERNAME reads one secret and sets VAR to it in the \
            command's environment; SERVICE/USERNAME is split at the last '/', so SERVICE may be \
            a URL. --env-file FILE reads such references from a file of NAME=SERVICE/USERNAME \
            lines (dotenv syntax; `keyring import-env` makes one from a .env file); --env \
            given after it wins for the same NAME. The command replaces keyring (its exit status is the command's own); 127 \
            when it is not found, 126 when it cannot be run. A missing secret exits with 1 \
            before anything runs.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(
        name: .customLong("env"), help: ArgumentHelp("A variable and the secret to give it.", valueName: "var=service/username"))
    var variables: [String] = []

    @Option(
        name: .customLong("env-file"),
        help: ArgumentHelp(
            "A file of NAME=SERVICE/USERNAME references (as `keyring import-env` writes), each read as --env is.",
            valueName: "file"))
    var envFiles: [String] = []

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command and its arguments, after --.", valueName: "command"))
    var command: [String] = []

    /// One `--env` request, or one line of an `--env-file`.
    struct Request {
        let variable: String
        let service: String
        let account: String
        /// `FILE line N` for a line of an --env-file, whose reference is not shown in messages
        /// (the file may be a dotenv file of values, given by mistake).
        var origin: String?

        init(variable: String, service: String, account: String, origin: String?) {
            self.variable = variable
            self.service = service
            self.account = account
            self.origin = origin
        }

        init(parsing text: String) throws(CommandExit) {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                // Never echo the text: people paste the secret itself here by mistake.
                throw CommandExit.usage("an --env argument is not VAR=SERVICE/USERNAME (not shown, in case it is a secret)")
            }
            let variable = String(text[..<equals])
            let isName = variable.utf8.allSatisfy { byte in
                byte == UInt8(ascii: "_") || (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
            }
            guard isName, !(variable.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? true) else {
                throw CommandExit.usage(
                    "an --env argument does not start with a variable name (letters, digits and _; not shown)")
            }
            let target = text[text.index(after: equals)...]
            guard let slash = target.lastIndex(of: "/"), slash != target.startIndex else {
                throw CommandExit.usage(
                    "--env \(variable)=...: name the secret as SERVICE/USERNAME after '=' (the value is not shown)")
            }
            self.variable = variable
            self.service = String(target[..<slash])
            self.account = String(target[target.index(after: slash)...])
        }
    }

    func validate() throws {
        if command.isEmpty {
            throw ValidationError(
                "run needs a command after --, e.g. keyring run --env TOKEN=example.org/alice -- printenv TOKEN")
        }
    }

    func run() async throws {
        var requests: [Request] = []
        for file in envFiles { requests += try EnvReferences.read(file) }
        for text in variables { requests.append(try Request(parsing: text)) }
        let context = CommandContext(options)
        // name=value strings for the child, built from the secrets' bytes and wiped on failure.
        var assignments: [String: [UInt8]] = [:]
        defer { for key in assignments.keys { assignments[key]!.wipe() } }
        if !requests.isEmpty {
            if context.isDisabled { throw CommandExit(.notFound, "keyring is disabled; no secret for \(requests[0].variable)") }
            let log = try AuditLog.open(for: context)
            let keyring = try await context.open()
            for request in requests {
                let found = try await context.audited(log, "run", service: request.service, account: request.account, in: keyring)
                {
                    try await keyring.get(service: request.service, account: request.account)
                }
                guard let secret = found else {
                    if let origin = request.origin {
                        throw CommandExit(
                            .notFound,
                            "no secret is stored for \(request.variable) (\(origin); the reference is not shown, in case the file "
                                + "holds values); store it with keyring set SERVICE USERNAME as that line names them")
                    }
                    throw CommandExit(
                        .notFound,
                        "no secret is stored for '\(request.account)' on '\(request.service)' (for \(request.variable)); "
                            + "store it with: keyring set '\(request.service)' '\(request.account)'")
                }
                var bytes = Array("\(request.variable)=".utf8)
                let hasNul = secret.withUnsafeBytes { raw in
                    bytes.append(contentsOf: raw)
                    return raw.contains(0)
                }
                if assignments[request.variable] != nil { assignments[request.variable]!.wipe() }
                assignments[request.variable] = bytes
                if hasNul {
                    throw CommandExit(
                        .failure,
                        "the secret for \(request.variable) contains a NUL byte, which an environment variable cannot hold")
                }
            }
        }
        await CommandSession.close()
        try exec(command, adding: assignments)
    }

    /// Replaces this process with `arguments[0]`, found on PATH, with the current environment
    /// plus `assignments`. Returns only by throwing.
    private func exec(_ arguments: [String], adding assignments: [String: [UInt8]]) throws(CommandExit) -> Never {
        var environment: [UnsafeMutablePointer<CChar>?] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let name = String(cString: entry).prefix { $0 != "=" }
            if assignments[String(name)] == nil { environment.append(entry) }
            pointer += 1
        }
        var owned: [UnsafeMutablePointer<CChar>] = []
        for bytes in assignments.values {
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(copy).copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            }
            copy[bytes.count] = 0
            owned.append(copy)
            environment.append(copy)
        }
        environment.append(nil)
        let argv = arguments.map { strdup($0) } + [nil]
        let code = Self.execute(arguments[0], argv, environment)
        for copy in owned {
            explicit_bzero(copy, strlen(copy))
            copy.deallocate()
        }
        argv.forEach { free($0) }
        let reason = String(cString: strerror(code))
        if code == ENOENT {
            throw CommandExit(ExitStatus.commandNotFound, "cannot run '\(arguments[0])': \(reason); check the name and PATH")
        }
        throw CommandExit(ExitStatus.commandNotRunnable, "cannot run '\(arguments[0])': \(reason)")
    }

    /// `execvpe(3)`, which Glibc's Swift module does not export: looks `file` up in PATH as
    /// execvp does (a name with a '/' is used as is; a file without `#!` runs with /bin/sh)
    /// and calls `execve(2)` with `environment`. Returns `errno` when nothing could be run.
    private static func execute(
        _ file: String, _ argv: [UnsafeMutablePointer<CChar>?], _ environment: [UnsafeMutablePointer<CChar>?]
    ) -> Int32 {
        func attempt(_ path: String) -> Int32 {
            execve(path, argv, environment)
            let code = errno
            if code == ENOEXEC {
                let shell = [strdup("/bin/sh"), strdup(path)] + argv.dropFirst()
                execve("/bin/sh", Array(shell), environment)
                shell.prefix(2).forEach { free($0) }
            }
            return code
        }
        if file.contains("/") { return attempt(file) }
        let search = getenv("PATH").map { String(cString: $0) } ?? "/bin:/usr/bin"
        var sawPermissionDenied = false
        for directory in search.split(separator: ":", omittingEmptySubsequences: false) {
            let code = attempt(directory.isEmpty ? file : "\(directory)/\(file)")
            switch code {
            case EACCES: sawPermissionDenied = true
            case ENOENT, ENOTDIR, ESTALE, ENODEV, ETIMEDOUT, ENOEXEC: continue
            default: return code
            }
        }
        return sawPermissionDenied ? EACCES : ENOENT
    }
}
