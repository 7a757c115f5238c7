/// A validated D-Bus object path (`o`), such as `/org/freedesktop/secrets`.
public struct DBusObjectPath: Sendable, Hashable, Comparable {
    /// The path text.
    public let rawValue: String

    /// Validates `rawValue`: `/`, or `/`-separated non-empty elements of `[A-Za-z0-9_]`.
    /// - Throws: ``DBusError`` `.invalidArgument` when it is not a valid object path.
    public init(_ rawValue: String) throws(DBusError) {
        guard DBusObjectPath.isValid(rawValue) else {
            throw DBusError(.invalidArgument, "invalid object path '\(rawValue)'")
        }
        self.rawValue = rawValue
    }

    init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    /// The root path `/`; the Secret Service uses it to mean "none".
    public static let root = DBusObjectPath(unchecked: "/")

    /// Whether `text` is a valid object path.
    public static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count == 1 { return true }
        var previousSlash = false
        for byte in bytes {
            if byte == UInt8(ascii: "/") {
                if previousSlash { return false }
                previousSlash = true
            } else {
                guard DBusNames.isElementByte(byte) else { return false }
                previousSlash = false
            }
        }
        return !previousSlash
    }

    /// This path with `element` appended (`/a` + `b` = `/a/b`).
    /// - Throws: ``DBusError`` `.invalidArgument` when `element` is not a valid path element.
    public func appending(_ element: String) throws(DBusError) -> DBusObjectPath {
        try DBusObjectPath(rawValue == "/" ? "/" + element : rawValue + "/" + element)
    }

    /// Whether this path equals `prefix` or lies below it.
    public func isDescendant(of prefix: DBusObjectPath) -> Bool {
        if prefix.rawValue == "/" || prefix == self { return true }
        return rawValue.hasPrefix(prefix.rawValue + "/")
    }

    /// The last element, or `""` for `/`.
    public var lastElement: String {
        guard let slash = rawValue.lastIndex(of: "/") else { return rawValue }
        return String(rawValue[rawValue.index(after: slash)...])
    }

    public static func < (lhs: DBusObjectPath, rhs: DBusObjectPath) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension DBusObjectPath: ExpressibleByStringLiteral {
    /// A path written in source code. An invalid literal is a programming error and traps.
    public init(stringLiteral value: String) {
        precondition(DBusObjectPath.isValid(value), "invalid D-Bus object path literal '\(value)'")
        self.rawValue = value
    }
}

extension DBusObjectPath: CustomStringConvertible {
    public var description: String { rawValue }
}
