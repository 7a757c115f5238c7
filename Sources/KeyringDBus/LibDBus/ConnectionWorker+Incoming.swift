// ConnectionWorker: incoming messages, called by libdbus during dispatch on the worker's thread: replies, signals, method calls on exported objects.

internal import CKeyringDBus

extension ConnectionWorker {

    func filter(_ message: OpaquePointer) -> DBusHandlerResult {
        let type = dbus_message_get_type(message)
        if type == cdbus_message_type_method_return || type == cdbus_message_type_error {
            let serial = dbus_message_get_reply_serial(message)
            guard let call = pending.removeValue(forKey: serial) else { return DBUS_HANDLER_RESULT_NOT_YET_HANDLED }
            let result: Result<DBusMessage, DBusError>
            do {
                let reply = try LibDBusMessage.decode(message)
                result =
                    reply.kind == .error
                    ? .failure(DBusError.remote(name: reply.errorName ?? DBusError.Name.failed, message: reply.errorMessage))
                    : .success(reply)
            } catch {
                result = .failure(error)
            }
            switch call.waiter {
            case .caller(let reply):
                serialForID[call.id] = nil
                reply.complete(result)
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

    func serveMethodCall(_ message: OpaquePointer) -> DBusHandlerResult {
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
            enqueue(
                .send(
                    OutgoingMessage.error(
                        to: call, name: DBusError.Name.unknownInterface,
                        message: "no interface '\(interface ?? "")' on \(call.path?.rawValue ?? "")")))
            return DBUS_HANDLER_RESULT_HANDLED
        }
        Task { [self] in
            let reply: OutgoingMessage
            do throws(DBusError) {
                let values = try await handler(call)
                reply = try OutgoingMessage.methodReturn(to: call, body: values)
            } catch {
                reply = OutgoingMessage.error(to: call, name: error.name ?? DBusError.Name.failed, message: error.message)
            }
            if !call.noReplyExpected { enqueue(.send(reply)) }
        }
        return DBUS_HANDLER_RESULT_HANDLED
    }
}
