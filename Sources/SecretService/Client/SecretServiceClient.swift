public import DBus
import Synchronization

/// A client of the Secret Service (`org.freedesktop.secrets`): gnome-keyring, KWallet, KeePassXC.
///
/// Connects lazily, opens one encrypted session (`dh-ietf1024-sha256-aes128-cbc-pkcs7`) and reuses
/// it for every operation. When the daemon exits or restarts, the call in flight fails with
/// `.serviceVanished` and the next call reconnects and opens a new session by itself.
///
/// ```swift
/// let client = SecretServiceClient()
/// let login = try await client.defaultCollection()
/// try await login.store(label: "token", attributes: ["service": "api"], secret: Secret("s3cret"))
/// let secret = try await client.lookup(["service": "api"])
/// ```
public actor SecretServiceClient {
    /// How a session encrypts secrets on the bus.
    public enum SessionAlgorithm: Sendable, Hashable {
        /// DH, falling back to `plain` only when the server answers `NotSupported`.
        case automatic
        /// DH only: fail when the server does not support it.
        case diffieHellman
        /// No encryption on the bus (the caller asked for it).
        case plain
    }

    /// Settings for a client.
    public struct Options: Sendable {
        /// Which bus to use.
        public var bus: DBusBus
        /// Deadline for each D-Bus call.
        public var callTimeout: Duration
        /// Deadline for a prompt (a human typing a password).
        public var promptTimeout: Duration
        /// Whether operations may show prompts; when false they fail at once with `.locked` or `.promptRequired`.
        public var allowsPrompts: Bool
        /// The window the prompt should be attached to (X11 id as text, or empty).
        public var windowID: String
        /// The session algorithm.
        public var algorithm: SessionAlgorithm

        public init(
            bus: DBusBus = .session, callTimeout: Duration = .seconds(10), promptTimeout: Duration = .seconds(120),
            allowsPrompts: Bool = true, windowID: String = "", algorithm: SessionAlgorithm = .automatic
        ) {
            self.bus = bus
            self.callTimeout = callTimeout
            self.promptTimeout = promptTimeout
            self.allowsPrompts = allowsPrompts
            self.windowID = windowID
            self.algorithm = algorithm
        }

        /// Options for the session bus named by `environment` (`DBUS_SESSION_BUS_ADDRESS`, else
        /// `$XDG_RUNTIME_DIR/bus`), for callers that carry their own environment.
        /// - Throws: ``SecretServiceError`` `.serviceUnavailable` when it names no bus.
        public init(sessionBusIn environment: [String: String], allowsPrompts: Bool = true) throws {
            do {
                let address = try DBusBus.session.resolve { environment[$0] }
                self.init(bus: .address(address), allowsPrompts: allowsPrompts)
            } catch {
                throw SecretServiceError.translating(error, "finding the session bus")
            }
        }
    }

    /// A connection and the session being opened on it.
    ///
    /// The session opens in the background from the moment the connection does: calls that
    /// need no session (searches, properties) go out right behind `OpenSession`, and only what
    /// carries a secret waits for ``session()``.
    ///
    /// `OpenSession` reaches the daemon before any other call that needs the daemon (only the
    /// readiness read of ``SecretSession/request(on:algorithm:keyPair:)`` precedes it).
    /// gnome-keyring (42 to 50 at least) aborts when a client hangs up while its `OpenSession`
    /// is unanswered; the daemon answers in order, so a client that has the answer to any later
    /// call may hang up safely.
    struct State: Sendable {
        let connection: DBusConnection
        /// Done once `OpenSession` is queued on the connection.
        let requested: Task<SecretSession.Request, any Error>
        let opening: Task<SecretSession, any Error>

        /// Waits until `OpenSession` is on the wire, so what is sent next reaches the daemon after it.
        /// - Throws: ``SessionOpeningError`` when it could not be sent.
        func sessionRequested() async throws {
            do {
                _ = try await requested.value
            } catch {
                throw SessionOpeningError(underlying: error)
            }
        }

        /// The open session.
        /// - Throws: ``SessionOpeningError`` when it could not be opened.
        func session() async throws -> SecretSession {
            do {
                return try await opening.value
            } catch {
                throw SessionOpeningError(underlying: error)
            }
        }

        /// The secret of `item` (`GetSecret` in the session), decrypted.
        func secret(of item: DBusObjectPath) async throws -> Secret {
            let session = try await session()
            let value = try await ItemProxy(connection: connection, path: item).getSecret(session: session.path)
            return try await session.decode(value)
        }
    }

    /// Why the session of a ``State`` could not be opened; ``perform(_:needsDaemon:_:)`` resets the state.
    struct SessionOpeningError: Error {
        let underlying: any Error
    }

    /// The client's settings.
    public nonisolated let options: Options
    private var state: State?
    /// Items found by earlier lookups, reused while no Secret Service signal says anything changed.
    /// Each entry keeps the connection's signal count from before the search that found it.
    private var lookupCache: [[String: String]: (path: DBusObjectPath, signals: Int)] = [:]
    /// The subscription that keeps ``lookupCache`` honest, per connection; started on the first
    /// repeated lookup, so a one-shot lookup pays no extra round trip.
    private var changeWatch: (connection: DBusConnection, task: Task<Void, Never>)?

    /// A client; nothing is connected until the first call.
    public init(options: Options = Options()) {
        self.options = options
    }

    deinit {
        changeWatch?.task.cancel()
        // The session dies with the connection: no separate Close racing the hang-up
        // (docs/secret-service-protocol.md, Session encryption).
        state?.connection.close()
    }

    // MARK: - Connection and session

    /// Connects and opens the session now instead of on the first call.
    /// - Throws: ``SecretServiceError`` `.serviceUnavailable` when there is no bus or no daemon.
    public func connect() async throws {
        try await perform("opening a Secret Service session") { _ = try await $0.session() }
    }

    /// Checks that a Secret Service runs on the bus, or that the bus can start one: the check
    /// Python keyring makes (through secretstorage) before it picks its Secret Service backend.
    ///
    /// Faster than ``connect()``: the bus answers, not the daemon. The connection and the session
    /// it starts are kept, so the calls that follow find them under way.
    /// - Throws: ``SecretServiceError`` `.serviceUnavailable` when there is no bus, or when
    ///   nothing owns `org.freedesktop.secrets` and the bus cannot start it.
    public func checkAvailability() async throws {
        try await perform("looking for the Secret Service", needsDaemon: false) { state in
            let connection = state.connection
            if try await connection.nameHasOwner(SecretServiceNames.busName) { return }
            if try await connection.activatableNames().contains(SecretServiceNames.busName) { return }
            throw SecretServiceError(
                .serviceUnavailable,
                "no Secret Service on the session bus: nothing owns \(SecretServiceNames.busName) and the bus "
                    + "cannot start it; start a keyring daemon (gnome-keyring, KWallet, KeePassXC)")
        }
    }

    /// Whether secrets are encrypted on the bus (false only for a `plain` session).
    public var isSessionEncrypted: Bool {
        get async throws {
            try await perform("opening a Secret Service session") { try await $0.session().isEncrypted }
        }
    }

    /// Method calls (round trips) sent on the current connection, for benchmarks; 0 when not connected.
    public var methodCallsSent: Int {
        state?.connection.methodCallsSent ?? 0
    }

    /// Closes the connection, which ends the session; the next call opens new ones.
    public func disconnect() {
        changeWatch?.task.cancel()
        changeWatch = nil
        lookupCache.removeAll()
        state?.connection.close()  // ends the session too
        state = nil
    }

    /// The current state, or a new connection with its session opening in the background
    /// (the one ``prepareSession(connectingWith:)`` started, when it matches).
    func current() throws -> State {
        if let state, state.connection.isConnected { return state }
        state = nil
        lookupCache.removeAll()
        changeWatch?.task.cancel()
        changeWatch = nil
        let opened = try Self.takePreparedState(for: options) ?? Self.makeState(options)
        state = opened
        return opened
    }

    /// Opens a connection and starts opening its session. Nothing here waits for the bus:
    /// `Hello` goes out first, the key pair is computed on another thread meanwhile, and
    /// `OpenSession` follows once it is ready and the daemon has answered a readiness read.
    private static func makeState(_ options: Options) throws -> State {
        let connection: DBusConnection
        do {
            connection = try DBusConnection.open(
                to: options.bus, options: DBusConnection.Options(callTimeout: options.callTimeout))
        } catch {
            throw SecretServiceError.translating(error, "connecting to the session bus")
        }
        let keyPair = options.algorithm == .plain ? nil : takePreparedKeyPair() ?? startKeyPair()
        // On the connection's thread, which sends OpenSession the moment the key pair is ready
        // and the daemon has shown it is ready for it.
        let requested = Task(executorPreference: connection.executor) { () async throws -> SecretSession.Request in
            do {
                return try await SecretSession.request(on: connection, algorithm: options.algorithm, keyPair: keyPair)
            } catch {
                throw SecretServiceError.translating(error, "opening a Secret Service session")
            }
        }
        let opening = Task(executorPreference: connection.executor) { () async throws -> SecretSession in
            let request = try await requested.value
            do {
                return try await SecretSession.open(request, on: connection)
            } catch {
                throw SecretServiceError.translating(error, "opening a Secret Service session")
            }
        }
        unansweredSessions.withLock { unanswered in
            let id = unanswered.nextID
            unanswered.nextID += 1
            // Runs after this lock is released, so it always finds its own entry to remove. On the
            // connection's thread, which is awake for the answer anyway: a task on the global pool
            // would start a thread of its own just to wait.
            unanswered.waits[id] = Task(executorPreference: connection.executor) {
                _ = try? await opening.value
                _ = unansweredSessions.withLock { $0.waits.removeValue(forKey: id) }
            }
        }
        return State(connection: connection, requested: requested, opening: opening)
    }

    /// Session openings started by any client in this process, until answered.
    private static let unansweredSessions = Mutex<(nextID: UInt64, waits: [UInt64: Task<Void, Never>])>((0, [:]))

    /// Waits until the daemon has answered every `OpenSession` this process has sent (or the
    /// calls have failed or timed out).
    ///
    /// A program about to exit calls this after its last use of any client: gnome-keyring (42 to
    /// 50 at least) aborts, losing every client's session, when a client hangs up while its
    /// `OpenSession` is unanswered. After any reply from the daemon there is nothing to wait for;
    /// this matters when a program gives up before asking the daemon anything.
    public static func waitForSessionRequests() async {
        let pending = unansweredSessions.withLock { Array($0.waits.values) }
        for wait in pending { await wait.value }
    }

    /// A key pair being made ahead of the next session (``prepareSession()``).
    private static let preparedKeyPair = Mutex<Task<DHKeyPair, Never>?>(nil)

    /// Starts making, on another thread, what the next session needs before it can be
    /// requested: a Diffie-Hellman key pair, about 0.3 ms of exponentiation.
    ///
    /// For programs that will probably open a session soon, like a command-line tool about to
    /// look up a secret: called first thing, the key pair is ready by the time the program has
    /// read its arguments and connected. The key pair serves one session only, the next one
    /// this process opens, by any client.
    public static func prepareSession() {
        preparedKeyPair.withLock { prepared in
            if prepared == nil { prepared = startKeyPair() }
        }
    }

    /// A session key pair, computed on the sessions' own thread (``ThreadExecutor/sessionCrypto``).
    private static func startKeyPair() -> Task<DHKeyPair, Never> {
        Task.detached(executorPreference: ThreadExecutor.sessionCrypto) { DHKeyPair(group: .ietf1024) }
    }

    /// What the connection of a prepared state was opened with: a client adopts the state only
    /// when its own options give the same.
    private struct Preparation: Equatable {
        let address: String
        let algorithm: SessionAlgorithm
        let callTimeout: Duration

        init?(_ options: Options) {
            guard let address = try? options.bus.resolve() else { return nil }
            (self.address, algorithm, callTimeout) = (address, options.algorithm, options.callTimeout)
        }
    }

    /// A connection opening a session ahead of the first client (``prepareSession(connectingWith:)``).
    private static let preparedState = Mutex<(preparation: Preparation, state: State)?>(nil)

    /// Also connects to the bus and starts opening the session, for the next client created
    /// with options that name the same bus, algorithm and call timeout: that client's first
    /// call finds `OpenSession` already answered or on its way.
    ///
    /// For a short-lived program that knows it will use the Secret Service before it knows
    /// what for (a command-line tool that still has its configuration to read). Connecting has
    /// effects a program that ends up not using the Secret Service may not want: the bus may
    /// start a keyring daemon when it answers `OpenSession`.
    public static func prepareSession(connectingWith options: Options) {
        // The connection first: its thread connects and starts the handshake with the bus while
        // this one starts the key pair (makeState), rather than the other way round.
        let state: (Preparation, State)? = preparedState.withLock { prepared in
            guard prepared == nil, let preparation = Preparation(options), let state = try? makeState(options) else {
                return prepared
            }
            prepared = (preparation, state)
            return prepared
        }
        if state == nil { prepareSession() }
    }

    /// Whether a key pair or connection from ``prepareSession()`` or
    /// ``prepareSession(connectingWith:)`` waits for the next session; for tests.
    package static var hasPreparedSession: Bool {
        preparedKeyPair.withLock { $0 != nil } || preparedState.withLock { $0 != nil }
    }

    /// Whether a connection from ``prepareSession(connectingWith:)`` waits for a client; for tests.
    package static var hasPreparedConnection: Bool {
        preparedState.withLock { $0 != nil }
    }

    private static func takePreparedState(for options: Options) -> State? {
        preparedState.withLock { prepared in
            guard let (preparation, state) = prepared, Preparation(options) == preparation else { return nil }
            prepared = nil
            return state.connection.isConnected ? state : nil
        }
    }

    private static func takePreparedKeyPair() -> Task<DHKeyPair, Never>? {
        preparedKeyPair.withLock { prepared in
            defer { prepared = nil }
            return prepared
        }
    }

    private func invalidate(_ failed: State) {
        lookupCache.removeAll()
        guard let state, state.connection === failed.connection else { return }
        // Closing the connection ends the session too; no separate Close racing the hang-up.
        state.connection.close()
        self.state = nil
    }

    /// Runs `body` with the current connection and session, translating errors. A call refused
    /// with `NoSession` (the daemon restarted since the session opened) is retried once on a new
    /// session; a daemon that vanishes mid-call fails the call and resets the session.
    /// - Parameter needsDaemon: false for work that asks only the bus, which need not wait for
    ///   `OpenSession` to be on the wire before it.
    func perform<T: Sendable>(
        _ what: String, needsDaemon: Bool = true, _ body: @Sendable (State) async throws -> T
    ) async throws -> T {
        var retried = false
        while true {
            let state = try current()
            do {
                // Replies resume the operation on the connection's thread: no pool hop per round trip.
                return try await withTaskExecutorPreference(state.connection.executor) {
                    if needsDaemon { try await state.sessionRequested() }
                    return try await body(state)
                }
            } catch let failure as SessionOpeningError {
                // Already translated where the session was opened.
                invalidate(state)
                throw failure.underlying
            } catch {
                let translated = SecretServiceError.translating(error, what)
                guard let serviceError = translated as? SecretServiceError else { throw translated }
                switch serviceError.code {
                case .noSession where !retried:
                    invalidate(state)
                    retried = true
                    continue
                case .serviceVanished, .serviceUnavailable, .noSession:
                    invalidate(state)
                default:
                    break
                }
                throw translated
            }
        }
    }

    // MARK: - Prompts

    nonisolated func prompt(_ path: DBusObjectPath, _ state: State) -> SecretPrompt {
        SecretPrompt(path: path, connection: state.connection, windowID: options.windowID, defaultTimeout: options.promptTimeout)
    }

    /// Completes `path` if it is a prompt, according to the prompt policy.
    /// - Parameter refusal: the error to throw when prompts are not allowed.
    func completePrompt(_ path: DBusObjectPath, _ state: State, refusal: @autoclosure () -> SecretServiceError) async throws -> DBusValue? {
        guard path != .root else { return nil }
        guard options.allowsPrompts else {
            // Never shown, so dismissing is safe; it frees the daemon's prompt object.
            try? PromptProxy(connection: state.connection, path: path).dismissNoReply()
            throw refusal()
        }
        return try await prompt(path, state).complete()
    }

    // MARK: - Service

    /// Every collection (property `Collections`).
    /// - Throws: ``SecretServiceError``.
    public func collections() async throws -> [SecretCollection] {
        try await perform("listing collections") { state in
            try await ServiceProxy(connection: state.connection).collections()
        }.map { SecretCollection(client: self, path: $0) }
    }

    /// The collection an alias points to (`ReadAlias`), or `nil` when the alias is not set.
    /// - Throws: ``SecretServiceError``.
    public func collection(alias: String) async throws -> SecretCollection? {
        let path = try await perform("reading alias '\(alias)'") { state in
            try await ServiceProxy(connection: state.connection).readAlias(alias)
        }
        return path == .root ? nil : SecretCollection(client: self, path: path)
    }

    /// Points an alias at a collection, or removes it with `nil` (`SetAlias`).
    /// - Throws: ``SecretServiceError``.
    public func setAlias(_ alias: String, to collection: SecretCollection?) async throws {
        try await perform("setting alias '\(alias)'") { state in
            try await ServiceProxy(connection: state.connection).setAlias(alias, collection: collection?.path ?? .root)
        }
    }

    /// The default collection: the `default` alias, else the `login` collection.
    /// - Throws: ``SecretServiceError`` `.noDefaultCollection` when neither exists (a fresh or odd
    ///   setup); ``createCollection(label:alias:)`` with alias `default` makes one.
    public func defaultCollection() async throws -> SecretCollection {
        if let collection = try await collection(alias: "default") { return collection }
        let paths = try await perform("listing collections") { state in
            try await ServiceProxy(connection: state.connection).collections()
        }
        if paths.contains(SecretServiceNames.loginCollectionPath) {
            return SecretCollection(client: self, path: SecretServiceNames.loginCollectionPath)
        }
        throw SecretServiceError(
            .noDefaultCollection,
            "the Secret Service has no default collection (no 'default' alias and no 'login' collection); "
                + "create one, for example with `keyring create default` or your desktop's keyring manager")
    }

    /// Creates a collection (`CreateCollection`), completing its prompt (the daemon asks for a password).
    /// - Parameters:
    ///   - label: the name people see.
    ///   - alias: an alias to point at it (`"default"`), or `""`.
    /// - Throws: ``SecretServiceError`` `.promptRequired` when prompts are not allowed, `.promptDismissed`,
    ///   `.promptTimedOut`.
    public func createCollection(label: String, alias: String = "") async throws -> SecretCollection {
        let path = try await perform("creating collection '\(label)'") { state -> DBusObjectPath in
            let (path, prompt) = try await ServiceProxy(connection: state.connection).createCollection(
                properties: ["org.freedesktop.Secret.Collection.Label": .string(label)], alias: alias)
            guard path == .root else { return path }
            let result = try await self.completePrompt(prompt, state, refusal: SecretServiceError(
                .promptRequired, "creating collection '\(label)' needs a password prompt, and prompts are disabled"))
            return try result?.asObjectPath() ?? .root
        }
        guard path != .root else {
            throw SecretServiceError(.failed, "creating collection '\(label)' returned no collection")
        }
        return SecretCollection(client: self, path: path)
    }

    /// Items whose attributes include `attributes`, in every collection (`SearchItems`).
    /// - Throws: ``SecretServiceError``.
    public func searchItems(_ attributes: [String: String]) async throws -> (unlocked: [SecretItem], locked: [SecretItem]) {
        let (unlocked, locked) = try await perform("searching items") { state in
            try await ServiceProxy(connection: state.connection).searchItems(attributes)
        }
        return (unlocked.map { SecretItem(client: self, path: $0) }, locked.map { SecretItem(client: self, path: $0) })
    }

    /// Starts unlocking (`Unlock`) without completing any prompt: for callers that drive the
    /// prompt themselves.
    /// - Returns: what was unlocked at once, and the prompt for the rest (or `nil`).
    /// - Throws: ``SecretServiceError``.
    public func requestUnlock(_ objects: [DBusObjectPath]) async throws -> (unlocked: [DBusObjectPath], prompt: SecretPrompt?) {
        try await perform("unlocking") { state in
            let (done, prompt) = try await ServiceProxy(connection: state.connection).unlock(objects)
            return (done, prompt == .root ? nil : self.prompt(prompt, state))
        }
    }

    /// Unlocks collections or items (`Unlock`), completing the prompt if the policy allows.
    /// - Returns: the objects now unlocked.
    /// - Throws: ``SecretServiceError`` `.locked` (naming the object and how to unlock it) when a
    ///   prompt is needed and prompts are disabled; `.promptDismissed`; `.promptTimedOut`.
    @discardableResult
    public func unlock(_ objects: [DBusObjectPath]) async throws -> [DBusObjectPath] {
        try await perform("unlocking") { state in
            let (done, prompt) = try await ServiceProxy(connection: state.connection).unlock(objects)
            let names = objects.map { SecretServiceClient.displayName($0) }.joined(separator: ", ")
            let result: DBusValue?
            do {
                result = try await self.completePrompt(prompt, state, refusal: SecretServiceError(
                    .locked,
                    "\(names) is locked, and unlocking it needs a prompt, which is not allowed here; unlock it first "
                        + "(for example by logging in to the desktop session), or allow prompts"))
            } catch let error as SecretServiceError where error.code == .promptDismissed {
                throw SecretServiceError(
                    .locked,
                    "\(names) is locked and was not unlocked: the unlock prompt was dismissed (cancelled, or the "
                        + "Secret Service could not show it: no prompter or desktop session)", underlying: error.underlying)
            }
            guard let result else { return done }
            return done + (try result.asObjectPaths())
        }
    }

    /// Locks collections or items (`Lock`).
    /// - Returns: the objects now locked.
    /// - Throws: ``SecretServiceError``.
    @discardableResult
    public func lock(_ objects: [DBusObjectPath]) async throws -> [DBusObjectPath] {
        try await perform("locking") { state in
            let (done, prompt) = try await ServiceProxy(connection: state.connection).lock(objects)
            guard let result = try await self.completePrompt(prompt, state, refusal: SecretServiceError(
                .promptRequired, "locking needs a prompt, and prompts are disabled"))
            else { return done }
            return done + (try result.asObjectPaths())
        }
    }

    /// The secrets of many items in one round trip (`GetSecrets`). Locked items are left out.
    /// - Throws: ``SecretServiceError``.
    public func secrets(for items: [SecretItem]) async throws -> [DBusObjectPath: Secret] {
        guard !items.isEmpty else { return [:] }
        return try await perform("reading \(items.count) secrets") { state in
            let session = try await state.session()
            let entries = try await ServiceProxy(connection: state.connection).getSecrets(
                items.map(\.path), session: session.path)
            var out: [DBusObjectPath: Secret] = [:]
            for entry in entries {
                out[try entry.key.asObjectPath()] = try await session.decode(entry.value)
            }
            return out
        }
    }

    /// The secret of an item matching `attributes` in any collection, or `nil`.
    ///
    /// Items in the default collection win over items elsewhere, unlocked over locked. Two round
    /// trips when the item is unlocked: `SearchItems`, then `GetSecret`, sent from the
    /// connection's thread the moment the search is answered. `ReadAlias` travels right behind
    /// the search and is waited for only when matches are in more than one collection. A locked
    /// match is unlocked according to the prompt policy.
    ///
    /// A repeated lookup of the same attributes takes one round trip: the item found last time
    /// is read directly, and the result is used only if no Secret Service signal (an item
    /// created, changed or deleted, a collection locked) arrived since the search that found it.
    /// - Throws: ``SecretServiceError`` `.locked` when only locked items match and prompts are disabled.
    public func lookup(_ attributes: [String: String]) async throws -> Secret? {
        if let cached = lookupCache[attributes], let secret = await readCached(cached) { return secret }
        let repeated = lookupCache.keys.contains(attributes)
        lookupCache[attributes] = nil
        if repeated { await watchForChanges() }
        let found = try await perform("looking up an item") { state -> LookupResult in
            let signals = state.connection.signalsDelivered
            let service = ServiceProxy(connection: state.connection)
            let search = try service.startSearchItems(attributes)
            let alias = try service.startReadAlias("default")
            let (unlocked, locked) = try ServiceProxy.searchItemsResult(await search.reply())
            // The alias decides only between collections. Its answer is awaited either way, after
            // GetSecret when it does not decide (answered in order, it costs no wait then): a
            // client that hangs up with calls unanswered has been seen to make gnome-keyring
            // abort (docs/cli.md, Speed).
            let aliasDecides = Set((unlocked + locked).map(Self.collectionPart)).count > 1
            var preferred: DBusObjectPath?
            if aliasDecides {
                let named = try? ServiceProxy.readAliasResult(await alias.reply())
                preferred = named.flatMap { $0 == .root ? nil : $0 } ?? SecretServiceNames.loginCollectionPath
            }
            let inPreferred = { (path: DBusObjectPath) in
                preferred.map { Self.collectionPart(path) == $0.rawValue[...] } ?? true
            }
            let found: LookupResult
            if let candidate = unlocked.first(where: inPreferred) ?? locked.first(where: inPreferred)
                ?? unlocked.first ?? locked.first {
                if unlocked.contains(candidate) {
                    found = .unlocked(candidate, try await state.secret(of: candidate), signals: signals)
                } else {
                    found = .locked(candidate)
                }
            } else {
                found = .none
            }
            if !aliasDecides { _ = try? await alias.reply() }
            return found
        }
        switch found {
        case .none:
            return nil
        case .unlocked(let item, let secret, let signals):
            lookupCache[attributes] = (item, signals)
            return secret
        case .locked(let item):
            try await unlock([item])
            return try await SecretItem(client: self, path: item).secret()
        }
    }

    /// What the search of ``lookup(_:)`` found.
    private enum LookupResult: Sendable {
        case none
        /// An unlocked item, its secret, and the signal count before the search.
        case unlocked(DBusObjectPath, Secret, signals: Int)
        case locked(DBusObjectPath)
    }

    /// The collection part of an item's path: everything before its last `/`.
    private static func collectionPart(_ item: DBusObjectPath) -> Substring {
        let path = item.rawValue
        return path[..<(path.lastIndex(of: "/") ?? path.endIndex)]
    }

    /// The cached item's secret, or `nil` when the cache cannot be trusted or the read fails.
    private func readCached(_ entry: (path: DBusObjectPath, signals: Int)) async -> Secret? {
        guard let state, state.connection.isConnected, let watch = changeWatch, watch.connection === state.connection,
            state.connection.signalsDelivered == entry.signals
        else { return nil }
        let read = { try await state.secret(of: entry.path) }
        guard let secret = try? await withTaskExecutorPreference(state.connection.executor, operation: read),
            state.connection.signalsDelivered == entry.signals
        else { return nil }
        return secret
    }

    /// Subscribes to every Secret Service signal on the current connection, once.
    private func watchForChanges() async {
        guard let state, changeWatch?.connection !== state.connection else { return }
        guard let signals = try? await state.connection.signals(matching: DBusMatchRule(
            sender: SecretServiceNames.busName, pathNamespace: SecretServiceNames.servicePath))
        else { return }
        // Drain the stream: the count on the connection is what matters.
        changeWatch = (state.connection, Task { for await _ in signals {} })
    }

    /// The last element of a collection or item path, for messages ("'login'").
    static func displayName(_ path: DBusObjectPath) -> String {
        let elements = path.rawValue.split(separator: "/")
        if let index = elements.firstIndex(of: "collection"), index + 1 < elements.count {
            let collection = elements[index + 1]
            if index + 2 < elements.count { return "item \(elements[index + 2]) in collection '\(collection)'" }
            return "collection '\(collection)'"
        }
        return "'\(path.rawValue)'"
    }

    // MARK: - gnome-keyring's prompt-free interface

    /// Creates a collection protected by `password`, with no prompt (gnome-keyring only,
    /// `CreateWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.notSupported` on other daemons.
    public func createCollection(label: String, masterPassword: Secret, alias: String = "") async throws -> SecretCollection {
        let path = try await perform("creating collection '\(label)'") { state in
            try await ServiceProxy(connection: state.connection).createWithMasterPassword(
                properties: ["org.freedesktop.Secret.Collection.Label": .string(label)],
                password: try await state.session().encode(masterPassword))
        }
        let collection = SecretCollection(client: self, path: path)
        if !alias.isEmpty { try await setAlias(alias, to: collection) }
        return collection
    }

    /// Unlocks a collection with its password, with no prompt (gnome-keyring only, `UnlockWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.denied` for a wrong password.
    public func unlock(_ collection: SecretCollection, masterPassword: Secret) async throws {
        try await perform("unlocking \(Self.displayName(collection.path))") { state in
            try await ServiceProxy(connection: state.connection).unlockWithMasterPassword(
                collection.path, password: try await state.session().encode(masterPassword))
        }
    }

    /// Changes a collection's password, with no prompt (gnome-keyring only, `ChangeWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.denied` when `old` is wrong.
    public func changeMasterPassword(of collection: SecretCollection, from old: Secret, to new: Secret) async throws {
        try await perform("changing the password of \(Self.displayName(collection.path))") { state in
            try await ServiceProxy(connection: state.connection).changeWithMasterPassword(
                collection.path, old: try await state.session().encode(old), new: try await state.session().encode(new))
        }
    }
}
