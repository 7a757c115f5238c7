public import KeyringDBus
public import KeyringSystem

/// One stored secret with its attributes and label (`org.freedesktop.Secret.Item`).
public struct SecretItem: Sendable {
    let client: SecretServiceClient
    /// The item's object path.
    public let path: DBusObjectPath

    init(client: SecretServiceClient, path: DBusObjectPath) {
        self.client = client
        self.path = path
    }

    /// A handle on the item at `path`, without checking that it exists.
    public static func at(_ path: DBusObjectPath, client: SecretServiceClient) -> SecretItem {
        SecretItem(client: client, path: path)
    }

    private var what: String { SecretServiceClient.displayName(path) }

    /// The collection holding this item.
    public var collection: SecretCollection {
        let raw = path.rawValue
        let parent = raw[..<(raw.lastIndex(of: "/") ?? raw.endIndex)]
        return SecretCollection(client: client, path: (try? DBusObjectPath(String(parent))) ?? .root)
    }

    /// Everything about the item but its secret, in one round trip.
    public struct Info: Sendable, Hashable {
        public var label: String
        public var attributes: [String: String]
        public var isLocked: Bool
        /// Seconds since the Unix epoch.
        public var created: UInt64
        /// Seconds since the Unix epoch.
        public var modified: UInt64

        /// From the item's `GetAll`; a missing property is empty or zero.
        /// - Throws: ``DBusError`` `.typeMismatch` for a property of the wrong type.
        init(properties: [String: DBusValue]) throws(DBusError) {
            label = try properties["Label"]?.asString() ?? ""
            attributes = try properties["Attributes"]?.asStringDictionary() ?? [:]
            isLocked = try properties["Locked"]?.asBool() ?? false
            created = try properties["Created"]?.asUInt64() ?? 0
            modified = try properties["Modified"]?.asUInt64() ?? 0
        }
    }

    /// The item's properties (`GetAll`).
    /// - Throws: ``SecretServiceError`` `.noSuchObject` when it does not exist.
    public func info() async throws(SecretServiceError) -> Info {
        let properties = try await client.perform("reading \(what)") { state in
            try await ItemProxy(connection: state.connection, path: path).properties()
        }
        do {
            return try Info(properties: properties)
        } catch {
            throw SecretServiceError.translating(error, "reading \(what)")
        }
    }

    private func property(_ name: String) async throws(SecretServiceError) -> DBusValue {
        try await client.perform("reading \(name) of \(what)") { state in
            try await ItemProxy(connection: state.connection, path: path).property(name)
        }
    }

    private func setProperty(_ name: String, _ value: DBusValue) async throws(SecretServiceError) {
        try await client.perform("writing \(name) of \(what)") { state in
            try await ItemProxy(connection: state.connection, path: path).setProperty(name, value)
        }
    }

    /// The attributes (property `Attributes`). In a locked collection values may come back hashed.
    public func attributes() async throws(SecretServiceError) -> [String: String] {
        let value = try await property("Attributes")
        do { return try value.asStringDictionary() } catch {
            throw SecretServiceError.translating(error, "reading attributes of \(what)")
        }
    }

    /// Replaces the attributes (writes `Attributes`).
    public func setAttributes(_ attributes: [String: String]) async throws(SecretServiceError) {
        try await setProperty("Attributes", .stringDictionary(attributes))
    }

    /// The label (property `Label`).
    public func label() async throws(SecretServiceError) -> String {
        let value = try await property("Label")
        do { return try value.asString() } catch {
            throw SecretServiceError.translating(error, "reading the label of \(what)")
        }
    }

    /// Changes the label (writes `Label`).
    public func setLabel(_ label: String) async throws(SecretServiceError) {
        try await setProperty("Label", .string(label))
    }

    /// Whether the item is locked (property `Locked`).
    public func isLocked() async throws(SecretServiceError) -> Bool {
        let value = try await property("Locked")
        do { return try value.asBool() } catch {
            throw SecretServiceError.translating(error, "reading Locked of \(what)")
        }
    }

    /// Creation time, seconds since the Unix epoch.
    public func created() async throws(SecretServiceError) -> UInt64 {
        try await info().created
    }

    /// Last modification time, seconds since the Unix epoch.
    public func modified() async throws(SecretServiceError) -> UInt64 {
        try await info().modified
    }

    /// The secret, decrypted (`GetSecret`).
    /// - Throws: ``SecretServiceError`` `.locked` when the item is locked, `.noSuchObject` when it is gone.
    public func secret() async throws(SecretServiceError) -> Secret {
        try await client.perform("reading the secret of \(what)") { try await $0.secret(of: path) }
    }

    /// Replaces the secret and its content type (`SetSecret`).
    /// - Throws: ``SecretServiceError`` `.locked` when the item is locked.
    public func setSecret(_ secret: Secret) async throws(SecretServiceError) {
        try await client.perform("writing the secret of \(what)") { state in
            try await ItemProxy(connection: state.connection, path: path).setSecret(try await state.session().encode(secret))
        }
    }

    /// Deletes the item (`Delete`), completing a prompt if the daemon asks. When prompts are not
    /// allowed, the prompt still runs within the call timeout: KeePassXC returns one for every
    /// deletion, which asks nobody unless it is set to confirm them.
    /// - Throws: ``SecretServiceError``.
    public func delete() async throws(SecretServiceError) {
        let what = self.what
        try await client.perform("deleting \(what)") { state in
            let prompt = try await ItemProxy(connection: state.connection, path: path).delete()
            guard prompt != .root else { return }
            guard client.options.allowsPrompts else {
                // KeePassXC answers every Delete with a prompt, which asks nobody unless it is set
                // to confirm deletions: run it within the call timeout; one that does not end by
                // then is a prompt somebody would have to answer.
                do {
                    _ = try await client.prompt(prompt, state).complete(timeout: client.options.callTimeout)
                } catch let error as SecretServiceError where error.code == .promptTimedOut {
                    throw SecretServiceError(
                        .promptRequired,
                        "deleting \(what) needs a prompt that nobody answered within \(client.options.callTimeout) "
                            + "(KeePassXC asks to confirm deletions unless that is turned off), and prompts are disabled",
                        underlying: error.underlying)
                }
                return
            }
            _ = try await client.prompt(prompt, state).complete()
        }
    }
}

extension SecretItem: Hashable {
    public static func == (lhs: SecretItem, rhs: SecretItem) -> Bool { lhs.path == rhs.path }
    public func hash(into hasher: inout Hasher) { hasher.combine(path) }
}
