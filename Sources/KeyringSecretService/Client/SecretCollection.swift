public import KeyringDBus
public import KeyringSystem

/// A collection of items (`org.freedesktop.Secret.Collection`), such as `login`.
public struct SecretCollection: Sendable {
    let client: SecretServiceClient
    /// The collection's object path.
    public let path: DBusObjectPath

    init(client: SecretServiceClient, path: DBusObjectPath) {
        self.client = client
        self.path = path
    }

    /// A handle on the collection at `path`, without checking that it exists.
    public static func at(_ path: DBusObjectPath, client: SecretServiceClient) -> SecretCollection {
        SecretCollection(client: client, path: path)
    }

    /// The last path element (`login`), which is what the daemon calls the collection.
    public var name: String { path.lastElement }

    private var what: String { SecretServiceClient.displayName(path) }

    /// Everything about the collection in one round trip.
    public struct Info: Sendable, Hashable {
        public var label: String
        public var isLocked: Bool
        /// Seconds since the Unix epoch.
        public var created: UInt64
        /// Seconds since the Unix epoch.
        public var modified: UInt64
        public var items: [DBusObjectPath]
    }

    /// The collection's properties (`GetAll`).
    /// - Throws: ``SecretServiceError`` `.noSuchObject` when it does not exist.
    public func info() async throws(SecretServiceError) -> Info {
        let properties = try await client.perform("reading \(what)") { state in
            try await CollectionProxy(connection: state.connection, path: path).properties()
        }
        do {
            return Info(
                label: try properties["Label"]?.asString() ?? "",
                isLocked: try properties["Locked"]?.asBool() ?? false,
                created: try properties["Created"]?.asUInt64() ?? 0,
                modified: try properties["Modified"]?.asUInt64() ?? 0,
                items: try properties["Items"]?.asObjectPaths() ?? [])
        } catch {
            throw SecretServiceError.translating(error, "reading \(what)")
        }
    }

    /// The label (property `Label`).
    public func label() async throws(SecretServiceError) -> String {
        try await property("Label") { try $0.asString() }
    }

    /// Renames the collection (writes `Label`).
    /// - Throws: ``SecretServiceError``.
    public func setLabel(_ label: String) async throws(SecretServiceError) {
        try await client.perform("renaming \(what)") { state in
            try await CollectionProxy(connection: state.connection, path: path).setLabel(label)
        }
    }

    /// Whether the collection is locked (property `Locked`).
    public func isLocked() async throws(SecretServiceError) -> Bool {
        try await property("Locked") { try $0.asBool() }
    }

    /// Creation time, seconds since the Unix epoch (property `Created`).
    public func created() async throws(SecretServiceError) -> UInt64 {
        try await property("Created") { try $0.asUInt64() }
    }

    /// Last modification time, seconds since the Unix epoch (property `Modified`).
    public func modified() async throws(SecretServiceError) -> UInt64 {
        try await property("Modified") { try $0.asUInt64() }
    }

    /// The items (property `Items`).
    public func items() async throws(SecretServiceError) -> [SecretItem] {
        try await property("Items") { try $0.asObjectPaths() }.map { SecretItem(client: client, path: $0) }
    }

    /// Property `name`, converted by `read` (whose type mismatch is the daemon's protocol violation).
    private func property<T: Sendable>(_ name: String, _ read: @Sendable (DBusValue) throws -> T) async throws(SecretServiceError)
        -> T
    {
        try await client.perform("reading \(name) of \(what)") { state in
            try read(try await CollectionProxy(connection: state.connection, path: path).property(name))
        }
    }

    /// Items in this collection whose attributes include `attributes` (`SearchItems`).
    /// - Throws: ``SecretServiceError``.
    public func searchItems(_ attributes: [String: String]) async throws(SecretServiceError) -> [SecretItem] {
        try await client.perform("searching \(what)") { state in
            try await CollectionProxy(connection: state.connection, path: path).searchItems(attributes)
        }.map { SecretItem(client: client, path: $0) }
    }

    /// Creates an item (`CreateItem`).
    ///
    /// With `replace: true`, gnome-keyring replaces the first item whose attributes merely
    /// *contain* these ones and rewrites its attributes; ``store(label:attributes:secret:)`` is the
    /// safe way to update one entry. A prompt that `CreateItem` returns for an unlocked
    /// collection (KeePassXC returns one every time) asks nobody, and is completed even when
    /// prompts are not allowed, within the call timeout.
    /// - Throws: ``SecretServiceError`` `.locked` when the collection is locked.
    @discardableResult
    public func createItem(label: String, attributes: [String: String], secret: Secret, replace: Bool = false)
        async throws(SecretServiceError)
        -> SecretItem
    {
        let collectionPath = path
        let itemPath = try await client.perform("creating an item in \(what)") { state -> DBusObjectPath in
            let (item, prompt) = try await CollectionProxy(connection: state.connection, path: collectionPath).createItem(
                properties: [
                    "org.freedesktop.Secret.Item.Label": .string(label),
                    "org.freedesktop.Secret.Item.Attributes": .stringDictionary(attributes),
                ],
                secret: try await state.session().encode(secret), replace: replace)
            guard item == .root else { return item }
            // KeePassXC answers every CreateItem with a prompt, which unlocks the collection if
            // needed and then creates the item: in an unlocked collection it asks nobody, so it
            // runs whatever the prompt policy (within the call timeout).
            if !client.options.allowsPrompts && !replace && prompt != .root,
                try await CollectionProxy(connection: state.connection, path: collectionPath).property("Locked").asBool()
                    == false
            {
                let result = try await client.prompt(prompt, state).complete(timeout: client.options.callTimeout)
                return try result.asObjectPath()
            }
            let result = try await client.completePrompt(
                prompt, state,
                refusal: SecretServiceError(
                    .promptRequired, "creating an item in \(what) needs a prompt, and prompts are disabled"))
            return try result?.asObjectPath() ?? .root
        }
        guard itemPath != .root else { throw SecretServiceError(.failed, "creating an item in \(what) returned no item") }
        return SecretItem(client: client, path: itemPath)
    }

    /// ``createItem(label:attributes:secret:replace:)`` that leaves nothing behind when it fails.
    ///
    /// KWallet makes the item before it decrypts the secret, so a write that fails there leaves
    /// an item with an empty secret. After a failure, every item that now matches `attributes`
    /// exactly (``exactMatches(_:)``), was not in `existing`, and holds an empty secret is deleted;
    /// what was there before is never touched. Costs nothing unless the creation fails; then the
    /// clean-up runs on a new connection (a new session), within the client's call timeouts.
    /// - Parameter existing: what a search for `attributes` found just before.
    /// - Throws: ``SecretServiceError``: the creation's failure.
    @discardableResult
    public func createItem(label: String, attributes: [String: String], secret: Secret, existing: [SecretItem])
        async throws(SecretServiceError) -> SecretItem
    {
        do {
            return try await createItem(label: label, attributes: attributes, secret: secret)
        } catch {
            // On a connection of its own: the failure may have been this session's (KWallet could
            // not decrypt with it), and so would the reading of what was left.
            let cleaner = SecretServiceClient(options: client.options)
            let before = Set(existing.map(\.path))
            let collection = SecretCollection(client: cleaner, path: path)
            if let found = try? await collection.searchItems(attributes),
                let left = try? await collection.exact(found.filter { !before.contains($0.path) }, attributes)
            {
                for item in left {
                    guard let value = try? await item.secret(), value.count == 0 else { continue }
                    try? await item.delete()
                }
            }
            await cleaner.close()
            throw error
        }
    }

    /// Creates the item with exactly these attributes, or updates the one(s) that already have
    /// exactly these attributes (secret and label), leaving items with more or fewer attributes
    /// alone. A failed creation leaves nothing behind (``createItem(label:attributes:secret:existing:)``).
    /// - Returns: the item written.
    /// - Throws: ``SecretServiceError``.
    @discardableResult
    public func store(label: String, attributes: [String: String], secret: Secret) async throws(SecretServiceError) -> SecretItem
    {
        let found = try await searchItems(attributes)
        let exact = try await exact(found, attributes)
        guard !exact.isEmpty else {
            return try await createItem(label: label, attributes: attributes, secret: secret, existing: found)
        }
        for item in exact {
            try await item.setSecret(secret)
            if try await item.label() != label { try await item.setLabel(label) }
        }
        return exact[0]
    }

    /// Items in this collection whose attribute set equals `attributes` exactly. Attributes the
    /// daemon added by itself are ignored unless `attributes` names them: an `xdg:schema`
    /// (gnome-keyring adds one to items stored without), and the entry fields KeePassXC shows
    /// as attributes of every item (`Title`, `UserName`, `URL`, `Notes`, `Uuid`, `Path`, all six).
    /// - Throws: ``SecretServiceError``.
    public func exactMatches(_ attributes: [String: String]) async throws(SecretServiceError) -> [SecretItem] {
        try await exact(try await searchItems(attributes), attributes)
    }

    /// What KeePassXC 2.7 adds to the attributes of every item it serves: its entry's fields.
    static let keepassxcFields = ["Title", "UserName", "URL", "Notes", "Uuid", "Path"]

    /// Those of `items` whose attribute set is `attributes` (as ``exactMatches(_:)`` says).
    private func exact(_ items: [SecretItem], _ attributes: [String: String]) async throws(SecretServiceError) -> [SecretItem] {
        var exact: [SecretItem] = []
        for item in items {
            var found = try await item.attributes()
            if attributes["xdg:schema"] == nil { found["xdg:schema"] = nil }
            if Self.keepassxcFields.allSatisfy({ found[$0] != nil }) {
                for field in Self.keepassxcFields where attributes[field] == nil { found[field] = nil }
            }
            if found == attributes { exact.append(item) }
        }
        return exact
    }

    /// Deletes the collection and its items (`Delete`), completing a prompt if the daemon asks.
    /// - Throws: ``SecretServiceError``.
    public func delete() async throws(SecretServiceError) {
        try await client.perform("deleting \(what)") { state in
            let prompt = try await CollectionProxy(connection: state.connection, path: path).delete()
            _ = try await client.completePrompt(
                prompt, state,
                refusal: SecretServiceError(
                    .promptRequired, "deleting \(what) needs a prompt, and prompts are disabled"))
        }
    }

    /// Locks the collection.
    public func lock() async throws(SecretServiceError) {
        try await client.lock([path])
    }

    /// Unlocks the collection, prompting if the policy allows.
    public func unlock() async throws(SecretServiceError) {
        try await client.unlock([path])
    }
}

extension SecretCollection: Hashable {
    public static func == (lhs: SecretCollection, rhs: SecretCollection) -> Bool { lhs.path == rhs.path }
    public func hash(into hasher: inout Hasher) { hasher.combine(path) }
}
