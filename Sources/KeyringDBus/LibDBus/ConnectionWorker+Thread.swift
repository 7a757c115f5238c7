// ConnectionWorker's thread: registering on the bus, the poll loop, commands, deadlines.

internal import CKeyringDBus
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension ConnectionWorker {

    func run() {
        dbus_threads_init_default()
        var error = CKeyringDBus.DBusError()
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
        guard dbus_connection_get_unix_fd(connection, &socketFD) != 0 || dbus_connection_get_socket(connection, &socketFD) != 0
        else {
            finish(DBusError(.connectionFailed, "the D-Bus connection has no socket to wait on"))
            return
        }
        if let registrationTimeout { register(connection, timeout: registrationTimeout) }
        loop(socketFD: socketFD)
    }

    /// Sends `Hello`, the first message on a bus connection. Its reply is handled in
    /// ``filter(_:)``; nothing waits for it before sending what callers queued.
    func register(_ connection: OpaquePointer, timeout: Duration) {
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
    func completeRegistration(_ reply: Result<DBusMessage, DBusError>) {
        let name: String
        do {
            name = try reply.get().body(matching: "s")[0].asString()
        } catch {
            finish(DBusError(.connectionFailed, "the D-Bus bus refused Hello: \(error.message)"))
            return
        }
        shared.withLock { $0.uniqueName = name }
        for waiter in registrationWaiters { waiter.resume(returning: .success(name)) }
        registrationWaiters.removeAll()
    }

    private var redactedAddress: String {
        // Addresses can carry nonces in tcp guids; show the transport and path only.
        address.split(separator: ",").first.map(String.init) ?? address
    }

    func loop(socketFD: Int32) {
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
    func socketEvents() -> Int16 {
        var events: Int16 = 0
        for watch in watches where dbus_watch_get_enabled(watch) != 0 {
            let flags = dbus_watch_get_flags(watch)
            if flags & DBUS_WATCH_READABLE.rawValue != 0 { events |= Int16(POLLIN) }
            if flags & DBUS_WATCH_WRITABLE.rawValue != 0 { events |= Int16(POLLOUT) }
        }
        return events
    }

    func dispatchAll(_ connection: OpaquePointer) {
        while dbus_connection_dispatch(connection) == DBUS_DISPATCH_DATA_REMAINS {
            if shared.withLock({ $0.closedReason }) != nil { return }
        }
    }

    func pollTimeout() -> Int32 {
        guard let earliest = earliestDeadline else { return -1 }
        let remaining = ContinuousClock.now.duration(to: earliest)
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1
        return Int32(clamping: milliseconds)
    }

    /// Handles one command; returns false when the thread must stop.
    func process(_ command: Command) -> Bool {
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
                reply.complete(.failure(DBusError.cancelled("waiting for the reply to \(call.summary)")))
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
                continuation.resume(returning: .success(name))
            } else {
                registrationWaiters.append(continuation)
            }
        case .close:
            finish(DBusError(.closed, "the D-Bus connection was closed"))
            return false
        }
        return true
    }

    func expireDeadlines() {
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
}
