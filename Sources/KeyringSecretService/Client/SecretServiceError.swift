public import KeyringDBus
public import KeyringSystem
internal import KeyringDH

/// The one error type of the `SecretService` layer: a stable code, a message that says what to do
/// next, and the underlying error. Messages never contain secret bytes.
public struct SecretServiceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is: stable, matched like enum cases (`case .timedOut:`); a
    /// `switch` needs a `default:`, so later versions can add codes (`KeyringErrorCode`).
    public struct Code: KeyringErrorCode {
        /// The stable text of the code.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// No session bus, or nobody owns `org.freedesktop.secrets` on it.
        public static let serviceUnavailable = Code("serviceUnavailable")
        /// The daemon went away (exited or restarted) while a call was in flight. Retrying
        /// reconnects and opens a new session.
        public static let serviceVanished = Code("serviceVanished")
        /// The object (collection, item, alias target) does not exist.
        public static let noSuchObject = Code("noSuchObject")
        /// The object is locked and the policy did not allow a prompt, or the unlock failed.
        public static let locked = Code("locked")
        /// The user dismissed a prompt.
        public static let promptDismissed = Code("promptDismissed")
        /// A prompt got no answer before its deadline.
        public static let promptTimedOut = Code("promptTimedOut")
        /// Unlocking needs a prompt and the caller's policy forbids prompts.
        public static let promptRequired = Code("promptRequired")
        /// The daemon refused: for example a wrong master password (`org.gnome.keyring.Error.Denied`).
        public static let denied = Code("denied")
        /// An object with these properties already exists.
        public static let alreadyExists = Code("alreadyExists")
        /// There is no default collection (no `default` alias and no `login` collection).
        public static let noDefaultCollection = Code("noDefaultCollection")
        /// The daemon does not support the requested algorithm or method.
        public static let notSupported = Code("notSupported")
        /// The session is unknown to the daemon.
        public static let noSession = Code("noSession")
        /// The daemon's answer broke the protocol (bad key, bad padding, wrong signature).
        public static let protocolViolation = Code("protocolViolation")
        /// A call got no answer before its deadline.
        public static let timedOut = Code("timedOut")
        /// The task was cancelled before the operation finished.
        public static let cancelled = Code("cancelled")
        /// A caller-supplied value cannot be sent.
        public static let invalidArgument = Code("invalidArgument")
        /// Anything else the daemon reported.
        public static let failed = Code("failed")

        /// Every code this version knows. Later versions may add more.
        public static let known: [Code] = [
            .cancelled,
            .serviceUnavailable, .serviceVanished, .noSuchObject, .locked, .promptDismissed, .promptTimedOut, .promptRequired,
            .denied, .alreadyExists, .noDefaultCollection, .notSupported, .noSession, .protocolViolation, .timedOut,
            .invalidArgument, .failed,
        ]
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
    static func translating(_ error: any Error, _ what: String) -> SecretServiceError {
        if let error = error as? SecretServiceError { return error }
        if error is CancellationError {
            return SecretServiceError(.cancelled, "\(what): cancelled before it finished")
        }
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
            return SecretServiceError(
                .protocolViolation, "\(what): unexpected reply from the Secret Service: \(error.message)", underlying: error)
        case .invalidArgument:
            return SecretServiceError(.invalidArgument, "\(what): \(error.message)", underlying: error)
        case .cancelled:
            return SecretServiceError(.cancelled, "\(what): cancelled before it finished", underlying: error)
        case .remote:
            let code = error.name.flatMap { codeForName[$0] } ?? .failed
            let detail: String
            switch code {
            case .serviceUnavailable:
                detail =
                    "no Secret Service is running on the session bus (nobody owns org.freedesktop.secrets); "
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
        default:
            return SecretServiceError(.failed, "\(what): \(error.message)", underlying: error)
        }
    }
}
