/// A D-Bus match rule for signals: the bus filters on it (`AddMatch`), and the connection uses it
/// again to route each signal to the streams that asked for it.
public struct DBusMatchRule: Sendable, Hashable {
    /// Only messages from this sender, compared exactly with the sender the bus stamped on each
    /// signal. ``DBusConnection/signals(matching:)`` replaces a well-known name (other than the
    /// bus's own, ``busName``) with the unique name of its owner when it subscribes, so a signal
    /// is believed only from the connection that owned the name then: any other client on the bus
    /// can send a signal with the same path, interface and member, unicast or broadcast.
    public var sender: String?
    public var interface: String?
    public var member: String?
    public var path: DBusObjectPath?
    /// Messages whose path equals this one or lies below it.
    public var pathNamespace: DBusObjectPath?
    /// String arguments that must match, by index (`arg0='...'`).
    public var arguments: [Int: String]

    /// A rule for signals; every `nil` field matches anything.
    public init(
        sender: String? = nil, interface: String? = nil, member: String? = nil, path: DBusObjectPath? = nil,
        pathNamespace: DBusObjectPath? = nil, arguments: [Int: String] = [:]
    ) {
        self.sender = sender
        self.interface = interface
        self.member = member
        self.path = path
        self.pathNamespace = pathNamespace
        self.arguments = arguments
    }

    /// The name the bus itself sends its signals from (`NameOwnerChanged`, `NameAcquired`); no
    /// client can send a message with this sender.
    public static let busName = "org.freedesktop.DBus"

    /// The rule text for `org.freedesktop.DBus.AddMatch`.
    public var text: String {
        var parts = ["type='signal'"]
        func add(_ key: String, _ value: String?) {
            guard let value else { return }
            // Inside quotes only the apostrophe needs care: close, escape, reopen.
            parts.append("\(key)='\(value.replacingApostrophes())'")
        }
        add("sender", sender)
        add("interface", interface)
        add("member", member)
        add("path", path?.rawValue)
        add("path_namespace", pathNamespace?.rawValue)
        for (index, value) in arguments.sorted(by: { $0.key < $1.key }) { add("arg\(index)", value) }
        return parts.joined(separator: ",")
    }

    /// Checks names and argument indexes before the rule reaches the bus.
    /// - Throws: ``DBusError`` `.invalidArgument`.
    func validate() throws(DBusError) {
        if let sender, !DBusNames.isValidBusName(sender) { throw DBusError(.invalidArgument, "invalid sender '\(sender)'") }
        if let interface, !DBusNames.isValidInterface(interface) {
            throw DBusError(.invalidArgument, "invalid interface name '\(interface)'")
        }
        if let member, !DBusNames.isValidMember(member) { throw DBusError(.invalidArgument, "invalid member '\(member)'") }
        for (index, value) in arguments {
            guard (0...63).contains(index) else { throw DBusError(.invalidArgument, "argument index \(index) out of 0...63") }
            if value.utf8.contains(0) { throw DBusError(.invalidArgument, "match values cannot contain NUL") }
        }
    }

    /// Whether a received signal satisfies this rule. The sender is compared exactly: a rule that
    /// names a well-known name other than ``busName`` matches nothing until
    /// ``DBusConnection/signals(matching:)`` has pinned it to the name's owner.
    public func matches(_ message: DBusMessage) -> Bool {
        guard message.kind == .signal else { return false }
        if let sender, message.sender != sender { return false }
        if let interface, message.interface != interface { return false }
        if let member, message.member != member { return false }
        if let path, message.path != path { return false }
        if let pathNamespace {
            guard let messagePath = message.path, messagePath.isDescendant(of: pathNamespace) else { return false }
        }
        for (index, value) in arguments {
            guard index < message.body.count, case .string(let actual) = message.body[index], actual == value else {
                return false
            }
        }
        return true
    }
}

extension String {
    fileprivate func replacingApostrophes() -> String {
        guard contains("'") else { return self }
        return split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''")
    }
}
