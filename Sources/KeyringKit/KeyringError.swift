public import KeyringSystem

/// The one error type of KeyringKit: a stable ``Code``, a message that says what happened and
/// what to do next, and the error underneath (a system call, a D-Bus error, ...).
///
/// Messages and descriptions never contain a secret value; they may name a service, an account
/// or a keyring file.
public struct KeyringError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is: stable, safe to match on and to print (``rawValue``).
    ///
    /// A struct, not an enum, so that a later version can add codes without breaking a caller's
    /// `switch` (which needs a `default:`), as swift-subprocess and swift-nio do:
    /// ```swift
    /// switch error.code {
    /// case .noEntry: ...
    /// case .locked, .wrongPassword: ...
    /// default: ...
    /// }
    /// ```
    public struct Code: KeyringErrorCode {
        /// The stable text of the code (`no-entry`, `locked`, ...).
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// No entry matches the service and account (only where a missing entry is an error).
        public static let noEntry = Code("no-entry")
        /// More than one entry matches where exactly one was expected.
        public static let ambiguous = Code("ambiguous")
        /// The keyring is locked and could not be unlocked: no password was available, or the
        /// unlock prompt was dismissed or not allowed.
        public static let locked = Code("locked")
        /// The store cannot be reached: no session bus, no directory, no permission to create it.
        public static let noStorageAccess = Code("no-storage-access")
        /// A secret is not valid in the requested encoding (for example not UTF-8).
        public static let badEncoding = Code("bad-encoding")
        /// Stored data is corrupt, truncated, or in a format this version does not read.
        public static let badDataFormat = Code("bad-data-format")
        /// A service, account, keyring name, setting or parameter is not acceptable.
        public static let invalidArgument = Code("invalid-argument")
        /// The backend does not support the operation (writes to the environment, keyrings in `env`).
        public static let unsupported = Code("unsupported")
        /// The password does not open the keyring.
        public static let wrongPassword = Code("wrong-password")
        /// The operating system or the store refused access (file modes, symlinks, owners, denied prompts).
        public static let permissionDenied = Code("permission-denied")
        /// A keyring that should not exist already does.
        public static let alreadyExists = Code("already-exists")
        /// The named keyring does not exist.
        public static let noSuchKeyring = Code("no-such-keyring")
        /// The backend has no default keyring to use (a Secret Service with no `default` alias
        /// and no `login` collection).
        public static let noDefaultKeyring = Code("no-default-keyring")
        /// A wait (for a lock held by another process, for a prompt) ran past its deadline.
        public static let timedOut = Code("timed-out")
        /// The task was cancelled before the operation finished.
        public static let cancelled = Code("cancelled")
        /// Anything else that went wrong inside a backend; see ``KeyringError/underlying``.
        public static let backendFailure = Code("backend-failure")

        /// Every code this version knows, for documentation and tests. Later versions may add more.
        public static let known: [Code] = [
            .noEntry, .ambiguous, .locked, .noStorageAccess, .badEncoding, .badDataFormat, .invalidArgument,
            .unsupported, .wrongPassword, .permissionDenied, .alreadyExists, .noSuchKeyring, .noDefaultKeyring,
            .timedOut, .cancelled, .backendFailure,
        ]
    }

    /// The stable kind of failure.
    public let code: Code
    /// What happened, for a person. Never contains a secret; never tells the user to run a
    /// particular program (a program embedding the library words its own advice from
    /// ``code`` and ``keyring``).
    public let message: String
    /// The keyring the operation was about, when it was about one (`nil` for the default).
    public let keyring: String?
    /// The error that caused this one, if any (a system call failure, a D-Bus error).
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The stable kind of failure.
    ///   - message: What happened. Must not contain a secret. Control characters are escaped
    ///     and the text is cut after about 2 KiB: names in it may come from anywhere.
    ///   - keyring: The keyring concerned, if any.
    ///   - underlying: The error that caused this one.
    public init(_ code: Code, _ message: String, keyring: String? = nil, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        // Names (the user's, a file's, a Secret Service's) go into messages: never raw control
        // characters, never megabytes.
        self.message = DisplayText.sanitized(message)
        self.keyring = keyring
        self.underlying = underlying
    }

    /// `code: message`, followed by the underlying error when there is one.
    public var description: String {
        if let underlying {
            return DisplayText.sanitized("\(code.rawValue): \(message) (\(underlying))", limit: 2 * DisplayText.messageLimit)
        }
        return "\(code.rawValue): \(message)"
    }

    /// Runs `body`, which may throw anything, and throws only ``KeyringError``: a
    /// `KeyringError` as it is, cancellation as ``Code/cancelled``, anything else as
    /// ``Code/backendFailure`` with the error underneath. The boundary of every public
    /// operation that calls code with other error types.
    /// - Parameter what: the operation, for the message of an unexpected error ("reading a/b").
    package static func catching<T>(_ what: String, _ body: () async throws -> T) async throws(KeyringError) -> T {
        do {
            return try await body()
        } catch let error as KeyringError {
            throw error
        } catch is CancellationError {
            throw KeyringError(.cancelled, "\(what): cancelled before it finished")
        } catch {
            throw KeyringError(.backendFailure, "\(what): \(error)", underlying: error)
        }
    }
}

extension KeyringError {
    /// The error every backend throws for an operation it does not implement.
    /// - Parameters:
    ///   - operation: What was asked, e.g. `"creating keyrings"`.
    ///   - backend: The backend's ``KeyringBackend/name``.
    public static func unsupported(_ operation: String, backend: String) -> KeyringError {
        KeyringError(
            .unsupported, "the '\(backend)' backend does not support \(operation); choose another backend with KEYRING_BACKEND")
    }
}
