import Synchronization

/// A method call on its way: ``DBusConnection/startCall(destination:path:interface:member:arguments:timeout:)``
/// has queued it, behind everything queued on the connection before, so the order of the calls
/// a program starts is the order the peer receives them in. The reply is awaited separately.
///
/// ```swift
/// let first = try connection.startCall(destination: name, path: path, interface: i, member: "A")
/// let second = try await connection.call(destination: name, path: path, interface: i, member: "B")
/// let firstReply = try await first.reply()  // A reached the peer before B
/// ```
public final class DBusPendingReply: Sendable {
    private enum State {
        case waiting
        case awaited(UnsafeContinuation<DBusMessage, any Error>)
        case done(Result<DBusMessage, any Error>)
        /// The result has been handed to the one caller of ``reply()``.
        case delivered
    }

    let id: UInt64
    private let worker: ConnectionWorker
    private let state = Mutex(State.waiting)

    init(id: UInt64, worker: ConnectionWorker) {
        self.id = id
        self.worker = worker
    }

    /// Waits for the reply. Call once.
    /// - Returns: the method-return message; check its signature with ``DBusMessage/body(matching:)``.
    /// - Throws: what ``DBusConnection/call(destination:path:interface:member:arguments:timeout:)``
    ///   throws; `CancellationError` when the waiting task is cancelled (the call is abandoned).
    public func reply() async throws -> DBusMessage {
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                let ready = state.withLock { state -> Result<DBusMessage, any Error>? in
                    switch state {
                    case .waiting:
                        state = .awaited(continuation)
                        return nil
                    case .done(let result):
                        state = .delivered
                        return result
                    case .awaited, .delivered:
                        return .failure(DBusError(.invalidArgument, "a pending reply was awaited twice"))
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            worker.enqueue(.cancel(id: id))
        }
    }

    /// Delivers the outcome (on the connection's thread, or at once when the call could not be queued).
    func complete(_ result: Result<DBusMessage, any Error>) {
        let waiter = state.withLock { state -> UnsafeContinuation<DBusMessage, any Error>? in
            switch state {
            case .waiting:
                state = .done(result)
                return nil
            case .awaited(let continuation):
                state = .delivered
                return continuation
            case .done, .delivered:
                return nil
            }
        }
        waiter?.resume(with: result)
    }
}
