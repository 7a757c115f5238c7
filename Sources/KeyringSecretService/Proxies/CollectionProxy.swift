import KeyringDBus

/// Raw calls on one `org.freedesktop.Secret.Collection` object.
struct CollectionProxy {
    let connection: DBusConnection
    let path: DBusObjectPath

    private var object: SecretServiceObject {
        SecretServiceObject(connection: connection, path: path, interface: SecretServiceNames.collectionInterface)
    }

    private func call(_ member: String, _ arguments: [DBusValue]) async throws -> DBusMessage {
        try await object.call(member, arguments)
    }

    /// `Delete() -> o prompt`.
    func delete() async throws -> DBusObjectPath {
        try await call("Delete", []).body(matching: "o")[0].asObjectPath()
    }

    /// `SearchItems(a{ss}) -> ao`.
    func searchItems(_ attributes: [String: String]) async throws -> [DBusObjectPath] {
        try await call("SearchItems", [.stringDictionary(attributes)]).body(matching: "ao")[0].asObjectPaths()
    }

    /// `CreateItem(a{sv} properties, (oayays) secret, b replace) -> (o item, o prompt)`.
    func createItem(properties: [String: DBusValue], secret: DBusValue, replace: Bool) async throws -> (
        item: DBusObjectPath, prompt: DBusObjectPath
    ) {
        let body = try await call("CreateItem", [.variantDictionary(properties), secret, .boolean(replace)]).body(matching: "oo")
        return (try body[0].asObjectPath(), try body[1].asObjectPath())
    }

    /// `GetAll` of the collection's properties.
    func properties() async throws -> [String: DBusValue] {
        try await object.allProperties()
    }

    /// One property (`Items`, `Label`, `Locked`, `Created`, `Modified`).
    func property(_ name: String) async throws -> DBusValue {
        try await object.property(name)
    }

    /// Writes `Label`.
    func setLabel(_ label: String) async throws {
        try await object.setProperty("Label", to: .string(label))
    }
}
