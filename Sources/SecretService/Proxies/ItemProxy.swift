import DBus

/// Raw calls on one `org.freedesktop.Secret.Item` object.
struct ItemProxy {
    let connection: DBusConnection
    let path: DBusObjectPath

    private func call(_ member: String, _ arguments: [DBusValue]) async throws -> DBusMessage {
        try await connection.call(
            destination: SecretServiceNames.busName, path: path, interface: SecretServiceNames.itemInterface,
            member: member, arguments: arguments)
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
        try await connection.allProperties(
            interface: SecretServiceNames.itemInterface, path: path, destination: SecretServiceNames.busName)
    }

    /// One property (`Attributes`, `Label`, `Locked`, `Created`, `Modified`).
    func property(_ name: String) async throws -> DBusValue {
        try await connection.property(
            name, interface: SecretServiceNames.itemInterface, path: path, destination: SecretServiceNames.busName)
    }

    /// Writes a property (`Label` or `Attributes`).
    func setProperty(_ name: String, _ value: DBusValue) async throws {
        try await connection.setProperty(
            name, to: value, interface: SecretServiceNames.itemInterface, path: path, destination: SecretServiceNames.busName)
    }
}
