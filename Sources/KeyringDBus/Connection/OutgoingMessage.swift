/// A message to send, described in Swift values; the connection's thread turns it into a libdbus
/// message. Every name and value is validated before it is queued.
struct OutgoingMessage: Sendable {
    var kind: DBusMessage.Kind
    var destination: String?
    var path: DBusObjectPath?
    var interface: String?
    var member: String?
    var errorName: String?
    var replySerial: UInt32?
    var noReplyExpected = false
    var body: [DBusValue]

    static func methodCall(
        destination: String?, path: DBusObjectPath, interface: String?, member: String, body: [DBusValue]
    ) throws(DBusError) -> OutgoingMessage {
        if let destination, !DBusNames.isValidBusName(destination) {
            throw DBusError(.invalidArgument, "invalid bus name '\(destination)'")
        }
        if let interface, !DBusNames.isValidInterface(interface) {
            throw DBusError(.invalidArgument, "invalid interface name '\(interface)'")
        }
        guard DBusNames.isValidMember(member) else {
            throw DBusError(.invalidArgument, "invalid member name '\(member)'")
        }
        for value in body { try value.validate() }
        return OutgoingMessage(
            kind: .methodCall, destination: destination, path: path, interface: interface, member: member,
            body: body)
    }

    static func signal(
        path: DBusObjectPath, interface: String, member: String, destination: String?, body: [DBusValue]
    ) throws(DBusError) -> OutgoingMessage {
        guard path != "/org/freedesktop/DBus/Local" else {
            throw DBusError(.invalidArgument, "signals on /org/freedesktop/DBus/Local are reserved")
        }
        var message = try methodCall(
            destination: destination, path: path, interface: interface, member: member, body: body)
        message.kind = .signal
        return message
    }

    static func methodReturn(to call: DBusMessage, body: [DBusValue]) throws(DBusError) -> OutgoingMessage {
        for value in body { try value.validate() }
        return OutgoingMessage(kind: .methodReturn, destination: call.sender, replySerial: call.serial, body: body)
    }

    static func error(to call: DBusMessage, name: String, message: String) -> OutgoingMessage {
        let validName = DBusNames.isValidErrorName(name) ? name : DBusError.Name.failed
        let text = message.utf8.contains(0) ? String(message.split(separator: "\0").joined()) : message
        return OutgoingMessage(
            kind: .error, destination: call.sender, errorName: validName, replySerial: call.serial,
            body: [.string(text)])
    }

    /// "Service.Member on /path", for error messages.
    var summary: String {
        let target = [interface, member].compactMap { $0 }.joined(separator: ".")
        return "\(target) on \(path?.rawValue ?? "?")" + (destination.map { " at \($0)" } ?? "")
    }
}
