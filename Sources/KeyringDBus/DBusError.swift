public import KeyringSystem

/// The one error type of the `DBus` layer: a stable code, a human message, and for errors sent
/// by a peer the D-Bus error name.
public struct DBusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is: stable, matched like enum cases (`case .timedOut:`); a
    /// `switch` needs a `default:`, so later versions can add codes (`KeyringErrorCode`).
    public struct Code: KeyringErrorCode {
        /// The stable text of the code.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// No bus address could be found (no `DBUS_SESSION_BUS_ADDRESS`, no `$XDG_RUNTIME_DIR/bus`).
        public static let noBus = Code("noBus")
        /// Connecting or authenticating to the bus failed.
        public static let connectionFailed = Code("connectionFailed")
        /// The connection was lost (the bus or the peer went away) while waiting.
        public static let disconnected = Code("disconnected")
        /// The connection was closed by this process.
        public static let closed = Code("closed")
        /// No reply arrived before the deadline.
        public static let timedOut = Code("timedOut")
        /// The peer answered with a D-Bus error; see ``DBusError/name``.
        public static let remote = Code("remote")
        /// A value or reply did not have the type the caller expected.
        public static let typeMismatch = Code("typeMismatch")
        /// An argument could not be sent (invalid name, path, string or container).
        public static let invalidArgument = Code("invalidArgument")
        /// The waiting task was cancelled: the call or wait was abandoned, not answered.
        public static let cancelled = Code("cancelled")

        /// Every code this version knows. Later versions may add more.
        public static let known: [Code] = [
            .noBus, .connectionFailed, .disconnected, .closed, .timedOut, .remote, .typeMismatch, .invalidArgument,
            .cancelled,
        ]
    }

    /// Well-known D-Bus error names.
    public enum Name {
        public static let failed = "org.freedesktop.DBus.Error.Failed"
        public static let unknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"
        public static let unknownObject = "org.freedesktop.DBus.Error.UnknownObject"
        public static let unknownInterface = "org.freedesktop.DBus.Error.UnknownInterface"
        public static let unknownProperty = "org.freedesktop.DBus.Error.UnknownProperty"
        public static let invalidArgs = "org.freedesktop.DBus.Error.InvalidArgs"
        public static let serviceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
        public static let nameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
        public static let noReply = "org.freedesktop.DBus.Error.NoReply"
        public static let notSupported = "org.freedesktop.DBus.Error.NotSupported"
        public static let accessDenied = "org.freedesktop.DBus.Error.AccessDenied"
        public static let propertyReadOnly = "org.freedesktop.DBus.Error.PropertyReadOnly"
    }

    /// The kind of failure.
    public let code: Code
    /// The D-Bus error name for `.remote` errors (and for local errors that have one).
    public let name: String?
    /// What happened, for a human. Never contains message payloads.
    public let message: String

    /// A local error. The message is kept safe to print: control characters escaped, at most
    /// about 2 KiB (``DisplayText``).
    public init(_ code: Code, _ message: String, name: String? = nil) {
        self.code = code
        self.message = DisplayText.sanitized(message)
        self.name = name.map { DisplayText.sanitized($0, limit: 255) }
    }

    /// An error reply from a peer. Its text is the peer's: escaped and cut to 512 bytes.
    public static func remote(name: String, message: String) -> DBusError {
        DBusError(.remote, DisplayText.sanitized(message, limit: DisplayText.peerTextLimit), name: name)
    }

    /// The error for a wait abandoned because its task was cancelled.
    /// - Parameter what: the wait, for the message ("waiting for the reply to Get").
    public static func cancelled(_ what: String) -> DBusError {
        DBusError(.cancelled, "\(what): cancelled before it finished")
    }

    /// An error to send back from an exported method handler.
    /// - Parameters:
    ///   - name: a valid D-Bus error name such as `org.example.Error.Denied`.
    public static func reply(name: String, message: String) -> DBusError {
        DBusError(.remote, message, name: name)
    }

    public var description: String {
        if let name { return "\(name): \(message)" }
        return message
    }
}
