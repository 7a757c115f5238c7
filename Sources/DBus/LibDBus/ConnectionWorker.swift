// The thread that owns one libdbus connection. Everything that touches the connection runs here;
// callers hand it commands through a locked queue and a wake-up descriptor, and are resumed
// through continuations. Swift's cooperative pool never blocks on libdbus.

internal import CDBus
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves a method call received on an exported object; returns the reply's arguments or
/// throws (a ``DBusError`` with a `name` becomes that D-Bus error).
public typealias DBusMethodHandler = @Sendable (DBusMessage) async throws -> [DBusValue]

final class ConnectionWorker: TaskExecutor, @unchecked Sendable {
    enum Command {
        case call(id: UInt64, OutgoingMessage, deadline: ContinuousClock.Instant, DBusPendingReply)
        case send(OutgoingMessage)
        case cancel(id: UInt64)
        case subscribe(id: UInt64, DBusMatchRule, AsyncStream<DBusMessage>.Continuation)
        case unsubscribe(id: UInt64, ruleText: String)
        case export(path: DBusObjectPath, interface: String, DBusMethodHandler)
        case unexport(path: DBusObjectPath, interface: String)
        /// Resumes with the unique name once `Hello` is answered (at once if it already was).
        case whenRegistered(UnsafeContinuation<String, any Error>)
        case close
    }

    private struct Shared {
        var commands: [Command] = []
        /// Jobs of tasks that prefer this connection's thread as their executor.
        var jobs: [UnownedJob] = []
        var sleeping = false
        var closedReason: DBusError?
        /// The name the bus gave in its reply to `Hello`.
        var uniqueName: String?
    }

    private struct PendingCall {
        /// Who waits for the reply: a caller, or the worker itself for `Hello`.
        enum Waiter {
            case caller(DBusPendingReply)
            case registration
        }

        var id: UInt64
        var waiter: Waiter
        var deadline: ContinuousClock.Instant
        var summary: String
    }

    private let shared = Mutex(Shared())
    private let nextID = Atomic<UInt64>(1)
    /// Messages written to the connection (calls, replies, signals), for benchmarks and diagnostics.
    let sentCount = Atomic<Int>(0)
    /// Signals delivered to at least one stream, counted on this thread before any is yielded.
    let signalCount = Atomic<Int>(0)
    private let address: String
    /// The deadline for the bus's answer to `Hello`; `nil` on a peer-to-peer connection (no `Hello`).
    private let registrationTimeout: Duration?
    private let wakeFD: Int32

    // State below is touched only by the worker thread.
    private var connection: OpaquePointer?
    private var pending: [UInt32: PendingCall] = [:]
    private var serialForID: [UInt64: UInt32] = [:]
    private var earliestDeadline: ContinuousClock.Instant?
    private var subscriptions: [UInt64: (rule: DBusMatchRule, continuation: AsyncStream<DBusMessage>.Continuation)] = [:]
    private var exports: [DBusObjectPath: [String: DBusMethodHandler]] = [:]
    private var registrationWaiters: [UnsafeContinuation<String, any Error>] = []
    /// libdbus's watches on the socket. Whether each is enabled says what libdbus waits for:
    /// while authenticating it wants to write only when it has handshake bytes to send, so
    /// polling for writability on "messages queued" instead would spin until the bus answers.
    private var watches: [OpaquePointer] = []

    /// Starts the thread, which opens `address` and, on a bus, registers with `Hello` before
    /// sending anything else. Commands queued meanwhile go out behind `Hello`, in order, without
    /// waiting for its reply. Failures, including a refused or unanswered `Hello`, close the
    /// connection and surface on the calls.
    /// - Parameter registrationTimeout: how long the bus may take to answer `Hello`; `nil` for a
    ///   peer-to-peer connection, which sends no `Hello`.
    init(address: String, registrationTimeout: Duration?) throws(DBusError) {
        self.address = address
        self.registrationTimeout = registrationTimeout
        let fd = cdbus_make_wakeup_fd()
        guard fd >= 0 else { throw DBusError(.connectionFailed, "could not create a wake-up descriptor (errno \(errno))") }
        wakeFD = fd

        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let worker = Unmanaged<ConnectionWorker>.fromOpaque(context!).takeRetainedValue()
            worker.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<ConnectionWorker>.fromOpaque(context).release()
            close(fd)
            throw DBusError(.connectionFailed, "could not start the connection thread (error \(status))")
        }
        pthread_detach(thread)
    }

    deinit {
        close(wakeFD)
    }

    func makeID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// The reason the connection is closed, or `nil` while it is open.
    var closedReason: DBusError? {
        shared.withLock { $0.closedReason }
    }

    /// Whether this is a bus connection (it registers with `Hello`).
    var isBus: Bool { registrationTimeout != nil }

    /// The unique name from the bus's reply to `Hello`, or `nil` before it (or on a peer connection).
    var uniqueName: String? {
        shared.withLock { $0.uniqueName }
    }

    /// Queues a command. Returns the close reason instead when the connection is closed.
    @discardableResult
    func enqueue(_ command: Command) -> DBusError? {
        let (reason, wake) = shared.withLock { state -> (DBusError?, Bool) in
            if let reason = state.closedReason { return (reason, false) }
            state.commands.append(command)
            let wake = state.sleeping
            state.sleeping = false
            return (nil, wake)
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        return reason
    }

    // MARK: - Task executor

    /// Runs `job` on this connection's thread. Once the connection is closed, jobs go to the
    /// global concurrent executor instead, so no task is ever stranded.
    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let (accepted, wake) = shared.withLock { state -> (Bool, Bool) in
            if state.closedReason != nil { return (false, false) }
            state.jobs.append(unowned)
            let wake = state.sleeping
            state.sleeping = false
            return (true, wake)
        }
        if !accepted {
            globalConcurrentExecutor.enqueue(unowned)
            return
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
    }

    // MARK: - The thread

    private func run() {
        dbus_threads_init_default()
        var error = CDBus.DBusError()
        dbus_error_init(&error)
        guard let connection = dbus_connection_open_private(address, &error) else {
            let text = error.message.map { String(cString: $0) } ?? "unknown error"
            dbus_error_free(&error)
            finish(DBusError(.connectionFailed, "could not connect to the D-Bus bus at \(redactedAddress): \(text)"))
            return
        }
        self.connection = connection
        dbus_connection_set_exit_on_disconnect(connection, 0)
        dbus_connection_add_filter(
            connection,
            { _, message, context in
                let worker = Unmanaged<ConnectionWorker>.fromOpaque(context!).takeUnretainedValue()
                return worker.filter(message!)
            },
            Unmanaged.passUnretained(self).toOpaque(), nil)
        let watching = dbus_connection_set_watch_functions(
            connection,
            { watch, context in
                Unmanaged<ConnectionWorker>.fromOpaque(context!).takeUnretainedValue().watches.append(watch!)
                return 1
            },
            { watch, context in
                Unmanaged<ConnectionWorker>.fromOpaque(context!).takeUnretainedValue().watches.removeAll { $0 == watch }
            },
            nil,  // toggled: socketEvents() reads whether each watch is enabled when it polls
            Unmanaged.passUnretained(self).toOpaque(), nil)
        guard watching != 0 else {
            finish(DBusError(.connectionFailed, "could not watch the D-Bus connection: out of memory"))
            return
        }

        var socketFD: Int32 = -1
        guard dbus_connection_get_unix_fd(connection, &socketFD) != 0 || dbus_connection_get_socket(connection, &socketFD) != 0 else {
            finish(DBusError(.connectionFailed, "the D-Bus connection has no socket to wait on"))
            return
        }
        if let registrationTimeout { register(connection, timeout: registrationTimeout) }
        loop(socketFD: socketFD)
    }

    /// Sends `Hello`, the first message on a bus connection. Its reply is handled in
    /// ``filter(_:)``; nothing waits for it before sending what callers queued.
    private func register(_ connection: OpaquePointer, timeout: Duration) {
        let hello = OutgoingMessage(
            kind: .methodCall, destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
            interface: "org.freedesktop.DBus", member: "Hello", body: [])
        var serial: UInt32 = 0
        let sent = (try? LibDBusMessage.make(hello)).map { message in
            defer { dbus_message_unref(message) }
            return dbus_connection_send(connection, message, &serial) != 0
        }
        guard sent == true else {
            finish(DBusError(.connectionFailed, "could not send Hello to the D-Bus bus: out of memory"))
            return
        }
        sentCount.add(1, ordering: .relaxed)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        pending[serial] = PendingCall(id: 0, waiter: .registration, deadline: deadline, summary: hello.summary)
        earliestDeadline = deadline
    }

    /// Handles the reply to `Hello`: records the unique name, or closes the connection.
    private func completeRegistration(_ reply: Result<DBusMessage, DBusError>) {
        let name: String
        do {
            name = try reply.get().body(matching: "s")[0].asString()
        } catch {
            finish(DBusError(.connectionFailed, "the D-Bus bus refused Hello: \(error.message)"))
            return
        }
        shared.withLock { $0.uniqueName = name }
        for waiter in registrationWaiters { waiter.resume(returning: name) }
        registrationWaiters.removeAll()
    }

    private var redactedAddress: String {
        // Addresses can carry nonces in tcp guids; show the transport and path only.
        address.split(separator: ",").first.map(String.init) ?? address
    }

    private func loop(socketFD: Int32) {
        guard let connection else { return }
        while true {
            let (commands, jobs) = shared.withLock { state -> ([Command], [UnownedJob]) in
                let taken = (state.commands, state.jobs)
                state.commands.removeAll(keepingCapacity: true)
                state.jobs.removeAll(keepingCapacity: true)
                return taken
            }
            for (index, command) in commands.enumerated() where !process(command) {
                // Closed: the commands queued behind this one were taken before finish() could
                // fail them with the rest, and a call among them would never be answered.
                abandon(commands[(index + 1)...], reason: closedReason ?? DBusError(.closed, "the D-Bus connection was closed"))
                for job in jobs { globalConcurrentExecutor.enqueue(job) }
                return
            }
            // Tasks that prefer this thread: what they queue is sent on the next turn, without a wake-up.
            for job in jobs {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
            dispatchAll(connection)
            if shared.withLock({ $0.closedReason }) != nil { return }
            expireDeadlines()
            if shared.withLock({ $0.closedReason }) != nil { return }

            // Sleep only if nothing arrived meanwhile.
            let mustSleep = shared.withLock { state -> Bool in
                guard state.commands.isEmpty, state.jobs.isEmpty else { return false }
                state.sleeping = true
                return true
            }
            guard mustSleep else { continue }

            var fds = [
                pollfd(fd: socketFD, events: socketEvents(), revents: 0),
                pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
            ]
            let timeout = pollTimeout()
            let ready = poll(&fds, 2, timeout)
            shared.withLock { $0.sleeping = false }
            if ready < 0 && errno != EINTR {
                finish(DBusError(.disconnected, "waiting on the D-Bus socket failed (errno \(errno))"))
                return
            }
            if fds[1].revents != 0 {
                var counter: UInt64 = 0
                _ = read(wakeFD, &counter, 8)
            }
            if fds[0].revents != 0 {
                if dbus_connection_read_write(connection, 0) == 0 {
                    dispatchAll(connection)
                    finish(DBusError(.disconnected, "the D-Bus connection was closed by the other side"))
                    return
                }
            }
        }
    }

    /// The poll events libdbus's enabled watches ask for.
    private func socketEvents() -> Int16 {
        var events: Int16 = 0
        for watch in watches where dbus_watch_get_enabled(watch) != 0 {
            let flags = dbus_watch_get_flags(watch)
            if flags & DBUS_WATCH_READABLE.rawValue != 0 { events |= Int16(POLLIN) }
            if flags & DBUS_WATCH_WRITABLE.rawValue != 0 { events |= Int16(POLLOUT) }
        }
        return events
    }

    private func dispatchAll(_ connection: OpaquePointer) {
        while dbus_connection_dispatch(connection) == DBUS_DISPATCH_DATA_REMAINS {
            if shared.withLock({ $0.closedReason }) != nil { return }
        }
    }

    private func pollTimeout() -> Int32 {
        guard let earliest = earliestDeadline else { return -1 }
        let remaining = ContinuousClock.now.duration(to: earliest)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: milliseconds)
    }

    /// Handles one command; returns false when the thread must stop.
    private func process(_ command: Command) -> Bool {
        guard let connection else { return false }
        switch command {
        case .call(let id, let outgoing, let deadline, let reply):
            let message: OpaquePointer
            do {
                message = try LibDBusMessage.make(outgoing)
            } catch {
                reply.complete(.failure(error))
                return true
            }
            var serial: UInt32 = 0
            let sent = dbus_connection_send(connection, message, &serial)
            sentCount.add(1, ordering: .relaxed)
            dbus_message_unref(message)
            guard sent != 0 else {
                reply.complete(.failure(DBusError(.disconnected, "could not send \(outgoing.summary): out of memory")))
                return true
            }
            pending[serial] = PendingCall(id: id, waiter: .caller(reply), deadline: deadline, summary: outgoing.summary)
            serialForID[id] = serial
            if earliestDeadline.map({ deadline < $0 }) ?? true { earliestDeadline = deadline }
        case .send(let outgoing):
            if let message = try? LibDBusMessage.make(outgoing) {
                dbus_connection_send(connection, message, nil)
                dbus_message_unref(message)
            }
        case .cancel(let id):
            // A call is queued before anyone can cancel it; one already answered is gone.
            if let serial = serialForID.removeValue(forKey: id), let call = pending.removeValue(forKey: serial),
                case .caller(let reply) = call.waiter
            {
                reply.complete(.failure(CancellationError()))
            }
        case .subscribe(let id, let rule, let continuation):
            subscriptions[id] = (rule, continuation)
        case .unsubscribe(let id, let ruleText):
            if subscriptions.removeValue(forKey: id) != nil, isBus {
                var removal = OutgoingMessage(
                    kind: .methodCall, destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                    interface: "org.freedesktop.DBus", member: "RemoveMatch", body: [.string(ruleText)])
                removal.noReplyExpected = true
                if let message = try? LibDBusMessage.make(removal) {
                    dbus_connection_send(connection, message, nil)
                    dbus_message_unref(message)
                }
            }
        case .export(let path, let interface, let handler):
            exports[path, default: [:]][interface] = handler
        case .unexport(let path, let interface):
            exports[path]?[interface] = nil
            if exports[path]?.isEmpty == true { exports[path] = nil }
        case .whenRegistered(let continuation):
            if let name = uniqueName {
                continuation.resume(returning: name)
            } else {
                registrationWaiters.append(continuation)
            }
        case .close:
            finish(DBusError(.closed, "the D-Bus connection was closed"))
            return false
        }
        return true
    }

    private func expireDeadlines() {
        guard let earliest = earliestDeadline else { return }
        let now = ContinuousClock.now
        guard earliest <= now else { return }
        var next: ContinuousClock.Instant?
        for (serial, call) in pending {
            if call.deadline <= now {
                pending[serial] = nil
                switch call.waiter {
                case .caller(let reply):
                    serialForID[call.id] = nil
                    reply.complete(.failure(DBusError(.timedOut, "no reply to \(call.summary) within the deadline")))
                case .registration:
                    finish(DBusError(.timedOut, "the D-Bus bus did not answer Hello within \(registrationTimeout ?? .zero)"))
                    return
                }
            } else if next.map({ call.deadline < $0 }) ?? true {
                next = call.deadline
            }
        }
        earliestDeadline = next
    }

    // MARK: - Incoming messages (called by libdbus during dispatch, on this thread)

    private func filter(_ message: OpaquePointer) -> DBusHandlerResult {
        let type = dbus_message_get_type(message)
        if type == cdbus_message_type_method_return || type == cdbus_message_type_error {
            let serial = dbus_message_get_reply_serial(message)
            guard let call = pending.removeValue(forKey: serial) else { return DBUS_HANDLER_RESULT_NOT_YET_HANDLED }
            let result: Result<DBusMessage, DBusError>
            do {
                let reply = try LibDBusMessage.decode(message)
                result = reply.kind == .error
                    ? .failure(DBusError.remote(name: reply.errorName ?? DBusError.Name.failed, message: reply.errorMessage))
                    : .success(reply)
            } catch {
                result = .failure(error)
            }
            switch call.waiter {
            case .caller(let reply):
                serialForID[call.id] = nil
                reply.complete(result.mapError { $0 })
            case .registration:
                completeRegistration(result)
            }
            return DBUS_HANDLER_RESULT_HANDLED
        }
        if type == cdbus_message_type_signal {
            if dbus_message_is_signal(message, "org.freedesktop.DBus.Local", "Disconnected") != 0 {
                finish(DBusError(.disconnected, "the D-Bus connection was lost (the bus went away)"))
                return DBUS_HANDLER_RESULT_HANDLED
            }
            guard !subscriptions.isEmpty, let signal = try? LibDBusMessage.decode(message) else {
                return DBUS_HANDLER_RESULT_NOT_YET_HANDLED
            }
            var delivered = false
            for (_, subscription) in subscriptions where subscription.rule.matches(signal) {
                if !delivered {
                    signalCount.add(1, ordering: .sequentiallyConsistent)
                    delivered = true
                }
                subscription.continuation.yield(signal)
            }
            return DBUS_HANDLER_RESULT_NOT_YET_HANDLED
        }
        if type == cdbus_message_type_method_call {
            return serveMethodCall(message)
        }
        return DBUS_HANDLER_RESULT_NOT_YET_HANDLED
    }

    private func serveMethodCall(_ message: OpaquePointer) -> DBusHandlerResult {
        guard let pathPointer = dbus_message_get_path(message),
            let handlers = exports[DBusObjectPath(unchecked: String(cString: pathPointer))]
        else { return DBUS_HANDLER_RESULT_NOT_YET_HANDLED }
        let interface = dbus_message_get_interface(message).map { String(cString: $0) }
        if interface == "org.freedesktop.DBus.Peer" { return DBUS_HANDLER_RESULT_NOT_YET_HANDLED }
        let call: DBusMessage
        do {
            call = try LibDBusMessage.decode(message)
        } catch {
            return DBUS_HANDLER_RESULT_NOT_YET_HANDLED
        }
        let handler = interface.flatMap { handlers[$0] } ?? (interface == nil ? handlers.values.first : nil)
        guard let handler else {
            enqueue(.send(OutgoingMessage.error(
                to: call, name: DBusError.Name.unknownInterface,
                message: "no interface '\(interface ?? "")' on \(call.path?.rawValue ?? "")")))
            return DBUS_HANDLER_RESULT_HANDLED
        }
        Task { [self] in
            let reply: OutgoingMessage
            do {
                let values = try await handler(call)
                reply = try OutgoingMessage.methodReturn(to: call, body: values)
            } catch let error as DBusError {
                reply = OutgoingMessage.error(to: call, name: error.name ?? DBusError.Name.failed, message: error.message)
            } catch {
                reply = OutgoingMessage.error(to: call, name: DBusError.Name.failed, message: "\(type(of: error))")
            }
            if !call.noReplyExpected { enqueue(.send(reply)) }
        }
        return DBUS_HANDLER_RESULT_HANDLED
    }

    // MARK: - Shutdown

    /// Ends what `commands` were waiting for, once the connection is closed: calls fail with
    /// `reason`, signal streams end, registration waiters throw.
    private func abandon(_ commands: ArraySlice<Command>, reason: DBusError) {
        for command in commands {
            switch command {
            case .call(_, _, _, let reply): reply.complete(.failure(reason))
            case .subscribe(_, _, let continuation): continuation.finish()
            case .whenRegistered(let continuation): continuation.resume(throwing: reason)
            default: break
            }
        }
    }

    /// Marks the connection closed, fails everything waiting, and releases libdbus.
    private func finish(_ reason: DBusError) {
        let (leftovers, jobs) = shared.withLock { state -> ([Command], [UnownedJob]) in
            if state.closedReason == nil { state.closedReason = reason }
            let taken = (state.commands, state.jobs)
            state.commands.removeAll()
            state.jobs.removeAll()
            return taken
        }
        for job in jobs { globalConcurrentExecutor.enqueue(job) }
        abandon(leftovers[...], reason: reason)
        for (_, call) in pending {
            if case .caller(let reply) = call.waiter { reply.complete(.failure(reason)) }
        }
        pending.removeAll()
        for waiter in registrationWaiters { waiter.resume(throwing: reason) }
        registrationWaiters.removeAll()
        serialForID.removeAll()
        for (_, subscription) in subscriptions { subscription.continuation.finish() }
        subscriptions.removeAll()
        exports.removeAll()
        if let connection {
            self.connection = nil
            dbus_connection_close(connection)
            dbus_connection_unref(connection)
        }
    }
}
