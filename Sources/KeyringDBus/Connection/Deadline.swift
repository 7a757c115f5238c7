/// Runs `operation`, and cancels it when `timeout` passes first.
///
/// The operation must respond to cancellation (every call on ``DBusConnection`` and every
/// `AsyncStream` iteration does).
/// - Parameters:
///   - timeout: how long to wait.
///   - what: the wait, for the error message ("waiting for the prompt").
/// - Throws: ``DBusError`` `.timedOut` when the deadline passes; `.cancelled` when the waiting
///   task is cancelled; whatever `operation` throws.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ what: @autoclosure () -> String,
    operation: @escaping @Sendable () async throws(DBusError) -> T
) async throws(DBusError) -> T {
    let description = what()
    // Each child hands back a Result, so the group itself throws nothing and the one error
    // type survives; `nil` is the deadline.
    let first = await withTaskGroup(of: Result<T, DBusError>?.self) { group in
        group.addTask {
            do throws(DBusError) {
                return .success(try await operation())
            } catch {
                return .failure(error)
            }
        }
        group.addTask {
            // Cancelled early: the operation finished first (its result is taken), or the
            // waiting task was cancelled.
            do {
                try await Task.sleep(for: timeout)
            } catch {
                return .failure(DBusError.cancelled(description))
            }
            return nil
        }
        defer { group.cancelAll() }
        return await group.next() ?? .failure(DBusError.cancelled(description))
    }
    guard let first else {
        throw DBusError(.timedOut, "\(description): no answer within \(timeout)")
    }
    return try first.get()
}
