/// A received D-Bus message: a method call, a reply, an error or a signal, decoded into Swift values.
public struct DBusMessage: Sendable {
    /// The four message types.
    public enum Kind: Sendable, Hashable {
        case methodCall, methodReturn, error, signal
    }

    public var kind: Kind
    /// The sender's serial number for this message.
    public var serial: UInt32
    /// For replies and errors, the serial of the call they answer.
    public var replySerial: UInt32?
    /// The sender's unique bus name, when sent over a bus.
    public var sender: String?
    public var destination: String?
    public var path: DBusObjectPath?
    public var interface: String?
    public var member: String?
    /// For errors, the D-Bus error name.
    public var errorName: String?
    /// Whether the sender said it expects no reply.
    public var noReplyExpected: Bool
    /// The signature of ``body``.
    public var signature: DBusSignature
    /// The arguments.
    public var body: [DBusValue]

    /// The body, after checking that its signature is `expected`.
    /// - Throws: ``DBusError`` `.typeMismatch` naming both signatures when they differ.
    public func body(matching expected: DBusSignature) throws(DBusError) -> [DBusValue] {
        guard signature == expected else {
            let what: String
            switch kind {
            case .signal: what = member.map { "signal \($0)" } ?? "signal"
            case .methodCall: what = member.map { "call of \($0)" } ?? "call"
            case .methodReturn, .error: what = "reply"
            }
            throw DBusError(
                .typeMismatch,
                "\(what) has signature '\(signature.rawValue)', expected '\(expected.rawValue)'")
        }
        return body
    }

    /// The first argument as a string, or `""`; the human text of an error message.
    public var errorMessage: String {
        if case .string(let text)? = body.first { return text }
        return ""
    }
}
