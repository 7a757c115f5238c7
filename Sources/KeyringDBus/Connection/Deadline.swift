/// Runs `operation`, and cancels it when `timeout` passes first.
///
/// The operation must respond to cancellation (every call on ``DBusConnection`` and every
/// `AsyncStream` iteration does).
/// - Parameters:
///   - timeout: how long to wait.
///   - what: the wait, for the error message ("waiting for the prompt").
/// - Throws: ``DBusError`` `.timedOut` when the deadline passes; whatever `operation` throws.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ what: @autoclosure () -> String, operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let description = what()
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else {
            throw CancellationError()
        }
        guard let value = first else {
            throw DBusError(.timedOut, "\(description): no answer within \(timeout)")
        }
        return value
    }
}
