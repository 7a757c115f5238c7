import KeyringDBus

/// Raw calls on `org.freedesktop.Secret.Service` at `/org/freedesktop/secrets`, and gnome-keyring's
/// prompt-free extension on the same object. Swift types in and out; no policy.
struct ServiceProxy {
    let connection: DBusConnection

    private func object(_ interface: String = SecretServiceNames.serviceInterface) -> SecretServiceObject {
        SecretServiceObject(connection: connection, path: SecretServiceNames.servicePath, interface: interface)
    }

    private func call(_ member: String, _ arguments: [DBusValue], interface: String = SecretServiceNames.serviceInterface)
        async throws -> DBusMessage
    {
        try await object(interface).call(member, arguments)
    }

    /// `OpenSession(s algorithm, v input) -> (v output, o result)`.
    func openSession(algorithm: String, input: DBusValue) async throws -> (output: DBusValue, session: DBusObjectPath) {
        try Self.openSessionResult(await startOpenSession(algorithm: algorithm, input: input).reply())
    }

    /// Starts reading property `Collections` (`org.freedesktop.DBus.Properties.Get`); the reply
    /// is awaited separately.
    func startCollectionsRead() throws -> DBusPendingReply {
        try object("org.freedesktop.DBus.Properties").startCall(
            "Get", [.string(SecretServiceNames.serviceInterface), .string("Collections")])
    }

    /// Sends `OpenSession` without waiting for the reply; ``openSessionResult(_:)`` reads it.
    func startOpenSession(algorithm: String, input: DBusValue) throws -> DBusPendingReply {
        try object().startCall("OpenSession", [.string(algorithm), .variant(input)])
    }

    /// The `(v output, o result)` of an `OpenSession` reply.
    static func openSessionResult(_ reply: DBusMessage) throws -> (output: DBusValue, session: DBusObjectPath) {
        let body = try reply.body(matching: "vo")
        return (try body[0].asVariant(), try body[1].asObjectPath())
    }

    /// `CreateCollection(a{sv} properties, s alias) -> (o collection, o prompt)`.
    func createCollection(properties: [String: DBusValue], alias: String) async throws -> (
        collection: DBusObjectPath, prompt: DBusObjectPath
    ) {
        let body = try await call("CreateCollection", [.variantDictionary(properties), .string(alias)]).body(matching: "oo")
        return (try body[0].asObjectPath(), try body[1].asObjectPath())
    }

    /// `SearchItems(a{ss}) -> (ao unlocked, ao locked)`.
    func searchItems(_ attributes: [String: String]) async throws -> (unlocked: [DBusObjectPath], locked: [DBusObjectPath]) {
        try Self.searchItemsResult(await startSearchItems(attributes).reply())
    }

    /// Sends `SearchItems` without waiting for the reply; ``searchItemsResult(_:)`` reads it.
    func startSearchItems(_ attributes: [String: String]) throws -> DBusPendingReply {
        try object().startCall("SearchItems", [.stringDictionary(attributes)])
    }

    /// The `(ao unlocked, ao locked)` of a `SearchItems` reply.
    static func searchItemsResult(
        _ reply: DBusMessage
    ) throws -> (unlocked: [DBusObjectPath], locked: [DBusObjectPath]) {
        let body = try reply.body(matching: "aoao")
        return (try body[0].asObjectPaths(), try body[1].asObjectPaths())
    }

    /// `Unlock(ao) -> (ao unlocked, o prompt)`.
    func unlock(_ objects: [DBusObjectPath]) async throws -> (done: [DBusObjectPath], prompt: DBusObjectPath) {
        let body = try await call("Unlock", [.objectPaths(objects)]).body(matching: "aoo")
        return (try body[0].asObjectPaths(), try body[1].asObjectPath())
    }

    /// `Lock(ao) -> (ao locked, o prompt)`.
    func lock(_ objects: [DBusObjectPath]) async throws -> (done: [DBusObjectPath], prompt: DBusObjectPath) {
        let body = try await call("Lock", [.objectPaths(objects)]).body(matching: "aoo")
        return (try body[0].asObjectPaths(), try body[1].asObjectPath())
    }

    /// `GetSecrets(ao items, o session) -> a{o(oayays)}`.
    func getSecrets(_ items: [DBusObjectPath], session: DBusObjectPath) async throws -> [DBusDictionaryEntry] {
        try await call("GetSecrets", [.objectPaths(items), .objectPath(session)]).body(matching: "a{o(oayays)}")[0]
            .asDictionaryEntries()
    }

    /// `ReadAlias(s) -> o` (`/` when the alias is not set).
    func readAlias(_ name: String) async throws -> DBusObjectPath {
        try Self.readAliasResult(await startReadAlias(name).reply())
    }

    /// Sends `ReadAlias` without waiting for the reply; ``readAliasResult(_:)`` reads it.
    func startReadAlias(_ name: String) throws -> DBusPendingReply {
        try object().startCall("ReadAlias", [.string(name)])
    }

    /// The `o` of a `ReadAlias` reply (`/` when the alias names no collection).
    static func readAliasResult(_ reply: DBusMessage) throws -> DBusObjectPath {
        try reply.body(matching: "o")[0].asObjectPath()
    }

    /// `SetAlias(s, o)` (`/` removes the alias).
    func setAlias(_ name: String, collection: DBusObjectPath) async throws {
        _ = try await call("SetAlias", [.string(name), .objectPath(collection)])
    }

    /// Property `Collections ao`.
    func collections() async throws -> [DBusObjectPath] {
        try await object().property("Collections").asObjectPaths()
    }

    // MARK: gnome-keyring's prompt-free extension

    /// `CreateWithMasterPassword(a{sv} properties, (oayays) password) -> o`.
    func createWithMasterPassword(properties: [String: DBusValue], password: DBusValue) async throws -> DBusObjectPath {
        try await call(
            "CreateWithMasterPassword", [.variantDictionary(properties), password],
            interface: SecretServiceNames.gnomeInternalInterface
        ).body(matching: "o")[0].asObjectPath()
    }

    /// `UnlockWithMasterPassword(o collection, (oayays) password)`.
    func unlockWithMasterPassword(_ collection: DBusObjectPath, password: DBusValue) async throws {
        _ = try await call(
            "UnlockWithMasterPassword", [.objectPath(collection), password], interface: SecretServiceNames.gnomeInternalInterface)
    }

    /// `ChangeWithMasterPassword(o collection, (oayays) old, (oayays) new)`.
    func changeWithMasterPassword(_ collection: DBusObjectPath, old: DBusValue, new: DBusValue) async throws {
        _ = try await call(
            "ChangeWithMasterPassword", [.objectPath(collection), old, new],
            interface: SecretServiceNames.gnomeInternalInterface)
    }
}
