import KeyringDBus

/// Raw calls on one `org.freedesktop.Secret.Item` object.
struct ItemProxy {
    let connection: DBusConnection
    let path: DBusObjectPath

    private var object: SecretServiceObject {
        SecretServiceObject(connection: connection, path: path, interface: SecretServiceNames.itemInterface)
    }

    private func call(_ member: String, _ arguments: [DBusValue]) async throws -> DBusMessage {
        try await object.call(member, arguments)
    }

    /// `Delete() -> o prompt`.
    func delete() async throws -> DBusObjectPath {
        try await call("Delete", []).body(matching: "o")[0].asObjectPath()
    }

    /// `GetSecret(o session) -> (oayays)`.
    func getSecret(session: DBusObjectPath) async throws -> DBusValue {
        try await call("GetSecret", [.objectPath(session)]).body(matching: "(oayays)")[0]
    }

    /// `SetSecret((oayays))`.
    func setSecret(_ secret: DBusValue) async throws {
        _ = try await call("SetSecret", [secret])
    }

    /// `GetAll` of the item's properties.
    func properties() async throws -> [String: DBusValue] {
        try await object.allProperties()
    }

    /// Queues `GetAll` of the item's properties; ``SecretServiceObject/allPropertiesResult(_:)`` reads the reply.
    func startProperties() throws -> DBusPendingReply {
        try object.startAllProperties()
    }

    /// One property (`Attributes`, `Label`, `Locked`, `Created`, `Modified`).
    func property(_ name: String) async throws -> DBusValue {
        try await object.property(name)
    }

    /// Writes a property (`Label` or `Attributes`).
    func setProperty(_ name: String, _ value: DBusValue) async throws {
        try await object.setProperty(name, to: value)
    }
}
