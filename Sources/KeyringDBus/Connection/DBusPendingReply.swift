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
    /// The caller's continuation: it resumes with the outcome, which `reply()` then throws as
    /// the one error type (the standard library makes no typed-throwing continuations).
    typealias Waiter = UnsafeContinuation<Result<DBusMessage, DBusError>, Never>

    private enum State {
        case waiting
        case awaited(Waiter)
        case done(Result<DBusMessage, DBusError>)
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
    ///   throws; `.cancelled` when the waiting task is cancelled (the call is abandoned).
    public func reply() async throws(DBusError) -> DBusMessage {
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: Waiter) in
                let ready = state.withLock { state -> Result<DBusMessage, DBusError>? in
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
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            worker.enqueue(.cancel(id: id))
        }
        return try result.get()
    }

    /// Delivers the outcome (on the connection's thread, or at once when the call could not be queued).
    func complete(_ result: Result<DBusMessage, DBusError>) {
        let waiter = state.withLock { state -> Waiter? in
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
        waiter?.resume(returning: result)
    }
}
