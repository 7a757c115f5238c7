package import DBus

/// Text from outside made safe to print (control characters escaped, length bounded); the
/// `keyring` command uses it for everything it writes that holds names.
package typealias DisplayText = DBus.DisplayText

/// The one error type of KeyringKit: a stable ``Code``, a message that says what happened and
/// what to do next, and the error underneath (a system call, a D-Bus error, ...).
///
/// Messages and descriptions never contain a secret value; they may name a service, an account
/// or a keyring file.
public struct KeyringError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. The raw values are stable and safe to match on or print.
    public enum Code: String, Sendable, CaseIterable {
        /// No entry matches the service and account (only where a missing entry is an error).
        case noEntry = "no-entry"
        /// More than one entry matches where exactly one was expected.
        case ambiguous
        /// The keyring is locked and could not be unlocked (no password was available).
        case locked
        /// The store cannot be reached: no session bus, no directory, no permission to create it.
        case noStorageAccess = "no-storage-access"
        /// A secret is not valid in the requested encoding (for example not UTF-8).
        case badEncoding = "bad-encoding"
        /// Stored data is corrupt, truncated, or in a format this version does not read.
        case badDataFormat = "bad-data-format"
        /// A service, account, keyring name, setting or parameter is not acceptable.
        case invalidArgument = "invalid-argument"
        /// The backend does not support the operation (writes to the environment, keyrings in `env`).
        case unsupported
        /// The password does not open the keyring.
        case wrongPassword = "wrong-password"
        /// The operating system or the store refused access (file modes, symlinks, owners, denied prompts).
        case permissionDenied = "permission-denied"
        /// A keyring that should not exist already does.
        case alreadyExists = "already-exists"
        /// The named keyring does not exist.
        case noSuchKeyring = "no-such-keyring"
        /// A wait (for a lock held by another process, for a prompt) ran past its deadline.
        case timedOut = "timed-out"
        /// Anything else that went wrong inside a backend; see ``KeyringError/underlying``.
        case backendFailure = "backend-failure"
    }

    /// The stable kind of failure.
    public let code: Code
    /// What happened and what to do next, for a person. Never contains a secret.
    public let message: String
    /// The error that caused this one, if any (a system call failure, a D-Bus error).
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The stable kind of failure.
    ///   - message: What happened and what to do next. Must not contain a secret.
    ///   - underlying: The error that caused this one.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        // Names (the user's, a file's, a Secret Service's) go into messages: never raw control
        // characters, never megabytes.
        self.message = DisplayText.sanitized(message)
        self.underlying = underlying
    }

    /// `code: message`, followed by the underlying error when there is one.
    public var description: String {
        if let underlying {
            return "\(code.rawValue): \(message) (\(underlying))"
        }
        return "\(code.rawValue): \(message)"
    }
}

extension KeyringError {
    /// The error every backend throws for an operation it does not implement.
    /// - Parameters:
    ///   - operation: What was asked, e.g. `"creating keyrings"`.
    ///   - backend: The backend's ``KeyringBackend/name``.
    public static func unsupported(_ operation: String, backend: String) -> KeyringError {
        KeyringError(.unsupported, "the '\(backend)' backend does not support \(operation); choose another backend with KEYRING_BACKEND")
    }
}
