public import KeyringDBus
internal import KeyringSystem
internal import KeyringDH

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
        public init(sessionBusIn environment: [String: String], allowsPrompts: Bool = true) throws(SecretServiceError) {
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

        /// Why the session could not be opened, when the daemon left with `OpenSession` unanswered
        /// (`.serviceVanished`); `nil` otherwise. Waits for `OpenSession`'s answer.
        func vanishedWhileOpening() async -> SecretServiceError? {
            do {
                _ = try await opening.value
                return nil
            } catch let error as SecretServiceError where error.code == .serviceVanished {
                return error
            } catch {
                return nil
            }
        }

        /// Ends the connection (and with it the session) once the daemon has answered
        /// `OpenSession` (or the call has failed or run past the call timeout), and waits for
        /// that: gnome-keyring (42 to 50 at least) aborts, losing every client's session, when a
        /// client hangs up while its `OpenSession` is unanswered.
        func close() async {
            _ = try? await opening.value
            connection.close()
        }

        /// ``close()`` without waiting, on the connection's thread, which is awake for the
        /// answer anyway.
        func closeWhenAnswered() {
            Task(executorPreference: connection.executor) { await close() }
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
    var state: State?
    /// Items found by earlier lookups, reused while no Secret Service signal says anything changed.
    /// Each entry keeps the connection's signal count from before the search that found it.
    var lookupCache: [[String: String]: (path: DBusObjectPath, signals: Int)] = [:]
    /// The subscription that keeps ``lookupCache`` honest, per connection; started on the first
    /// repeated lookup, so a one-shot lookup pays no extra round trip.
    var changeWatch: (connection: DBusConnection, task: Task<Void, Never>)?

    /// What was prepared for this client's first session, if anything.
    private let preparation: SecretServicePreparation?

    /// A client; nothing is connected until the first call.
    /// - Parameters:
    ///   - options: the bus, deadlines and prompt policy.
    ///   - preparation: a key pair, or a connection with its session opening, made ahead of
    ///     the first call (``SecretServicePreparation``); used once, by the first session.
    public init(options: Options = Options(), preparation: SecretServicePreparation? = nil) {
        self.options = options
        self.preparation = preparation
    }

    deinit {
        changeWatch?.task.cancel()
        // The session dies with the connection: no separate Close racing the hang-up.
        state?.closeWhenAnswered()
    }

    // MARK: - Connection and session

    /// Connects and opens the session now instead of on the first call.
    /// - Throws: ``SecretServiceError`` `.serviceUnavailable` when there is no bus or no daemon.
    public func connect() async throws(SecretServiceError) {
        try await perform("opening a Secret Service session") { _ = try await $0.session() }
    }

    /// Checks that a Secret Service runs on the bus, or that the bus can start one: the check
    /// Python keyring makes (through secretstorage) before it picks its Secret Service backend.
    ///
    /// Faster than ``connect()``: the bus answers, not the daemon. The connection and the session
    /// it starts are kept, so the calls that follow find them under way.
    /// - Throws: ``SecretServiceError`` `.serviceUnavailable` when there is no bus, or when
    ///   nothing owns `org.freedesktop.secrets` and the bus cannot start it.
    public func checkAvailability() async throws(SecretServiceError) {
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
        get async throws(SecretServiceError) {
            try await perform("opening a Secret Service session") { try await $0.session().isEncrypted }
        }
    }

    /// Method calls (round trips) sent on the current connection, for benchmarks; 0 when not connected.
    public var methodCallsSent: Int {
        state?.connection.methodCallsSent ?? 0
    }

    /// Closes the connection, which ends the session, without waiting (see ``close()``); the
    /// next call opens new ones.
    public func disconnect() {
        changeWatch?.task.cancel()
        changeWatch = nil
        lookupCache.removeAll()
        state?.closeWhenAnswered()  // ends the session too
        state = nil
    }

    /// The current state, or a new connection with its session opening in the background
    /// (the one the client's ``SecretServicePreparation`` started, when it has one for this bus).
    func current() throws -> State {
        if let state, state.connection.isConnected { return state }
        state = nil
        lookupCache.removeAll()
        changeWatch?.task.cancel()
        changeWatch = nil
        let opened =
            try preparation?.takeState(for: options)
            ?? Self.makeState(options, keyPair: options.algorithm == .plain ? nil : preparation?.takeKeyPair())
        state = opened
        return opened
    }

    /// Opens a connection and starts opening its session. Nothing here waits for the bus:
    /// `Hello` goes out first, the key pair is computed on another thread meanwhile, and
    /// `OpenSession` follows once it is ready and the daemon has answered a readiness read.
    /// - Parameter keyPair: a key pair made beforehand, or `nil` to start one (DH only).
    static func makeState(_ options: Options, keyPair prepared: Task<DHKeyPair, Never>?) throws -> State {
        let connection: DBusConnection
        do {
            connection = try DBusConnection.open(
                to: options.bus, options: DBusConnection.Options(callTimeout: options.callTimeout))
        } catch {
            throw SecretServiceError.translating(error, "connecting to the session bus")
        }
        let keyPair = options.algorithm == .plain ? nil : prepared ?? startKeyPair()
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
        return State(connection: connection, requested: requested, opening: opening)
    }

    /// A session key pair, computed on the sessions' own thread (``ThreadExecutor/sessionCrypto``).
    static func startKeyPair() -> Task<DHKeyPair, Never> {
        Task.detached(executorPreference: ThreadExecutor.sessionCrypto) { SecretSession.makeKeyPair() }
    }

    /// Closes the connection, which ends the session, once nothing the daemon must answer is
    /// outstanding, and waits for that (at most the call timeout). The next call opens a new
    /// connection.
    ///
    /// A program about to exit calls this after its last use of the client (releasing the
    /// client closes the same way, without waiting: a process that exits right away may still
    /// hang up too early).
    public func close() async {
        changeWatch?.task.cancel()
        changeWatch = nil
        lookupCache.removeAll()
        guard let state else { return }
        self.state = nil
        await state.close()
    }

    private func invalidate(_ failed: State) {
        lookupCache.removeAll()
        guard let state, state.connection === failed.connection else { return }
        // Closing the connection ends the session too; no separate Close racing the hang-up.
        state.closeWhenAnswered()
        self.state = nil
    }

    /// How many new sessions ``perform(_:needsDaemon:_:)`` opens, one after another, when a
    /// session cannot carry secrets (``SecretSession/SessionUnusable``, one session in 256):
    /// all of them unusable happens once in 256^8.
    static let sessionReplacements = 8

    /// Runs `body` with the current connection and session, translating errors. A call refused
    /// with `NoSession` (the daemon restarted since the session opened) is retried once on a new
    /// session, and so is a body whose session cannot carry secrets (``SecretSession/SessionUnusable``,
    /// found before anything secret is sent or read); a daemon that vanishes mid-call fails the
    /// call and resets the session.
    /// - Parameter needsDaemon: false for work that asks only the bus, which need not wait for
    ///   `OpenSession` to be on the wire before it.
    func perform<T: Sendable>(
        _ what: String, needsDaemon: Bool = true, _ body: @Sendable (State) async throws -> T
    ) async throws(SecretServiceError) -> T {
        var retried = false
        var replacements = 0
        while true {
            let state: State
            do { state = try current() } catch { throw SecretServiceError.translating(error, what) }
            do {
                // Replies resume the operation on the connection's thread: no pool hop per round trip.
                return try await withTaskExecutorPreference(state.connection.executor) {
                    if needsDaemon { try await state.sessionRequested() }
                    return try await body(state)
                }
            } catch is SecretSession.SessionUnusable where replacements < Self.sessionReplacements {
                // A new connection, a new session: the body has sent nothing secret, and what it
                // read it reads again.
                invalidate(state)
                replacements += 1
                continue
            } catch is SecretSession.SessionUnusable {
                invalidate(state)
                throw SecretServiceError(
                    .protocolViolation,
                    "\(what): \(Self.sessionReplacements + 1) sessions in a row had a shared secret with a zero top byte")
            } catch let failure as SessionOpeningError {
                // Already translated where the session was opened.
                invalidate(state)
                throw SecretServiceError.translating(failure.underlying, what)
            } catch {
                let translated = SecretServiceError.translating(error, what)
                switch translated.code {
                case .noSession where !retried:
                    invalidate(state)
                    retried = true
                    continue
                case .serviceUnavailable where needsDaemon:
                    // A call sent right behind OpenSession finds nobody (ServiceUnknown) when the
                    // daemon left with OpenSession in flight; OpenSession's answer (NoReply), which
                    // arrived first, tells what happened.
                    let vanished = await state.vanishedWhileOpening()
                    invalidate(state)
                    if let vanished { throw vanished }
                case .serviceVanished, .serviceUnavailable, .noSession:
                    invalidate(state)
                default:
                    break
                }
                throw translated
            }
        }
    }
}
