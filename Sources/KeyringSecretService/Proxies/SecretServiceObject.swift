import KeyringDBus

/// One interface of one object of the Secret Service daemon: the one place that addresses the
/// proxies' calls to `org.freedesktop.secrets`.
struct SecretServiceObject {
    let connection: DBusConnection
    let path: DBusObjectPath
    let interface: String

    /// Calls `member` and waits for the reply.
    func call(_ member: String, _ arguments: [DBusValue] = []) async throws -> DBusMessage {
        try await connection.call(
            destination: SecretServiceNames.busName, path: path, interface: interface, member: member, arguments: arguments)
    }

    /// Queues `member`; the reply is awaited separately.
    func startCall(_ member: String, _ arguments: [DBusValue] = []) throws -> DBusPendingReply {
        try connection.startCall(
            destination: SecretServiceNames.busName, path: path, interface: interface, member: member, arguments: arguments)
    }

    /// Sends `member` asking for no reply.
    func callNoReply(_ member: String, _ arguments: [DBusValue] = []) throws {
        try connection.callNoReply(
            destination: SecretServiceNames.busName, path: path, interface: interface, member: member, arguments: arguments)
    }

    /// One property of this interface.
    func property(_ name: String) async throws -> DBusValue {
        try await connection.property(name, interface: interface, path: path, destination: SecretServiceNames.busName)
    }

    /// Every property of this interface (`GetAll`).
    func allProperties() async throws -> [String: DBusValue] {
        try await connection.allProperties(interface: interface, path: path, destination: SecretServiceNames.busName)
    }

    /// Queues `Get` of one property of this interface; ``propertyResult(_:)`` reads the reply.
    func startProperty(_ name: String) throws -> DBusPendingReply {
        try connection.startCall(
            destination: SecretServiceNames.busName, path: path, interface: "org.freedesktop.DBus.Properties",
            member: "Get", arguments: [.string(interface), .string(name)])
    }

    /// The value of a `Get` reply, unwrapped from its variant.
    static func propertyResult(_ reply: DBusMessage) throws -> DBusValue {
        try reply.body(matching: "v")[0].asVariant()
    }

    /// Queues `GetAll` of this interface; ``allPropertiesResult(_:)`` reads the reply.
    func startAllProperties() throws -> DBusPendingReply {
        try connection.startCall(
            destination: SecretServiceNames.busName, path: path, interface: "org.freedesktop.DBus.Properties",
            member: "GetAll", arguments: [.string(interface)])
    }

    /// The `a{sv}` of a `GetAll` reply, values unwrapped from their variants.
    static func allPropertiesResult(_ reply: DBusMessage) throws -> [String: DBusValue] {
        try reply.body(matching: "a{sv}")[0].asVariantDictionary()
    }

    /// Writes one property of this interface.
    func setProperty(_ name: String, to value: DBusValue) async throws {
        try await connection.setProperty(
            name, to: value, interface: interface, path: path, destination: SecretServiceNames.busName)
    }
}
