/// A connection to a D-Bus bus (or peer), with async method calls, signal streams and exported
/// objects.
///
/// Each connection owns one thread that does all libdbus work; callers suspend on
/// continuations and the cooperative thread pool never blocks. Many calls may be in flight at
/// once; each is resumed by its own reply, its deadline, or the cancellation of its task.
/// The connection closes when the last reference to it goes away or ``close()`` is called.
public final class DBusConnection: Sendable {
    /// Settings for a connection.
    public struct Options: Sendable {
        /// The deadline for a method call that does not give its own. libdbus uses 25 s.
        public var callTimeout: Duration
        /// The deadline for connecting and registering on the bus.
        public var connectTimeout: Duration

        public init(callTimeout: Duration = .seconds(25), connectTimeout: Duration = .seconds(5)) {
            self.callTimeout = callTimeout
            self.connectTimeout = connectTimeout
        }
    }

    let worker: ConnectionWorker
    /// The options the connection was opened with.
    public let options: Options

    private init(worker: ConnectionWorker, options: Options) {
        self.worker = worker
        self.options = options
    }

    /// The bus-assigned unique name (`:1.42`); `nil` on a peer-to-peer connection, and on a
    /// connection from ``open(to:options:)`` until the bus has answered `Hello`.
    public var uniqueName: String? {
        worker.uniqueName
    }

    deinit {
        worker.enqueue(.close)
    }

    /// Connects to a bus and registers on it (`org.freedesktop.DBus.Hello`).
    /// - Parameters:
    ///   - bus: `.session` (default), `.system`, or an explicit address.
    ///   - options: deadlines.
    /// - Throws: ``DBusError`` `.noBus` when no bus can be found, `.connectionFailed` when it
    ///   cannot be reached, `.timedOut` when it does not answer in time.
    public static func connect(to bus: DBusBus = .session, options: Options = Options()) async throws(DBusError)
        -> DBusConnection
    {
        let address = try bus.resolve()
        return try await connect(address: address, register: true, options: options)
    }

    /// Connects to an address; `register: false` makes a peer-to-peer connection (no `Hello`).
    /// - Throws: ``DBusError``.
    public static func connect(address: String, register: Bool, options: Options = Options()) async throws(DBusError)
        -> DBusConnection
    {
        let connection = try open(address: address, register: register, options: options)
        guard register else { return connection }
        do {
            _ = try await connection.registration()
            return connection
        } catch {
            connection.close()
            throw error
        }
    }

    /// Starts connecting to a bus and returns at once, without waiting for the bus to answer.
    ///
    /// `Hello` is the first message on the connection, and calls made meanwhile go out right
    /// behind it, in order: a program's first requests are on the wire one round trip earlier
    /// than after ``connect(to:options:)``. When the bus cannot be reached or refuses `Hello`,
    /// those calls fail with the reason (`.connectionFailed`, `.timedOut`).
    /// - Throws: ``DBusError`` `.noBus` when no bus address can be found.
    public static func open(to bus: DBusBus = .session, options: Options = Options()) throws(DBusError) -> DBusConnection {
        try open(address: bus.resolve(), register: true, options: options)
    }

    private static func open(address: String, register: Bool, options: Options) throws(DBusError) -> DBusConnection {
        let worker = try ConnectionWorker(address: address, registrationTimeout: register ? options.connectTimeout : nil)
        return DBusConnection(worker: worker, options: options)
    }

    /// Waits until the bus has answered `Hello`.
    /// - Returns: the unique name.
    /// - Throws: ``DBusError``: why the connection failed or closed.
    public func registration() async throws(DBusError) -> String {
        guard worker.isBus else { throw DBusError(.invalidArgument, "a peer-to-peer connection does not register") }
        if let name = uniqueName { return name }
        let result = await withUnsafeContinuation { (continuation: ConnectionWorker.RegistrationWaiter) in
            if let reason = worker.enqueue(.whenRegistered(continuation)) {
                continuation.resume(returning: .failure(reason))
            }
        }
        return try result.get()
    }

    /// Closes the connection: calls in flight fail with `.closed`, signal streams end.
    public func close() {
        worker.enqueue(.close)
    }

    /// Whether the connection is still open (not closed, not lost).
    public var isConnected: Bool {
        worker.closedReason == nil
    }

    /// Why the connection is no longer usable, or `nil` while it is.
    public var closedReason: DBusError? {
        worker.closedReason
    }

    /// This connection's thread as a task executor.
    ///
    /// Code that awaits replies runs fastest here: with
    /// `withTaskExecutorPreference(connection.executor) { ... }`, a reply resumes its caller on
    /// the connection's own thread (default actors included), with no hop to Swift's thread pool
    /// and back. Only for code that awaits: anything that blocks this thread stalls the connection.
    /// After the connection closes, work goes to the global concurrent executor.
    public var executor: any TaskExecutor { worker }

    /// How many method calls this connection has sent so far (each one a round trip), for
    /// benchmarks and diagnostics.
    public var methodCallsSent: Int {
        worker.sentCount.load(ordering: .relaxed)
    }

    /// How many received signals have matched a subscription so far. The connection's thread
    /// counts a signal before it resumes any reply that arrived after it, so a value read before
    /// a call and again after its reply tells whether a matching signal came in between.
    public var signalsDelivered: Int {
        worker.signalCount.load(ordering: .sequentiallyConsistent)
    }

    // MARK: - Method calls

    /// Calls a method and waits for its reply.
    /// - Parameters:
    ///   - destination: the bus name of the peer (`nil` on a peer-to-peer connection).
    ///   - path: the object.
    ///   - interface: the interface, or `nil` to let the peer choose.
    ///   - member: the method name.
    ///   - arguments: the arguments; their types make the signature.
    ///   - timeout: this call's deadline; ``Options/callTimeout`` when `nil`.
    /// - Returns: the method-return message; check its signature with ``DBusMessage/body(matching:)``.
    /// - Throws: ``DBusError`` `.remote` for an error reply (with its name), `.timedOut`,
    ///   `.disconnected`, `.closed`, `.invalidArgument`; `.cancelled` when the task is cancelled.
    @discardableResult
    public func call(
        destination: String?, path: DBusObjectPath, interface: String?, member: String,
        arguments: [DBusValue] = [], timeout: Duration? = nil
    ) async throws(DBusError) -> DBusMessage {
        if Task.isCancelled { throw DBusError.cancelled("calling \(member)") }
        return try await startCall(
            destination: destination, path: path, interface: interface, member: member, arguments: arguments,
            timeout: timeout
        ).reply()
    }

    /// Queues a method call and returns without waiting for its reply: calls reach the peer in
    /// the order they were started (or called), so a program can put several on the wire before
    /// the first is answered, in an order it chooses.
    /// - Parameters: as for ``call(destination:path:interface:member:arguments:timeout:)``; the
    ///   deadline runs from now.
    /// - Returns: the reply to come.
    /// - Throws: ``DBusError`` `.invalidArgument` for arguments that cannot be sent. Why the
    ///   connection is closed comes from ``DBusPendingReply/reply()``.
    public func startCall(
        destination: String?, path: DBusObjectPath, interface: String?, member: String,
        arguments: [DBusValue] = [], timeout: Duration? = nil
    ) throws(DBusError) -> DBusPendingReply {
        let message = try OutgoingMessage.methodCall(
            destination: destination, path: path, interface: interface, member: member, body: arguments)
        return Self.start(message, on: worker, timeout: timeout ?? options.callTimeout)
    }

    /// Sends a method call without waiting for (or wanting) a reply.
    /// - Throws: ``DBusError`` `.invalidArgument`, or the reason the connection is closed.
    public func callNoReply(
        destination: String?, path: DBusObjectPath, interface: String?, member: String, arguments: [DBusValue] = []
    ) throws(DBusError) {
        var message = try OutgoingMessage.methodCall(
            destination: destination, path: path, interface: interface, member: member, body: arguments)
        message.noReplyExpected = true
        if let reason = worker.enqueue(.send(message)) { throw reason }
    }

    private static func start(_ message: OutgoingMessage, on worker: ConnectionWorker, timeout: Duration) -> DBusPendingReply {
        let reply = DBusPendingReply(id: worker.makeID(), worker: worker)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        if let reason = worker.enqueue(.call(id: reply.id, message, deadline: deadline, reply)) {
            reply.complete(.failure(reason))
        }
        return reply
    }

    // MARK: - Signals

    /// Subscribes to signals: adds the match rule on the bus, then delivers every matching
    /// signal to the returned stream, in order. The rule is removed when the stream ends (the
    /// consumer stops iterating or its task is cancelled); the stream ends when the connection closes.
    ///
    /// Signals are believed only from the sender the rule names. A well-known name is first
    /// resolved to its current owner (`GetNameOwner`) and the subscription is pinned to that
    /// unique name: a signal from any other connection, including one sent after the name
    /// changed hands, is dropped. The bus's own signals come only from
    /// ``DBusMatchRule/busName``, which no client can forge.
    /// - Returns: once the bus has accepted the rule, so no signal sent afterwards is missed.
    /// - Throws: ``DBusError`` when the rule is invalid or the bus refuses it; `.remote` with
    ///   `NameHasNoOwner` when the rule names a well-known sender nobody owns.
    public func signals(matching rule: DBusMatchRule) async throws(DBusError) -> AsyncStream<DBusMessage> {
        try rule.validate()
        var rule = rule
        if worker.isBus, let sender = rule.sender, !sender.hasPrefix(":"), sender != DBusMatchRule.busName {
            guard let owner = try await nameOwner(sender) else {
                throw DBusError.remote(name: DBusError.Name.nameHasNoOwner, message: "nobody owns \(sender) on the bus")
            }
            rule.sender = owner
        }
        let id = worker.makeID()
        let (stream, continuation) = AsyncStream<DBusMessage>.makeStream()
        let ruleText = rule.text
        let worker = self.worker
        continuation.onTermination = { _ in
            worker.enqueue(.unsubscribe(id: id, ruleText: ruleText))
        }
        if let reason = worker.enqueue(.subscribe(id: id, rule, continuation)) {
            continuation.finish()
            throw reason
        }
        if worker.isBus {
            do {
                try await callBus("AddMatch", [.string(ruleText)])
            } catch {
                continuation.finish()
                throw error
            }
        }
        return stream
    }

    /// Emits a signal from this connection.
    /// - Parameter destination: a unique name for a unicast signal, or `nil` to broadcast.
    /// - Throws: ``DBusError`` `.invalidArgument`, or the reason the connection is closed.
    public func emitSignal(
        path: DBusObjectPath, interface: String, member: String, arguments: [DBusValue] = [], destination: String? = nil
    ) throws(DBusError) {
        let message = try OutgoingMessage.signal(
            path: path, interface: interface, member: member, destination: destination, body: arguments)
        if let reason = worker.enqueue(.send(message)) { throw reason }
    }

    // MARK: - Exported objects

    /// Serves method calls on `path` for `interface` with `handler`, until ``unexport(path:interface:)``.
    ///
    /// The handler runs as its own task for each call; what it returns is the reply, what it
    /// throws becomes an error reply (with the ``DBusError``'s name, or
    /// `org.freedesktop.DBus.Error.Failed` when it has none). `org.freedesktop.DBus.Peer` is answered by libdbus.
    /// - Throws: ``DBusError`` `.invalidArgument` for a bad interface name, or the reason the connection is closed.
    public func export(path: DBusObjectPath, interface: String, handler: @escaping DBusMethodHandler) throws(DBusError) {
        guard DBusNames.isValidInterface(interface) else {
            throw DBusError(.invalidArgument, "invalid interface name '\(interface)'")
        }
        if let reason = worker.enqueue(.export(path: path, interface: interface, handler)) { throw reason }
    }

    /// Stops serving `interface` on `path`.
    public func unexport(path: DBusObjectPath, interface: String) {
        worker.enqueue(.unexport(path: path, interface: interface))
    }

    // MARK: - The bus itself

    @discardableResult
    func callBus(_ member: String, _ arguments: [DBusValue] = [], timeout: Duration? = nil) async throws(DBusError)
        -> DBusMessage
    {
        try await call(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            member: member, arguments: arguments, timeout: timeout)
    }
}
