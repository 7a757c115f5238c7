public import DBus

/// The one error type of the `SecretService` layer: a stable code, a message that says what to do
/// next, and the underlying error. Messages never contain secret bytes.
public struct SecretServiceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Stable: callers switch on it.
    public enum Code: String, Sendable, Hashable {
        /// No session bus, or nobody owns `org.freedesktop.secrets` on it.
        case serviceUnavailable
        /// The daemon went away (exited or restarted) while a call was in flight. Retrying
        /// reconnects and opens a new session.
        case serviceVanished
        /// The object (collection, item, alias target) does not exist.
        case noSuchObject
        /// The object is locked and the policy did not allow a prompt, or the unlock failed.
        case locked
        /// The user dismissed a prompt.
        case promptDismissed
        /// A prompt got no answer before its deadline.
        case promptTimedOut
        /// Unlocking needs a prompt and the caller's policy forbids prompts.
        case promptRequired
        /// The daemon refused: for example a wrong master password (`org.gnome.keyring.Error.Denied`).
        case denied
        /// An object with these properties already exists.
        case alreadyExists
        /// There is no default collection (no `default` alias and no `login` collection).
        case noDefaultCollection
        /// The daemon does not support the requested algorithm or method.
        case notSupported
        /// The session is unknown to the daemon.
        case noSession
        /// The daemon's answer broke the protocol (bad key, bad padding, wrong signature).
        case protocolViolation
        /// A call got no answer before its deadline.
        case timedOut
        /// A caller-supplied value cannot be sent.
        case invalidArgument
        /// Anything else the daemon reported.
        case failed
    }

    public let code: Code
    public let message: String
    /// The D-Bus error behind this one, when there is one.
    public let underlying: DBusError?

    /// An error. The message is kept safe to print: control characters escaped, at most about
    /// 2 KiB, whatever names or peer text went into it.
    public init(_ code: Code, _ message: String, underlying: DBusError? = nil) {
        self.code = code
        self.message = DisplayText.sanitized(message)
        self.underlying = underlying
    }

    public var description: String { message }

    /// Error names of the Secret Service API and of gnome-keyring.
    public enum Name {
        public static let isLocked = "org.freedesktop.Secret.Error.IsLocked"
        public static let noSession = "org.freedesktop.Secret.Error.NoSession"
        public static let noSuchObject = "org.freedesktop.Secret.Error.NoSuchObject"
        public static let alreadyExists = "org.freedesktop.Secret.Error.AlreadyExists"
        public static let denied = "org.gnome.keyring.Error.Denied"
    }

    /// The one table from D-Bus error names to codes (libsecret keeps the same in secret-util.c).
    static let codeForName: [String: Code] = [
        Name.isLocked: .locked,
        Name.noSession: .noSession,
        Name.noSuchObject: .noSuchObject,
        Name.alreadyExists: .alreadyExists,
        Name.denied: .denied,
        // gnome-keyring answers an unknown object path with UnknownMethod ("Object does not exist").
        DBusError.Name.unknownMethod: .noSuchObject,
        DBusError.Name.unknownObject: .noSuchObject,
        DBusError.Name.notSupported: .notSupported,
        DBusError.Name.serviceUnknown: .serviceUnavailable,
        DBusError.Name.nameHasNoOwner: .serviceUnavailable,
        // The bus sends NoReply when the daemon leaves with our call unanswered.
        DBusError.Name.noReply: .serviceVanished,
        DBusError.Name.invalidArgs: .invalidArgument,
    ]

    /// Translates an error from the layer below. `what` names the operation ("reading item X").
    static func translating(_ error: any Error, _ what: String) -> any Error {
        if error is SecretServiceError || error is CancellationError { return error }
        if let error = error as? SessionCryptoError {
            return SecretServiceError(.protocolViolation, "\(what): the Secret Service sent \(error.subject) (\(error))")
        }
        guard let error = error as? DBusError else {
            return SecretServiceError(.failed, "\(what): \(error)")
        }
        switch error.code {
        case .noBus:
            return SecretServiceError(.serviceUnavailable, "\(what): \(error.message)", underlying: error)
        case .connectionFailed:
            return SecretServiceError(.serviceUnavailable, "\(what): \(error.message)", underlying: error)
        case .disconnected, .closed:
            // The DBus layer's message already says the connection is gone, and how.
            return SecretServiceError(.serviceVanished, "\(what): \(error.message); try again", underlying: error)
        case .timedOut:
            return SecretServiceError(.timedOut, "\(what): the Secret Service did not answer in time", underlying: error)
        case .typeMismatch:
            return SecretServiceError(.protocolViolation, "\(what): unexpected reply from the Secret Service: \(error.message)", underlying: error)
        case .invalidArgument:
            return SecretServiceError(.invalidArgument, "\(what): \(error.message)", underlying: error)
        case .remote:
            let code = error.name.flatMap { codeForName[$0] } ?? .failed
            let detail: String
            switch code {
            case .serviceUnavailable:
                detail = "no Secret Service is running on the session bus (nobody owns org.freedesktop.secrets); "
                    + "start gnome-keyring, KWallet or KeePassXC's Secret Service integration, or use another backend"
            case .serviceVanished:
                detail = "the Secret Service left without answering; try again"
            case .locked:
                detail = "the object is locked; unlock it first"
            case .noSuchObject:
                detail = "no such object"
            case .denied:
                detail = "the Secret Service refused (wrong password?)"
            default:
                detail = error.message.isEmpty ? (error.name ?? "failed") : error.message
            }
            return SecretServiceError(code, "\(what): \(detail)", underlying: error)
        }
    }
}
