// A stand-in Secret Service that owns `org.freedesktop.secrets` on a private bus (one started by
// `TestBus.start(keyring: false)`), built on the project's own exported objects. Well behaved it
// serves one collection, `login` (alias `default`), with real `dh-ietf1024-sha256-aes128-cbc-pkcs7`
// sessions made with the project's own DHKeyPair and SessionKey, so that a client's ordinary
// calls succeed against it; on demand it misbehaves in the ways a broken or malicious daemon
// can: wrong keys, wrong signatures, broken ciphertext, prompts that lie, replies that never
// come, a hang-up with calls in flight, error messages of megabytes and escape sequences.
//
// Everything runs on the server's own connection, in the test process: `stop()` ends it.

public import KeyringDBus
package import KeyringDH
import KeyringSystem
import Foundation
import KeyringSecretService
import Synchronization

/// A Secret Service that misbehaves on demand. See the file's header.
public final class HostileSecretService: Sendable {
    // MARK: - What it can be told to do

    /// An answer to one method, instead of the right one.
    public enum Reply: Sendable {
        /// Answer with exactly these values (the wrong signature, say).
        case values([DBusValue])
        /// Answer with this D-Bus error.
        case error(name: String, message: String)
        /// Never answer: the call stays unanswered until ``stop()``.
        case never
        /// Close the server's connection the moment the call arrives, leaving it unanswered,
        /// as a daemon that crashes mid-call does.
        case vanish
    }

    /// How `GetSecret` and `GetSecrets` encode a secret.
    public enum SecretEncoding: Sendable {
        /// Properly: a fresh IV, AES-128-CBC of the PKCS#7-padded secret, this session's path.
        case correct
        /// Properly, but with these bytes as the IV (`parameters`).
        case parameters([UInt8])
        /// A proper IV, but these bytes as the ciphertext (`value`).
        case value([UInt8])
        /// This block-aligned plaintext, encrypted with the session key and a proper IV but
        /// with no padding added: whatever it ends with is what the client finds as padding.
        case rawPlaintext([UInt8])
        /// The secret encrypted under another key, chosen so that this session's key does not
        /// find valid padding in it (without a MAC a wrong key is caught only by the padding,
        /// and one wrong key in about 250 happens to give valid padding).
        case foreignKey
        /// Properly, but the struct names this session instead of the client's.
        case sessionPath(DBusObjectPath)
    }

    /// What `Prompt()` leads to.
    public enum PromptBehaviour: Sendable {
        /// `Completed(false, result)`, sent to the caller just after the reply to `Prompt`.
        case complete
        /// Nothing until ``completeHeldPrompts()``: a prompt a person has not answered yet.
        case hold
        /// `Completed` with this body instead.
        case completeWith([DBusValue])
        /// `Completed(false, result)` twice.
        case completeTwice
        /// `Completed(true, "")`: the user said no.
        case dismiss
    }

    /// The public key `OpenSession` sends.
    public enum PublicKey: Sendable {
        /// The server's own, 128 bytes.
        case real
        /// These bytes (the session still uses the server's own key).
        case bytes([UInt8])
        /// The server's own without its first byte, which must be zero (see
        /// ``Behaviour/keyPair``): 127 bytes, as gnome-keyring sends in about one session in 256.
        case realWithoutLeadingZero
        /// The server's own with a zero byte in front: 129 bytes, as old KWallet sent.
        case realWithZeroPrepended
    }

    /// The misbehaviour in force; change it with ``behave(_:)`` between calls.
    public struct Behaviour: Sendable {
        /// What `OpenSession` sends as its public key.
        public var publicKey: PublicKey = .real
        /// The key pair of every session, instead of a fresh one each.
        package var keyPair: DHKeyPair?
        /// `OpenSession` sends this value in its output variant instead of the public key.
        public var sessionOutput: DBusValue?
        /// How secrets are encoded.
        public var secrets: SecretEncoding = .correct
        /// Answers by member name instead of the right ones. A property read is looked up as
        /// `Get:NAME` first (`Get:Collections`, `Get:Locked`), then as `Get`.
        public var replies: [String: Reply] = [:]
        /// What `Prompt()` does.
        public var prompts: PromptBehaviour = .complete
        /// The result `Completed` carries instead of the right one.
        public var promptResult: DBusValue?
        /// `SearchItems` on the service answers these instead of what it finds.
        public var searchResults: [DBusObjectPath]?
        /// Property `Items` of `login` lists these instead of what it holds.
        public var collectionItems: [DBusObjectPath]?
        /// Property `Collections` of the service lists these instead of `login`.
        public var collections: [DBusObjectPath]?
        /// `CreateItem` returns a prompt (whose result is the new item) instead of the item.
        public var createItemNeedsPrompt = false

        // Other servers' ways, one switch each (docs/secret-service-protocol.md, Other servers).

        /// KWallet 5's sessions: a client key shorter than 128 bytes is refused (`InvalidArgs`),
        /// one that starts with `0xFF` and a byte ≥ `0x80` is read as a negative number (the
        /// session's key is then wrong), the shared secret is hashed without its leading zero
        /// bytes, and the server's key is sent signed (129 bytes when its top bit is set).
        public var kwalletSessions = false
        /// KWallet: `CreateItem` makes the item before it decrypts the secret, so a failed
        /// decryption leaves an item with an empty secret behind.
        public var createsItemBeforeDecrypting = false
        /// `CreateItem` makes the item (with an empty secret) and then fails, as KWallet does
        /// when it cannot decrypt the secret.
        public var createItemFailsAfterCreating = false
        /// KWallet: a `text/*` secret is kept as text, cut at its first NUL.
        public var textCutAtNUL = false
        /// KWallet: `Lock` of a locked collection answers `InvalidArgs`.
        public var lockOfLockedFails = false
        /// KeePassXC: `SearchItems` with no attributes finds nothing.
        public var emptySearchFindsNothing = false
        /// KeePassXC: a locked collection hides its items (searches find nothing, `Items` is empty).
        public var lockedHidesItems = false
        /// KeePassXC right after a change: this many `Lock` calls return a prompt that completes
        /// dismissed, doing nothing.
        public var lockPromptsDismissed = 0
        /// pass-secret-service: a secret that is not UTF-8 is refused with this error name.
        public var utf8OnlyError: String?

        public init() {}
    }

    /// One method call the server received.
    public struct Call: Sendable {
        public var member: String
        public var interface: String?
        public var path: DBusObjectPath
        /// The caller's unique name.
        public var sender: String?
        public var arguments: [DBusValue]
    }

    /// An item the server stores.
    public struct Item: Sendable {
        public var path: DBusObjectPath
        public var label: String
        public var attributes: [String: String]
        public var secret: [UInt8]
        public var contentType: String
    }

    // MARK: - Names

    public static let servicePath = SecretServiceNames.servicePath
    public static let collectionPath = SecretServiceNames.loginCollectionPath
    static let propertiesInterface = "org.freedesktop.DBus.Properties"

    // MARK: - State

    private struct Session {
        var key: SessionKey?
    }

    private struct Prompt {
        enum Action {
            case unlock([DBusObjectPath])
            case lock([DBusObjectPath])
            case createItem(DBusObjectPath)
        }
        var action: Action
        /// Completes dismissed whatever the behaviour says.
        var dismissed = false
        /// Who called `Prompt()`: where `Completed` goes.
        var caller: String?
    }

    private struct State {
        var behaviour = Behaviour()
        var calls: [Call] = []
        var items: [DBusObjectPath: Item] = [:]
        var itemOrder: [DBusObjectPath] = []
        var locked = false
        var sessions: [DBusObjectPath: Session] = [:]
        var prompts: [DBusObjectPath: Prompt] = [:]
        var held: [DBusObjectPath] = []
        var nextID = 1
        var hung: [CheckedContinuation<Void, Never>] = []
        var stopped = false
    }

    private let state = Mutex(State())
    /// The server's own connection.
    public let connection: DBusConnection
    /// The server's unique name on the bus.
    public let uniqueName: String

    private init(connection: DBusConnection, uniqueName: String) {
        self.connection = connection
        self.uniqueName = uniqueName
    }

    /// Connects to the bus at `address`, exports the service and its `login` collection, and
    /// owns `org.freedesktop.secrets`.
    /// - Parameter locked: whether `login` starts locked (unlocking it takes a prompt).
    public static func start(on address: String, locked: Bool = false) async throws -> HostileSecretService {
        let connection = try await DBusConnection.connect(to: .address(address))
        let server = HostileSecretService(connection: connection, uniqueName: try await connection.registration())
        server.state.withLock { $0.locked = locked }
        try server.export(servicePath, SecretServiceNames.serviceInterface) { try await $0.serveService($1) }
        try server.exportProperties(servicePath)
        try server.export(collectionPath, SecretServiceNames.collectionInterface) { try await $0.serveCollection($1) }
        try server.exportProperties(collectionPath)
        // A server stopped just before may still own the name for a moment.
        let giveUp = ContinuousClock.now + .seconds(5)
        while try await connection.requestName(SecretServiceNames.busName) != .primaryOwner {
            guard ContinuousClock.now < giveUp else {
                connection.close()
                throw TestSupportError("could not own \(SecretServiceNames.busName)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return server
    }

    /// Changes the misbehaviour for the calls that follow.
    public func behave(_ change: (inout Behaviour) -> Void) {
        state.withLock { change(&$0.behaviour) }
    }

    /// Back to good behaviour.
    public func behaveWell() {
        state.withLock { $0.behaviour = Behaviour() }
    }

    /// Every method call received so far, in order.
    public var calls: [Call] { state.withLock { $0.calls } }

    /// The members of the calls received so far, in order.
    public var members: [String] { state.withLock { $0.calls.map(\.member) } }

    /// Forgets the calls received so far.
    public func clearCalls() {
        state.withLock { $0.calls.removeAll() }
    }

    /// Whether `login` is locked.
    public var isLocked: Bool { state.withLock { $0.locked } }

    /// Locks or unlocks `login` without a prompt.
    public func setLocked(_ locked: Bool) {
        state.withLock { $0.locked = locked }
    }

    /// The prompts shown (`Prompt()` called) and not yet completed by ``completeHeldPrompts()``.
    public var heldPrompts: [DBusObjectPath] { state.withLock { $0.held } }

    /// Stores an item in `login`.
    @discardableResult
    public func addItem(
        label: String, attributes: [String: String], secret: String, contentType: String = "text/plain"
    ) throws -> DBusObjectPath {
        let path = try state.withLock { state -> DBusObjectPath in
            let path = try Self.collectionPath.appending("i\(state.nextID)")
            state.nextID += 1
            state.items[path] = Item(
                path: path, label: label, attributes: attributes, secret: Array(secret.utf8), contentType: contentType)
            state.itemOrder.append(path)
            return path
        }
        try exportItem(path)
        return path
    }

    /// The items stored, in the order they were made.
    public var items: [Item] { state.withLock { state in state.itemOrder.compactMap { state.items[$0] } } }

    /// Completes every held prompt properly: does what it was for, then sends `Completed(false, result)`.
    public func completeHeldPrompts() {
        let held = state.withLock { state -> [DBusObjectPath] in
            defer { state.held.removeAll() }
            return state.held
        }
        for path in held { finishPrompt(path, dismissed: false) }
    }

    /// Closes the connection (the service is gone from the bus) and ends every unanswered wait.
    public func stop() {
        let hung = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.stopped = true
            defer { state.hung.removeAll() }
            return state.hung
        }
        connection.close()
        for continuation in hung { continuation.resume() }
    }

    // MARK: - Exports

    private func export(
        _ path: DBusObjectPath, _ interface: String,
        _ serve: @escaping @Sendable (HostileSecretService, DBusMessage) async throws -> [DBusValue]
    ) throws {
        try connection.export(path: path, interface: interface) { [weak self] call throws(DBusError) in
            guard let self else { throw DBusError.reply(name: DBusError.Name.failed, message: "the server is gone") }
            do {
                return try await serve(self, call)
            } catch let error as DBusError {
                throw error
            } catch {
                throw DBusError.reply(name: DBusError.Name.failed, message: "\(type(of: error))")
            }
        }
    }

    private func exportProperties(_ path: DBusObjectPath) throws {
        try export(path, Self.propertiesInterface) { try await $0.serveProperties($1) }
    }

    private func exportItem(_ path: DBusObjectPath) throws {
        try export(path, SecretServiceNames.itemInterface) { try await $0.serveItem($1) }
        try exportProperties(path)
    }

    // MARK: - Misbehaviour common to every method

    /// Records `call`, then answers it as the behaviour says for `key`, else with `normal`.
    private func respond(
        _ call: DBusMessage, key: String, alsoKey: String? = nil, _ normal: () async throws -> [DBusValue]
    ) async throws -> [DBusValue] {
        let override = state.withLock { state -> Reply? in
            state.calls.append(
                Call(
                    member: call.member ?? "", interface: call.interface, path: call.path ?? .root, sender: call.sender,
                    arguments: call.body))
            return state.behaviour.replies[key] ?? alsoKey.flatMap { state.behaviour.replies[$0] }
        }
        switch override {
        case .values(let values)?:
            return values
        case .error(let name, let message)?:
            throw DBusError.reply(name: name, message: message)
        case .never?:
            await hang()
            throw DBusError.reply(name: DBusError.Name.failed, message: "the server stopped")
        case .vanish?:
            connection.close()
            await hang()
            throw DBusError.reply(name: DBusError.Name.failed, message: "the server stopped")
        case nil:
            return try await normal()
        }
    }

    /// Suspends until ``stop()``.
    private func hang() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopped = state.withLock { state -> Bool in
                if !state.stopped { state.hung.append(continuation) }
                return state.stopped
            }
            if stopped { continuation.resume() }
        }
    }

    private static func noSuchObject(_ path: DBusObjectPath?) -> DBusError {
        DBusError.reply(name: "org.freedesktop.Secret.Error.NoSuchObject", message: "no such object \(path?.rawValue ?? "")")
    }

    private static func unknownMethod(_ call: DBusMessage) -> DBusError {
        DBusError.reply(name: DBusError.Name.unknownMethod, message: "no method \(call.member ?? "")")
    }

    // MARK: - org.freedesktop.Secret.Service

    private func serveService(_ call: DBusMessage) async throws -> [DBusValue] {
        let member = call.member ?? ""
        return try await respond(call, key: member) {
            switch member {
            case "OpenSession": return try openSession(call)
            case "SearchItems":
                let wanted = try call.body(matching: "a{ss}")[0].asStringDictionary()
                let (unlocked, locked) = state.withLock { state -> ([DBusObjectPath], [DBusObjectPath]) in
                    if let forced = state.behaviour.searchResults { return (forced, []) }
                    if wanted.isEmpty && state.behaviour.emptySearchFindsNothing { return ([], []) }
                    if state.locked && state.behaviour.lockedHidesItems { return ([], []) }
                    let found = state.itemOrder.filter { path in
                        wanted.allSatisfy { state.items[path]?.attributes[$0.key] == $0.value }
                    }
                    return state.locked ? ([], found) : (found, [])
                }
                return [.objectPaths(unlocked), .objectPaths(locked)]
            case "ReadAlias":
                let name = try call.body(matching: "s")[0].asString()
                return [.objectPath(name == "default" ? Self.collectionPath : .root)]
            case "GetSecrets":
                let body = try call.body(matching: "aoo")
                let wanted = try body[0].asObjectPaths()
                let session = try body[1].asObjectPath()
                var entries: [DBusDictionaryEntry] = []
                for path in wanted {
                    guard let item = state.withLock({ $0.locked ? nil : $0.items[path] }) else { continue }
                    entries.append(DBusDictionaryEntry(key: .objectPath(path), value: try encode(item, in: session)))
                }
                return [
                    .dictionary(
                        key: .objectPath, value: .structure([.objectPath, .array(.byte), .array(.byte), .string]), entries)
                ]
            case "Unlock":
                let objects = try call.body(matching: "ao")[0].asObjectPaths()
                guard isLocked else { return [.objectPaths(objects), .objectPath(.root)] }
                return [.objectPaths([]), .objectPath(try makePrompt(.unlock(objects)))]
            case "Lock":
                let objects = try call.body(matching: "ao")[0].asObjectPaths()
                let (locked, behaviour) = state.withLock { ($0.locked, $0.behaviour) }
                if locked && behaviour.lockOfLockedFails {
                    throw DBusError.reply(
                        name: DBusError.Name.invalidArgs, message: "Can't lock object at path \(objects.first?.rawValue ?? "")")
                }
                if behaviour.lockPromptsDismissed > 0 {
                    state.withLock { $0.behaviour.lockPromptsDismissed -= 1 }
                    return [.objectPaths([]), .objectPath(try makePrompt(.lock(objects), dismissed: true))]
                }
                setLocked(true)
                return [.objectPaths(objects), .objectPath(.root)]
            default:
                throw Self.unknownMethod(call)
            }
        }
    }

    private func openSession(_ call: DBusMessage) throws -> [DBusValue] {
        let body = try call.body(matching: "sv")
        let algorithm = try body[0].asString()
        let input = try body[1].asVariant()
        let (id, behaviour) = state.withLock { state -> (Int, Behaviour) in
            defer { state.nextID += 1 }
            return (state.nextID, state.behaviour)
        }
        let path = try SecretServiceNames.servicePath.appending("session").appending("s\(id)")
        let session: Session
        let output: DBusValue
        switch algorithm {
        case SecretServiceNames.plainAlgorithm:
            session = Session(key: nil)
            output = .string("")
        case SecretServiceNames.dhAlgorithm:
            let clientKey = try input.asBytes()
            if behaviour.kwalletSessions && clientKey.count < 128 {
                throw DBusError.reply(name: DBusError.Name.invalidArgs, message: "Client public key size is invalid")
            }
            let keyPair = behaviour.keyPair ?? DHKeyPair(group: .ietf1024)
            var shared = try keyPair.sharedSecret(peerPublicKey: clientKey)
            if behaviour.kwalletSessions {
                if clientKey.count >= 2 && clientKey[0] == 0xFF && clientKey[1] >= 0x80 {
                    shared = SecureBytes(Sodium.randomBytes(128))  // a negative number: another secret
                }
                // Hashed without its leading zero bytes.
                let significant = DHGroup.significantByteCount(of: shared.unprotectedArray)
                shared = SecureBytes(shared.unprotectedArray.suffix(significant))
            }
            session = Session(key: SessionKey(sharedSecret: shared))
            let publicKey: [UInt8]
            switch behaviour.publicKey {
            case .real where behaviour.kwalletSessions:
                // Signed, minimal: a sign byte in front when the top bit is set.
                let minimal = Array(keyPair.publicKey.drop { $0 == 0 })
                publicKey = (minimal.first ?? 0) >= 0x80 ? [0] + minimal : minimal
            case .real: publicKey = keyPair.publicKey
            case .bytes(let bytes): publicKey = bytes
            case .realWithoutLeadingZero:
                precondition(keyPair.publicKey[0] == 0, "realWithoutLeadingZero needs a key pair whose key starts with 0")
                publicKey = Array(keyPair.publicKey.dropFirst())
            case .realWithZeroPrepended: publicKey = [0] + keyPair.publicKey
            }
            output = behaviour.sessionOutput ?? .bytes(publicKey)
        default:
            throw DBusError.reply(name: DBusError.Name.notSupported, message: "algorithm \(algorithm) is not supported")
        }
        state.withLock { $0.sessions[path] = session }
        try export(path, SecretServiceNames.sessionInterface) { server, call in
            try await server.respond(call, key: "Close") {
                _ = server.state.withLock { $0.sessions.removeValue(forKey: path) }
                server.connection.unexport(path: path, interface: SecretServiceNames.sessionInterface)
                return []
            }
        }
        return [.variant(output), .objectPath(path)]
    }

    // MARK: - org.freedesktop.Secret.Collection

    private func serveCollection(_ call: DBusMessage) async throws -> [DBusValue] {
        let member = call.member ?? ""
        return try await respond(call, key: member) {
            switch member {
            case "SearchItems":
                let wanted = try call.body(matching: "a{ss}")[0].asStringDictionary()
                let found = state.withLock { state -> [DBusObjectPath] in
                    if wanted.isEmpty && state.behaviour.emptySearchFindsNothing { return [] }
                    if state.locked && state.behaviour.lockedHidesItems { return [] }
                    return state.itemOrder.filter { path in
                        wanted.allSatisfy { state.items[path]?.attributes[$0.key] == $0.value }
                    }
                }
                return [.objectPaths(found)]
            case "CreateItem":
                let body = try call.body(matching: "a{sv}(oayays)b")
                let properties = try body[0].asVariantDictionary()
                let behaviour = state.withLock { $0.behaviour }
                let beforeDecrypting = behaviour.createsItemBeforeDecrypting || behaviour.createItemFailsAfterCreating
                let secret = beforeDecrypting ? nil : try stored(try decode(body[1]))
                let label = try properties["org.freedesktop.Secret.Item.Label"]?.asString() ?? ""
                let attributes = try properties["org.freedesktop.Secret.Item.Attributes"]?.asStringDictionary() ?? [:]
                guard !isLocked else {
                    throw DBusError.reply(name: "org.freedesktop.Secret.Error.IsLocked", message: "the collection is locked")
                }
                let path = try state.withLock { state -> DBusObjectPath in
                    let path = try Self.collectionPath.appending("i\(state.nextID)")
                    state.nextID += 1
                    state.items[path] = Item(
                        path: path, label: label, attributes: attributes, secret: secret?.bytes ?? [],
                        contentType: secret?.contentType ?? "text/plain")
                    state.itemOrder.append(path)
                    return path
                }
                try exportItem(path)
                if beforeDecrypting {
                    // As KWallet: the item exists (empty) before the secret is decrypted.
                    let decoded = behaviour.createItemFailsAfterCreating ? nil : try? stored(try decode(body[1]))
                    guard let decoded else {
                        throw DBusError.reply(
                            name: "org.freedesktop.DBus.Error.InvalidObjectPath",
                            message: "Can't find session \(try body[1].asStructure()[0].asObjectPath().rawValue)")
                    }
                    state.withLock {
                        $0.items[path]?.secret = decoded.bytes
                        $0.items[path]?.contentType = decoded.contentType
                    }
                }
                if state.withLock({ $0.behaviour.createItemNeedsPrompt }) {
                    return [.objectPath(.root), .objectPath(try makePrompt(.createItem(path)))]
                }
                return [.objectPath(path), .objectPath(.root)]
            case "Delete":
                return [.objectPath(.root)]
            default:
                throw Self.unknownMethod(call)
            }
        }
    }

    // MARK: - org.freedesktop.Secret.Item

    private func serveItem(_ call: DBusMessage) async throws -> [DBusValue] {
        let member = call.member ?? ""
        let path = call.path ?? .root
        return try await respond(call, key: member) {
            guard let item = state.withLock({ $0.items[path] }) else { throw Self.noSuchObject(path) }
            switch member {
            case "GetSecret":
                let session = try call.body(matching: "o")[0].asObjectPath()
                guard !isLocked else {
                    throw DBusError.reply(name: "org.freedesktop.Secret.Error.IsLocked", message: "the item is locked")
                }
                return [try encode(item, in: session)]
            case "SetSecret":
                let secret = try stored(try decode(try call.body(matching: "(oayays)")[0]))
                state.withLock {
                    $0.items[path]?.secret = secret.bytes
                    $0.items[path]?.contentType = secret.contentType
                }
                return []
            case "Delete":
                state.withLock { state in
                    state.items[path] = nil
                    state.itemOrder.removeAll { $0 == path }
                }
                connection.unexport(path: path, interface: SecretServiceNames.itemInterface)
                connection.unexport(path: path, interface: Self.propertiesInterface)
                return [.objectPath(.root)]
            default:
                throw Self.unknownMethod(call)
            }
        }
    }

    // MARK: - org.freedesktop.DBus.Properties

    private func properties(of path: DBusObjectPath) throws -> [String: DBusValue] {
        try state.withLock { state in
            let now = DBusValue.uint64(1_700_000_000)
            if path == Self.servicePath {
                return ["Collections": .objectPaths(state.behaviour.collections ?? [Self.collectionPath])]
            }
            if path == Self.collectionPath {
                let hidden = state.locked && state.behaviour.lockedHidesItems
                return [
                    "Label": .string("Login"), "Locked": .boolean(state.locked),
                    "Items": .objectPaths(hidden ? [] : state.behaviour.collectionItems ?? state.itemOrder),
                    "Created": now, "Modified": now,
                ]
            }
            guard let item = state.items[path] else { throw Self.noSuchObject(path) }
            return [
                "Label": .string(item.label), "Attributes": .stringDictionary(item.attributes),
                "Locked": .boolean(state.locked), "Created": now, "Modified": now,
            ]
        }
    }

    private func serveProperties(_ call: DBusMessage) async throws -> [DBusValue] {
        let member = call.member ?? ""
        let path = call.path ?? .root
        var name = ""
        if call.body.count > 1, case .string(let text) = call.body[1] { name = text }
        return try await respond(call, key: member == "Get" ? "Get:\(name)" : member, alsoKey: member) {
            switch member {
            case "Get":
                guard let value = try properties(of: path)[name] else {
                    throw DBusError.reply(name: DBusError.Name.unknownProperty, message: "no property \(name)")
                }
                return [.variant(value)]
            case "GetAll":
                return [.variantDictionary(try properties(of: path))]
            case "Set":
                let body = try call.body(matching: "ssv")
                let value = try body[2].asVariant()
                try state.withLock { state in
                    guard state.items[path] != nil else { throw Self.noSuchObject(path) }
                    switch name {
                    case "Label": state.items[path]?.label = try value.asString()
                    case "Attributes": state.items[path]?.attributes = try value.asStringDictionary()
                    default: throw DBusError.reply(name: DBusError.Name.propertyReadOnly, message: "\(name) is read-only")
                    }
                }
                return []
            default:
                throw Self.unknownMethod(call)
            }
        }
    }

    // MARK: - Prompts

    private func makePrompt(_ action: Prompt.Action, dismissed: Bool = false) throws -> DBusObjectPath {
        let path = try state.withLock { state -> DBusObjectPath in
            defer { state.nextID += 1 }
            let path = try SecretServiceNames.servicePath.appending("prompt").appending("p\(state.nextID)")
            state.prompts[path] = Prompt(action: action, dismissed: dismissed)
            return path
        }
        try export(path, SecretServiceNames.promptInterface) { try await $0.servePrompt($1) }
        return path
    }

    private func servePrompt(_ call: DBusMessage) async throws -> [DBusValue] {
        let member = call.member ?? ""
        let path = call.path ?? .root
        return try await respond(call, key: member) {
            let behaviour = try state.withLock { state -> PromptBehaviour in
                guard let prompt = state.prompts[path] else { throw Self.noSuchObject(path) }
                state.prompts[path]?.caller = call.sender
                return prompt.dismissed ? .dismiss : state.behaviour.prompts
            }
            switch member {
            case "Prompt":
                switch behaviour {
                case .complete:
                    later { $0.finishPrompt(path, dismissed: false) }
                case .hold:
                    state.withLock { $0.held.append(path) }
                case .completeWith(let body):
                    later { try? $0.emitCompleted(path, body) }
                case .completeTwice:
                    later { server in
                        server.finishPrompt(path, dismissed: false, times: 2)
                    }
                case .dismiss:
                    later { $0.finishPrompt(path, dismissed: true) }
                }
                return []
            case "Dismiss":
                later { $0.finishPrompt(path, dismissed: true) }
                return []
            default:
                throw Self.unknownMethod(call)
            }
        }
    }

    /// Runs `body` just after the reply to the current call has gone out, as daemons do.
    private func later(_ body: @escaping @Sendable (HostileSecretService) -> Void) {
        Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(5))
            if let self { body(self) }
        }
    }

    /// Does what the prompt was for (unless dismissed) and sends `Completed` to its caller.
    private func finishPrompt(_ path: DBusObjectPath, dismissed: Bool, times: Int = 1) {
        let found = state.withLock { state -> (Prompt, DBusValue?)? in
            guard let prompt = state.prompts.removeValue(forKey: path) else { return nil }
            if !dismissed, case .unlock = prompt.action { state.locked = false }
            if !dismissed, case .lock = prompt.action { state.locked = true }
            return (prompt, state.behaviour.promptResult)
        }
        guard let (prompt, forced) = found else { return }
        connection.unexport(path: path, interface: SecretServiceNames.promptInterface)
        let result: DBusValue
        if dismissed {
            result = .string("")
        } else if let forced {
            result = forced
        } else {
            switch prompt.action {
            case .unlock(let objects), .lock(let objects): result = .objectPaths(objects)
            case .createItem(let item): result = .objectPath(item)
            }
        }
        for _ in 0..<times {
            try? emitCompleted(path, [.boolean(dismissed), .variant(result)], to: prompt.caller)
        }
    }

    private func emitCompleted(_ path: DBusObjectPath, _ body: [DBusValue], to caller: String? = nil) throws {
        let destination = caller ?? state.withLock { $0.prompts[path]?.caller }
        try connection.emitSignal(
            path: path, interface: SecretServiceNames.promptInterface, member: "Completed", arguments: body,
            destination: destination)
    }

    // MARK: - Secrets

    /// The `(oayays)` struct of `item` in `sessionPath`, encoded as the behaviour says.
    private func encode(_ item: Item, in sessionPath: DBusObjectPath) throws -> DBusValue {
        let (session, encoding) = state.withLock { ($0.sessions[sessionPath], $0.behaviour.secrets) }
        guard let session else {
            throw DBusError.reply(name: "org.freedesktop.Secret.Error.NoSession", message: "no session \(sessionPath.rawValue)")
        }
        var path = sessionPath
        var parameters: [UInt8] = []
        var value = item.secret
        if let key = session.key {
            (parameters, value) = item.secret.withUnsafeBytes { key.encrypt($0) }
            switch encoding {
            case .correct: break
            case .parameters(let bytes): parameters = bytes
            case .value(let bytes): value = bytes
            case .rawPlaintext(let plaintext):
                precondition(plaintext.count % SessionKey.blockSize == 0, "raw plaintext must be block-aligned")
                // CBC with no padding is the padded encryption minus its last block (all padding).
                value = Array(try plaintext.withUnsafeBytes { try key.encrypt($0, iv: parameters) }.prefix(plaintext.count))
            case .foreignKey:
                while true {
                    let other = SessionKey(sharedSecret: SecureBytes(Sodium.randomBytes(128)))
                    (parameters, value) = item.secret.withUnsafeBytes { other.encrypt($0) }
                    if (try? key.decrypt(iv: parameters, ciphertext: value)) == nil { break }
                }
            case .sessionPath(let other): path = other
            }
        }
        return .structure([.objectPath(path), .bytes(parameters), .bytes(value), .string(item.contentType)])
    }

    /// What the server keeps of a secret it was sent: as sent, or as the behaviour says
    /// (text cut at NUL; non-UTF-8 refused).
    private func stored(_ secret: (bytes: [UInt8], contentType: String)) throws -> (bytes: [UInt8], contentType: String) {
        let behaviour = state.withLock { $0.behaviour }
        if let name = behaviour.utf8OnlyError, String(validating: secret.bytes, as: UTF8.self) == nil {
            throw DBusError.reply(name: name, message: "'utf-8' codec can't decode the secret")
        }
        if behaviour.textCutAtNUL && secret.contentType.hasPrefix("text/") {
            return (Array(secret.bytes.prefix { $0 != 0 }), secret.contentType)
        }
        return secret
    }

    /// The secret inside an `(oayays)` struct a client sent.
    private func decode(_ value: DBusValue) throws -> (bytes: [UInt8], contentType: String) {
        let fields = try value.asStructure()
        let sessionPath = try fields[0].asObjectPath()
        guard let session = state.withLock({ $0.sessions[sessionPath] }) else {
            throw DBusError.reply(name: "org.freedesktop.Secret.Error.NoSession", message: "no session \(sessionPath.rawValue)")
        }
        let contentType = try fields[3].asString()
        guard let key = session.key else { return (try fields[2].asBytes(), contentType) }
        let plain = try key.decrypt(iv: try fields[1].asBytes(), ciphertext: try fields[2].asBytes())
        return (plain.unprotectedArray, contentType)
    }
}
