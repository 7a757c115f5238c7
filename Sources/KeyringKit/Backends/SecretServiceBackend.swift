public import KeyringSecretService
public import KeyringSystem

/// The Secret Service backend: gnome-keyring, KWallet, KeePassXC over D-Bus.
///
/// Writes `service`, `username`, `application` and its own `xdg:schema` into the default
/// collection with the label Python keyring uses (`Password for 'USER' on 'SERVICE'`), so Python
/// keyring, go-keyring and keyring-rs read what it stores. Reads by `{service, username}` across
/// collections, so it finds what they (and `secret-tool`) stored. Updates items in place instead of
/// creating duplicates. A keyring is a collection, named by its path element (`login`) or label.
public struct SecretServiceBackend: KeyringBackend {
    public var name: String { "secret-service" }

    /// The `xdg:schema` this backend writes. Readers that ignore schemas (Python keyring,
    /// go-keyring, keyring-rs) still find the items.
    public static let schema = "org.swiftkeyring.Password"

    /// The client, shared by every call (one connection, one session).
    public let client: SecretServiceClient
    /// The `application` attribute written with each item.
    public let application: String

    /// A backend over `client`.
    /// - Parameters:
    ///   - client: the Secret Service client; its options decide the bus and the prompt policy.
    ///   - application: the `application` attribute to write.
    public init(client: SecretServiceClient = SecretServiceClient(), application: String = "swift-keyring") {
        self.client = client
        self.application = application
    }

    /// Closes the client's connection once the daemon has answered what it must
    /// (`SecretServiceClient.close()`); the next call reconnects.
    public func close() async {
        await client.close()
    }

    private static func lookupAttributes(service: String, account: String) -> [String: String] {
        KeyringEntry.standardAttributes(service: service, account: account)
    }

    private func writeAttributes(service: String, account: String) -> [String: String] {
        var attributes = Self.lookupAttributes(service: service, account: account)
        attributes["application"] = application
        attributes["xdg:schema"] = Self.schema
        return attributes
    }

    // MARK: Entries

    public func get(service: String, account: String, keyring: String?) async throws(KeyringError) -> Secret? {
        try EntryValidation.check(service: service, account: account)
        return try await translating("reading \(service)/\(account)") {
            let attributes = Self.lookupAttributes(service: service, account: account)
            if let keyring {
                let collection = try await collection(named: keyring)
                var found = try await collection.searchItems(attributes).first
                if found == nil, try await unlockHiding([collection]) {
                    found = try await collection.searchItems(attributes).first
                }
                guard let item = found else { return nil }
                if try await item.isLocked() { try await collection.unlock() }
                return Self.normalized(try await item.secret())
            }
            // Across collections, preferring the default one (what other programs stored elsewhere is found).
            if let secret = try await client.lookup(attributes) { return Self.normalized(secret) }
            guard try await unlockHiding(nil) else { return nil }
            return try await client.lookup(attributes).map(Self.normalized)
        }
    }

    /// Unlocks the locked collections among `collections` (every one for `nil`) whose items the
    /// server hides while they are locked (KeePassXC: `SecretServiceClient.lockedCollectionsHidingItems(among:)`),
    /// as the prompt policy allows.
    /// - Returns: whether there were any (and they are now unlocked).
    /// - Throws: `SecretServiceError` `.locked` when unlocking needs a prompt that is not allowed,
    ///   `.promptDismissed`: a locked keyring is reported as locked, not as "no such entry".
    func unlockHiding(_ collections: [SecretCollection]?) async throws -> Bool {
        let hidden = try await client.lockedCollectionsHidingItems(among: collections)
        guard !hidden.isEmpty else { return false }
        try await client.unlock(hidden.map(\.path))
        return true
    }

    /// The secret as it goes to the server: `text/*` only for what every server keeps as sent,
    /// UTF-8 without NUL. KWallet keeps a `text/*` secret as a string cut at its first NUL
    /// (`a\0b` comes back as `a`); as `application/octet-stream` it keeps the bytes.
    static func wireSecret(_ secret: Secret) -> Secret {
        guard secret.contentType.hasPrefix("text/") else { return secret }
        let isPlainText = secret.withUnsafeBytes { raw in
            !raw.contains(0) && String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) != nil
        }
        return isPlainText ? secret : Secret(secureBytes: secret.bytes, contentType: Secret.binaryContentType)
    }

    /// A write's failure, said plainly when the server refused bytes that are not UTF-8:
    /// pass-secret-service keeps secrets as text and fails on anything else, with a Python
    /// exception for an error (`org.freedesktop.DBus.Python.UnicodeDecodeError` or the like).
    static func writeFailure(_ error: SecretServiceError, secret: Secret, what: String) -> any Error {
        guard error.code == .failed, secret.stringValue == nil else { return error }
        return KeyringError(
            .unsupported,
            "\(what): the Secret Service refused the secret, \(secret.count) bytes that are not UTF-8 text; this server "
                + "keeps only text (pass-secret-service does), so nothing was stored and nothing stored before was changed",
            underlying: error)
    }

    /// gnome-keyring 42 keeps no content type and answers `text/plain` for everything: bytes
    /// that are not UTF-8 are reported as `application/octet-stream` instead.
    static func normalized(_ secret: Secret) -> Secret {
        guard secret.contentType.hasPrefix("text/plain"), secret.stringValue == nil else { return secret }
        return Secret(secureBytes: secret.bytes, contentType: Secret.binaryContentType)
    }

    public func set(_ secret: Secret, service: String, account: String, keyring: String?, label: String?)
        async throws(KeyringError)
    {
        try EntryValidation.check(service: service, account: account)
        let what = "storing \(service)/\(account)"
        let secret = Self.wireSecret(secret)
        try await translating(what) {
            let collection = try await collection(for: keyring)
            if try await collection.isLocked() { try await collection.unlock() }
            let label = label ?? KeyringEntry.defaultLabel(service: service, account: account)
            // Update what any program stored for this service and account, in place.
            let attributes = Self.lookupAttributes(service: service, account: account)
            for attempt in 1... {
                let existing = try await collection.searchItems(attributes)
                if existing.isEmpty {
                    do {
                        // Nothing is left behind when this fails (KWallet makes the item first).
                        try await collection.createItem(
                            label: label, attributes: writeAttributes(service: service, account: account), secret: secret,
                            existing: [])
                    } catch let error as SecretServiceError {
                        throw Self.writeFailure(error, secret: secret, what: what)
                    }
                    try await Self.settleConcurrentCreations(of: attributes, in: collection)
                    return
                }
                do {
                    // Of items made by racing writers, the first in creation order is the one
                    // every writer keeps (settleConcurrentCreations); another may vanish under
                    // this loop, which is then no reason to search again.
                    let kept = existing.min { Self.creationOrder($0.path.rawValue, $1.path.rawValue) }
                    for item in existing {
                        do {
                            try await item.setSecret(secret)
                            if try await item.label() != label { try await item.setLabel(label) }
                        } catch let error as SecretServiceError {
                            guard error.code == .noSuchObject, item != kept else { throw error }
                        }
                    }
                    return
                } catch let error as SecretServiceError where error.code == .noSuchObject && attempt < 10 {
                    // An item found was deleted meanwhile: by a concurrent writer settling on
                    // one item (settleConcurrentCreations), or by a `del`. Search again.
                    continue
                } catch let error as SecretServiceError {
                    throw Self.writeFailure(error, secret: secret, what: what)
                }
            }
        }
    }

    /// Leaves one item where writers racing each other created several.
    ///
    /// The Secret Service has no "create unless it exists": writers that search at the same time
    /// all find nothing and all create. So after creating, a writer searches again; when it
    /// finds more than one item, every writer that does so keeps the same one (the first in
    /// ``creationOrder(_:_:)``) and deletes the rest. The first item in that order is never
    /// deleted, and any later one is deleted by its own creator's second search at the latest,
    /// so once every writer has returned exactly one item is left, holding one of the values
    /// written (the kept item's, or a later update's).
    static func settleConcurrentCreations(of attributes: [String: String], in collection: SecretCollection) async throws {
        let items = try await collection.searchItems(attributes)
        guard items.count > 1, let kept = items.min(by: { creationOrder($0.path.rawValue, $1.path.rawValue) }) else { return }
        for item in items where item != kept {
            do {
                try await item.delete()
            } catch {
                // noSuchObject: another writer deleted it first.
                guard error.code == .noSuchObject else { throw error }
            }
        }
    }

    /// A total order of item paths that every writer computes alike: by collection, then by the
    /// item's last path element, numerically where both are numbers (gnome-keyring and KWallet
    /// number items in creation order), else as text (KeePassXC uses UUIDs).
    static func creationOrder(_ a: String, _ b: String) -> Bool {
        func split(_ path: String) -> (Substring, Substring) {
            let text = path[...]
            let slash = text.lastIndex(of: "/") ?? text.startIndex
            return (text[..<slash], text[text.index(after: slash)...])
        }
        let (collectionA, idA) = split(a)
        let (collectionB, idB) = split(b)
        if collectionA != collectionB { return collectionA < collectionB }
        switch (UInt64(idA), UInt64(idB)) {
        case (let x?, let y?): return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return idA < idB
        }
    }

    public func delete(service: String, account: String, keyring: String?) async throws(KeyringError) -> Bool {
        try EntryValidation.check(service: service, account: account)
        return try await translating("deleting \(service)/\(account)") {
            let attributes = Self.lookupAttributes(service: service, account: account)
            // Where `set` writes: the named collection, or the default one.
            let collection = try await collection(for: keyring)
            if try await collection.isLocked() { try await collection.unlock() }
            let items = try await collection.searchItems(attributes)
            for item in items { try await item.delete() }
            return !items.isEmpty
        }
    }

    public func accounts(service: String, keyring: String?) async throws(KeyringError) -> [String] {
        try EntryValidation.check(service: service)
        return try await translating("listing the accounts of \(service)") {
            let items = try await items(matching: ["service": service], keyring: keyring)
            try Self.checkSearchLimit(items.count)
            // Only the attributes: less for the daemon to compute than every property.
            let found = try await client.attributes(of: items).compactMap { $0 }
            return Array(Set(found.map(Self.account(in:)))).sorted()
        }
    }

    /// The account an item's attributes name: `username` (Python keyring, libsecret's
    /// schema), else `account`, else `user` (what other programs write).
    static func account(in attributes: [String: String]) -> String {
        attributes["username"] ?? attributes["account"] ?? attributes["user"] ?? ""
    }

    /// Fails when a search found more items than ``searchLimit``.
    static func checkSearchLimit(_ count: Int) throws(KeyringError) {
        guard count <= searchLimit else {
            throw KeyringError(
                .backendFailure,
                "the Secret Service found \(count) items, more than the \(searchLimit) that one search "
                    + "reads (each takes a round trip); narrow it down, for example with keyring search service=NAME")
        }
    }

    /// The most items ``search(attributes:keyring:)`` reads the properties of: a search that
    /// finds more fails instead of taking a round trip for each (a daemon can answer a search
    /// with hundreds of thousands of paths).
    public static let searchLimit = 10_000

    public func search(attributes: [String: String], keyring: String?) async throws(KeyringError) -> [KeyringEntry] {
        try await translating("searching") {
            let items = try await items(matching: attributes, keyring: keyring)
            try Self.checkSearchLimit(items.count)
            var entries: [KeyringEntry] = []
            // Read with calls in flight side by side; an item deleted since the search is left out.
            for (item, info) in zip(items, try await client.labelsAndAttributes(of: items)) {
                guard let info else { continue }
                entries.append(
                    KeyringEntry(
                        service: info.attributes["service"] ?? "",
                        account: Self.account(in: info.attributes),
                        label: info.label, attributes: info.attributes, keyring: item.collection.name))
            }
            return entries.sorted { ($0.keyring, $0.service, $0.account) < ($1.keyring, $1.service, $1.account) }
        }
    }

    // MARK: Keyrings (collections)

    public func keyrings() async throws(KeyringError) -> [KeyringInfo] {
        try await translating("listing keyrings") {
            let defaultPath = try await client.collection(alias: "default")?.path
            var out: [KeyringInfo] = []
            for collection in try await collections() {
                let info: SecretCollection.Info
                do {
                    info = try await collection.info()
                } catch let error as SecretServiceError where error.code == .noSuchObject {
                    continue  // deleted since it was listed
                }
                out.append(KeyringInfo(name: collection.name, isLocked: info.isLocked, isDefault: collection.path == defaultPath))
            }
            return out
        }
    }

    public func createKeyring(_ name: String, password: SecureBytes?) async throws(KeyringError) {
        try EntryValidation.checkKeyringName(name)
        try await translating("creating keyring '\(name)'") {
            if (try? await collection(named: name)) != nil {
                throw KeyringError(.alreadyExists, "the Secret Service already has a keyring (collection) named '\(name)'")
            }
            if let password {
                _ = try await client.createCollection(
                    label: name, masterPassword: Secret(secureBytes: password, contentType: Secret.textContentType))
            } else {
                _ = try await client.createCollection(label: name)
            }
        }
    }

    public func deleteKeyring(_ name: String) async throws(KeyringError) {
        try await translating("deleting keyring '\(name)'") {
            try await collection(named: name).delete()
        }
    }

    public func lock(keyring: String?) async throws(KeyringError) {
        try await translating("locking keyring") {
            try await collection(for: keyring).lock()
        }
    }

    public func unlock(keyring: String?, password: SecureBytes?) async throws(KeyringError) {
        try await translating("unlocking keyring") {
            let collection = try await collection(for: keyring)
            if let password {
                try await client.unlock(
                    collection, masterPassword: Secret(secureBytes: password, contentType: Secret.textContentType))
            } else {
                try await collection.unlock()
            }
        }
    }

    public func isLocked(keyring: String?) async throws(KeyringError) -> Bool {
        try await translating("checking the lock") {
            try await collection(for: keyring).isLocked()
        }
    }

    public func diagnose() async -> BackendDiagnosis {
        do {
            try await client.connect()
            // Which program answers, asked of the bus (not of the server) before anything else.
            let server = try? await client.server()
            let encrypted = try await client.isSessionEncrypted
            let collections = try await client.collections()
            var details = [String]()
            if let server { details += SecretServiceServerNotes.describe(server) }
            details += [
                "session: " + (encrypted ? "dh-ietf1024-sha256-aes128-cbc-pkcs7 (encrypted)" : "plain (not encrypted)"),
                "collections: " + collections.prefix(20).map(\.name).joined(separator: ", ")
                    + (collections.count > 20 ? ", and \(collections.count - 20) more" : ""),
            ]
            return BackendDiagnosis(
                backend: name, isUsable: true,
                reason: "org.freedesktop.secrets answers on the session bus"
                    + (server.map { " (\(SecretServiceServerNotes.name(of: $0)))" } ?? ""),
                details: details)
        } catch {
            return BackendDiagnosis(backend: name, isUsable: false, reason: "\(error)")
        }
    }

    // MARK: Helpers

    /// Items whose attributes include `attributes`: in the named collection, or in every
    /// collection (unlocked ones first) for `nil`.
    ///
    /// A locked collection whose items the server hides (KeePassXC) is unlocked first, as the
    /// prompt policy allows, else the search fails as locked: it would miss what is inside.
    /// With no attributes, the items are the collections' `Items`: KeePassXC answers a search
    /// for no attributes with nothing.
    func items(matching attributes: [String: String], keyring: String?) async throws -> [SecretItem] {
        var scope: [SecretCollection]?
        if let keyring { scope = [try await collection(named: keyring)] }
        _ = try await unlockHiding(scope)
        if attributes.isEmpty {
            if let scope { return try await client.items(in: scope) }
            return try await client.items(in: collections())
        }
        if let scope { return try await scope[0].searchItems(attributes) }
        let (unlocked, locked) = try await client.searchItems(attributes)
        return unlocked + locked
    }

    /// The named collection, or the default one for `nil`.
    func collection(for keyring: String?) async throws -> SecretCollection {
        guard let keyring else { return try await client.defaultCollection() }
        return try await collection(named: keyring)
    }

    /// The most collections the backend looks at, one round trip each: a daemon has a handful,
    /// and one that lists more is not worth a round trip for each.
    public static let collectionLimit = 1_000

    /// Every collection (property `Collections`), at most ``collectionLimit`` of them.
    func collections() async throws -> [SecretCollection] {
        let collections = try await client.collections()
        guard collections.count <= Self.collectionLimit else {
            throw KeyringError(
                .backendFailure,
                "the Secret Service lists \(collections.count) collections, more than the \(Self.collectionLimit) "
                    + "keyring looks at; it is not working as it should")
        }
        return collections
    }

    /// The collection whose path element or label is `name` (or the alias `name`).
    func collection(named name: String) async throws -> SecretCollection {
        try EntryValidation.checkKeyring(name)
        if let aliased = try await client.collection(alias: name) { return aliased }
        let collections = try await collections()
        if let match = collections.first(where: { $0.name == name }) { return match }
        for collection in collections where try await collection.label() == name { return collection }
        throw KeyringError(.noSuchKeyring, "the Secret Service has no keyring (collection) named '\(name)'", keyring: name)
    }

    /// Runs `body` and throws only ``KeyringError``: the Secret Service's errors by their code
    /// (``keyringError(_:)``), cancellation as `.cancelled`, anything else as a backend failure.
    func translating<T: Sendable>(_ what: String, _ body: () async throws -> T) async throws(KeyringError) -> T {
        try await KeyringError.catching(what) { () async throws -> T in
            do {
                return try await body()
            } catch let error as SecretServiceError {
                throw Self.keyringError(error)
            }
        }
    }

    static func keyringError(_ error: SecretServiceError) -> KeyringError {
        let code: KeyringError.Code
        switch error.code {
        case .locked, .promptRequired, .promptDismissed: code = .locked
        case .promptTimedOut, .timedOut: code = .timedOut
        case .serviceUnavailable, .serviceVanished: code = .noStorageAccess
        case .noDefaultCollection: code = .noDefaultKeyring
        case .denied: code = .wrongPassword
        case .noSuchObject: code = .noEntry
        case .alreadyExists: code = .alreadyExists
        case .notSupported: code = .unsupported
        case .invalidArgument: code = .invalidArgument
        case .cancelled: code = .cancelled
        default: code = .backendFailure
        }
        return KeyringError(code, error.message, underlying: error)
    }
}
