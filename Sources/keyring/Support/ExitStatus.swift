internal import KeyringKit

/// The exit statuses of `keyring`, documented in `keyring --help` and `docs/cli.md`.
///
/// 0, 1 and 2 mean what they mean for Python keyring's `keyring` command (success, no such
/// entry for `get`/`del`, usage error), so pip, uv and scripts written for it keep working.
enum ExitStatus: Int32 {
    /// The command did what was asked.
    case success = 0
    /// `get` or `del`: there is no such entry (nothing was printed on stdout).
    case notFound = 1
    /// The command line is wrong: a missing argument, an unknown option or backend.
    case usage = 2
    /// The keyring is locked and could not be unlocked: no password, a wrong one, or a prompt
    /// that `--no-prompt` (or the lack of a terminal) did not allow.
    case locked = 3
    /// The backend cannot be used here, or cannot do this (a read-only backend).
    case unavailable = 4
    /// Anything else: damaged data, permissions, time-outs, a failing daemon.
    case failure = 5
    /// `run`: the command was found but could not be executed (as for env(1) and shells).
    case commandNotRunnable = 126
    /// `run`: the command was not found.
    case commandNotFound = 127

    /// The status for a KeyringKit error.
    init(_ error: KeyringError) {
        switch error.code {
        case .noEntry: self = .notFound
        case .invalidArgument: self = .usage
        case .locked, .wrongPassword: self = .locked
        case .noStorageAccess, .noDefaultKeyring, .unsupported: self = .unavailable
        default: self = .failure  // damaged data, permissions, time-outs, cancellation, codes added later
        }
    }

    /// The text of the EXIT STATUS section in `--help`.
    static let helpSection = """
        EXIT STATUS:
          0  success
          1  get, del: no such entry (nothing is printed on stdout)
          2  usage error: missing or unknown arguments, options, commands or backend
             names; arguments that are not UTF-8; an empty or invalid keyring name
          3  the keyring is locked: no password, a wrong one, a dismissed prompt, or a
             prompt was needed but not allowed (--no-prompt, or nobody to answer it:
             no terminal and no desktop display; KEYRING_PROMPT=always|never)
          4  the backend is unavailable here, or cannot do this (read-only)
          5  any other failure (damaged data, permissions, time-outs, a Secret
             Service that broke the protocol)
          run: the command's own status; 126 when it cannot be run, 127 when not found
        """
}

/// Ends a command with a status and, unless `message` is `nil`, a line on stderr.
/// Messages never contain a secret.
struct CommandExit: Error {
    let status: ExitStatus
    let message: String?

    init(_ status: ExitStatus, _ message: String? = nil) {
        self.status = status
        self.message = message
    }

    /// A usage error: the message says what is wrong and what to type instead.
    static func usage(_ message: String) -> CommandExit { CommandExit(.usage, message) }
}
