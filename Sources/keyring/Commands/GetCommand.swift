internal import ArgumentParser
internal import KeyringKit

/// `keyring get SERVICE USERNAME`: prints the secret and a newline; status 1 and nothing on
/// stdout when there is none. `--mode creds` prints the user name first and lets USERNAME be
/// left out (pip and uv ask that way); `--output json` prints `{"password": ...}` or
/// `{"username": ..., "password": ...}` as Python keyring does.
struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print a secret.",
        discussion: """
            Prints the secret and a newline on stdout, byte for byte (binary secrets too). \
            Exits with 1, printing nothing, when there is no such entry. With --mode creds, \
            prints the user name, then the password; without USERNAME it picks the first \
            account stored for SERVICE, as Python keyring does (in the Secret Service, the \
            first its search returns in the default collection; elsewhere the first by name).
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var getMode: GetModeOption

    @Argument(help: "The service: an application, host or URL.")
    var service: String

    @Argument(help: "The user name. Optional with --mode creds.")
    var username: String?

    func validate() throws {
        if getMode.mode == .password && username == nil {
            throw ValidationError("get needs SERVICE and USERNAME (or --mode creds to look up the user name)")
        }
    }

    func run() async throws {
        try await Self.perform(CommandContext(options), mode: getMode.mode, service: service, username: username)
    }

    /// Prints the secret (and the user name with `creds`) as `--output` says; shared with
    /// ``FastPath``.
    /// - Throws: ``CommandExit`` with status 1 when there is no entry; ``KeyringError``.
    static func perform(_ context: CommandContext, mode: GetMode, service: String, username: String?) async throws {
        if context.isDisabled { throw CommandExit(.notFound) }
        let log = try AuditLog.open(for: context)
        let keyring = try await context.open()
        let account: String
        if let username {
            account = username
        } else {
            // The first as Python keyring's get_credential takes it (the Secret Service's order).
            let accounts: [String] =
                try await context.audited(log, "get", service: service, account: nil, in: keyring, recordsFound: false) {
                    () async throws -> [String]? in
                    let accounts = try await keyring.accountsInLookupOrder(service: service)
                    return accounts.isEmpty ? nil : accounts
                } ?? []
            guard let first = accounts.first else { throw CommandExit(.notFound) }
            if accounts.count > 1 {
                KeyringCommand.report(
                    "\(accounts.count) accounts are stored for '\(service)'; using '\(first)'. Name the one you want as USERNAME."
                )
            }
            account = first
        }
        let found = try await context.audited(log, "get", service: service, account: account, in: keyring) {
            try await keyring.get(service: service, account: account)
        }
        guard let secret = found else {
            throw CommandExit(.notFound)
        }
        let printsUsername = mode == .creds
        switch context.options.output {
        case .plain:
            if printsUsername {
                // The first line is the user name, the second the password: a name with a line
                // break in it would hand the reader another password.
                guard !account.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw CommandExit(
                        .failure,
                        "the stored user name has control characters (a line break?), which plain output cannot carry; use --output json"
                    )
                }
                try StandardStreams.writeOut(account + "\n")
            }
            try secret.withUnsafeBytes { bytes throws(CommandExit) in try StandardStreams.writeOut(bytes) }
            try StandardStreams.writeOut("\n")
        case .json:
            guard let text = secret.stringValue else {
                throw CommandExit(
                    .failure,
                    "the secret of '\(account)' on '\(service)' is binary data, which JSON cannot hold; use --output plain")
            }
            var members: [(String, JSONValue)] = []
            if printsUsername { members.append(("username", .string(account))) }
            members.append(("password", .string(text)))
            try StandardStreams.writeOut(JSONValue.object(members).text + "\n")
        }
    }
}
