extension DBusConnection {
    private static let propertiesInterface = "org.freedesktop.DBus.Properties"

    /// Reads one property (`org.freedesktop.DBus.Properties.Get`).
    /// - Returns: the value inside the reply's variant.
    /// - Throws: ``DBusError`` (`.typeMismatch` when the reply is not a variant).
    public func property(
        _ name: String, interface: String, path: DBusObjectPath, destination: String?, timeout: Duration? = nil
    ) async throws(DBusError) -> DBusValue {
        let reply = try await call(
            destination: destination, path: path, interface: Self.propertiesInterface, member: "Get",
            arguments: [.string(interface), .string(name)], timeout: timeout)
        return try reply.body(matching: "v")[0].asVariant()
    }

    /// Reads every property of an interface (`org.freedesktop.DBus.Properties.GetAll`).
    /// - Throws: ``DBusError``.
    public func allProperties(
        interface: String, path: DBusObjectPath, destination: String?, timeout: Duration? = nil
    ) async throws(DBusError) -> [String: DBusValue] {
        let reply = try await call(
            destination: destination, path: path, interface: Self.propertiesInterface, member: "GetAll",
            arguments: [.string(interface)], timeout: timeout)
        return try reply.body(matching: "a{sv}")[0].asVariantDictionary()
    }

    /// Writes one property (`org.freedesktop.DBus.Properties.Set`).
    /// - Throws: ``DBusError``.
    public func setProperty(
        _ name: String, to value: DBusValue, interface: String, path: DBusObjectPath, destination: String?,
        timeout: Duration? = nil
    ) async throws(DBusError) {
        try await call(
            destination: destination, path: path, interface: Self.propertiesInterface, member: "Set",
            arguments: [.string(interface), .string(name), .variant(value)], timeout: timeout)
    }
}
