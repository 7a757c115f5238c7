// ConnectionWorker: ending the connection, failing what is left.

internal import CKeyringDBus

extension ConnectionWorker {

    /// Ends what `commands` were waiting for, once the connection is closed: calls fail with
    /// `reason`, signal streams end, registration waiters throw.
    func abandon(_ commands: ArraySlice<Command>, reason: DBusError) {
        for command in commands {
            switch command {
            case .call(_, _, _, let reply): reply.complete(.failure(reason))
            case .subscribe(_, _, let continuation): continuation.finish()
            case .whenRegistered(let continuation): continuation.resume(returning: .failure(reason))
            default: break
            }
        }
    }

    /// Marks the connection closed, fails everything waiting, and releases libdbus.
    func finish(_ reason: DBusError) {
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
        for waiter in registrationWaiters { waiter.resume(returning: .failure(reason)) }
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
