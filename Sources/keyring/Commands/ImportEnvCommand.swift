internal import ArgumentParser
internal import KeyringKit
internal import Glibc

/// `keyring import-env FILE --service SERVICE`: moves the values of a dotenv file into the
/// keyring (one entry per variable: SERVICE, account NAME) and writes a file of references
/// (`NAME=SERVICE/NAME`, no values) for `keyring run --env-file`. All or nothing: when any
/// entry or the reference file cannot be written, what was written is undone.
struct ImportEnvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-env",
        abstract: "Move the values of a .env file into the keyring, leaving references.",
        discussion: """
            Stores each NAME=VALUE of FILE as the secret of account NAME in SERVICE, and writes \
            the reference file (FILE.keyring unless --reference-file says otherwise), with lines \
            NAME=SERVICE/NAME and no values: it can be committed. Then \
            `keyring run --env-file FILE.keyring -- COMMAND` runs COMMAND with the same \
            environment, and FILE can be deleted. Understands the dotenv syntax of python-dotenv \
            and compose: comments, `export`, quotes, escapes in double quotes, empty values; \
            refuses ${...} (which those would expand), a name given twice, an invalid name. \
            Existing entries of SERVICE with those names and an existing reference file are \
            left alone unless --force is given. Values are never printed.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("The dotenv file to read.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The service to store the values under (e.g. the project's name).", valueName: "service"))
    var service: String

    @Option(
        name: .customLong("reference-file"),
        help: ArgumentHelp("Where to write the references (default: FILE.keyring).", valueName: "path"))
    var referenceFile: String?

    @Flag(help: "Replace existing entries of SERVICE with the same names, and an existing reference file.")
    var force = false

    func run() async throws {
        let references = referenceFile ?? file + ".keyring"
        guard references != file else {
            throw CommandExit.usage("the reference file would replace \(file) itself; name another with --reference-file")
        }
        guard !service.isEmpty, !service.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CommandExit.usage("--service needs a name without control characters")
        }
        var dotenv = try DotenvFile(reading: file)
        defer { dotenv.wipe() }
        guard !dotenv.entries.isEmpty else { throw CommandExit.usage("\(file) sets no variables; nothing to import") }
        if !force, try Self.exists(references) {
            throw CommandExit(.failure, "\(references) exists; nothing was stored (pass --force to replace it)")
        }
        let context = CommandContext(options)
        if context.isDisabled {
            throw CommandExit(.unavailable, "keyring is disabled, so nothing can be stored; nothing was written")
        }
        let keyring = try await context.open()
        let existing = Set(try await keyring.accounts(service: service))
        let taken = dotenv.entries.map(\.name).filter { existing.contains($0) }
        if !taken.isEmpty, !force {
            throw CommandExit(
                .failure,
                "'\(service)' has entries for \(taken.joined(separator: ", ")) already; nothing was stored "
                    + "(pass --force to replace them, or choose another --service)")
        }
        // What --force replaces, to put back if a later step fails.
        var replaced: [String: Secret] = [:]
        for name in taken {
            if let old = try await keyring.get(service: service, account: name) { replaced[name] = old }
        }
        var stored: [String] = []
        do {
            for entry in dotenv.entries {
                let secret = entry.value.withUnsafeBytes { Keyring.secret(copying: $0) }
                try await keyring.set(secret, service: service, account: entry.name)
                stored.append(entry.name)
            }
            try write(references, dotenv.entries.map(\.name))
        } catch {
            var undone = true
            for name in stored {
                do {
                    if let old = replaced[name] {
                        try await keyring.set(old, service: service, account: name)
                    } else {
                        try await keyring.delete(service: service, account: name)
                    }
                } catch {
                    undone = false
                }
            }
            let note =
                stored.isEmpty
                ? "nothing was stored"
                : undone
                    ? "the \(stored.count) entries stored before were undone"
                    : "undoing the \(stored.count) entries stored before failed too: check \(stored.joined(separator: ", ")) in '\(service)'"
            switch error {
            case let exit as CommandExit: throw CommandExit(exit.status, (exit.message ?? "failed") + "; " + note)
            case let error as KeyringError: throw KeyringError(error.code, error.message + "; " + note, keyring: error.keyring)
            default: throw error
            }
        }
        KeyringCommand.report(
            "stored \(stored.count) value\(stored.count == 1 ? "" : "s") of \(file) in '\(service)' (\(keyring.backend.name) backend): "
                + "\(stored.joined(separator: ", ")); wrote \(references), which holds no values and can be committed. "
                + "Check `keyring run --env-file \(references) -- COMMAND`, then delete \(file)")
    }

    /// Whether something is at `path` (a dangling link counts).
    private static func exists(_ path: String) throws(CommandExit) -> Bool {
        var status = stat()
        if lstat(path, &status) == 0 { return true }
        if errno == ENOENT { return false }
        throw CommandExit(.failure, "cannot check \(path): \(String(cString: strerror(errno)))")
    }

    /// Writes the reference file: a new file (`O_EXCL`), or with --force a temporary one renamed
    /// over the old.
    private func write(_ path: String, _ names: [String]) throws(CommandExit) {
        var text = """
            # References to secrets in the keyring, made by `keyring import-env` from \(DisplayText.escaped(file)).
            # No values: this file can be committed. Use: keyring run --env-file \(DisplayText.escaped(path)) -- COMMAND

            """
        for name in names { text += "\(name)=\(DotenvFile.quoted(service + "/" + name))\n" }
        let target = force ? path + ".tmp-\(getpid())" : path
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CommandExit(.failure, "cannot create \(target): \(String(cString: strerror(errno)))")
        }
        let written = text.withUTF8 { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        let reason = String(cString: strerror(errno))
        close(descriptor)
        guard written == text.utf8.count, synced else {
            unlink(target)
            throw CommandExit(.failure, "cannot write \(target): \(reason)")
        }
        if force, rename(target, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(target)
            throw CommandExit(.failure, "cannot replace \(path): \(reason)")
        }
    }
}
