/// A validated D-Bus type signature (`g`): zero or more complete types, such as `"a{sv}o"`.
public struct DBusSignature: Sendable, Hashable {
    /// The signature text.
    public let rawValue: String
    /// The complete types, in order.
    public let types: [DBusType]

    /// Validates `rawValue`.
    /// - Throws: ``DBusError`` `.invalidArgument` when it is not a valid signature.
    public init(_ rawValue: String) throws(DBusError) {
        self.types = try DBusType.parse(rawValue)
        self.rawValue = rawValue
    }

    /// The signature of the given types, in order.
    public init(types: [DBusType]) {
        self.types = types
        var text = ""
        for type in types { type.write(to: &text) }
        self.rawValue = text
    }

    /// The empty signature (no arguments).
    public static let empty = DBusSignature(types: [])
}

extension DBusSignature: ExpressibleByStringLiteral {
    /// A signature written in source code. An invalid literal is a programming error and traps.
    public init(stringLiteral value: String) {
        do {
            try self.init(value)
        } catch {
            preconditionFailure("invalid D-Bus signature literal '\(value)'")
        }
    }
}

extension DBusSignature: CustomStringConvertible {
    public var description: String { rawValue }
}
