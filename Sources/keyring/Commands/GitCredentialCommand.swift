internal import ArgumentParser
internal import KeyringKit

/// `keyring git-credential get|store|erase`: a git credential helper. Reads git's `key=value`
/// lines on stdin; `get` answers `username=` and `password=` lines when it has a credential
/// and nothing otherwise. Credentials are stored as git-credential-libsecret stores them.
struct GitCredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "git-credential",
        abstract: "Act as a git credential helper.",
        discussion: """
            Configure git with:
              git config --global credential.helper '!keyring git-credential'
            or put a link named git-credential-keyring to keyring on PATH and use:
              git config --global credential.helper keyring
            In the Secret Service the items carry git-credential-libsecret's attributes \
            (xdg:schema org.gnome.keyring.NetworkPassword, protocol, server, port, user, object) and label, so \
            either helper reads what the other stored; other backends keep them under the \
            service git:PROTOCOL://HOST[:PORT][/PATH] with the user name as account.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("get, store or erase (others are ignored, as git asks of helpers).", valueName: "operation"))
    var operation: String

    func run() async throws {
        guard ["get", "store", "erase"].contains(operation) else { return }
        var input = try StandardStreams.readAllInput()  // holds password=...
        defer { input.wipe() }
        var message = try GitCredentialMessage(parsing: input)
        defer { message.wipe() }
        let context = CommandContext(options)
        if context.isDisabled { return }
        let key = message.key
        switch operation {
        case "get":
            guard key.isComplete else { return }
            let log = try AuditLog.open(for: context)
            let keyring = try await context.open()
            let found = try await context.audited(
                log, "git-credential get", service: key.service, account: key.username, in: keyring
            ) {
                try await keyring.gitCredential(key)
            }
            guard let found else { return }
            let printable = found.password.withUnsafeBytes { !$0.contains(UInt8(ascii: "\n")) && !$0.contains(0) }
            guard printable else {
                throw CommandExit(
                    .failure, "the stored password for \(key.url) has a newline or NUL, which git's protocol cannot carry")
            }
            if let username = found.username {
                // A line break in the name would let a stored item add lines (a password) to git's input.
                guard !username.utf8.contains(where: { $0 == 0x0A || $0 == 0 }) else {
                    throw CommandExit(
                        .failure, "the stored user name for \(key.url) has a newline or NUL, which git's protocol cannot carry")
                }
                try StandardStreams.writeOut("username=\(username)\n")
            }
            try StandardStreams.writeOut("password=")
            try found.password.withUnsafeBytes { bytes throws(CommandExit) in try StandardStreams.writeOut(bytes) }
            try StandardStreams.writeOut("\n")
        case "store":
            guard key.isComplete, key.username != nil, message.password != nil else {
                // As git-credential-libsecret: nothing sensible to store.
                return
            }
            // No second reference to the password's buffer, so message.wipe() wipes the only one.
            let secret = message.password!.withUnsafeBytes { Keyring.secret(copying: $0) }
            message.wipe()
            try await context.open().storeGitCredential(key, password: secret)
        default:
            guard !key.isEmpty else { return }
            let rejected = message.password?.withUnsafeBytes { Keyring.secret(copying: $0) }
            message.wipe()
            try await context.open().eraseGitCredential(key, password: rejected)
        }
    }
}
