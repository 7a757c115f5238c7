internal import Glibc

/// Starts a detached thread that runs `body` once: the one place the package calls
/// `pthread_create` (a connection's thread, the sessions' crypto thread).
/// - Returns: `pthread_create`'s error number, or 0 when the thread runs.
package func startDetachedThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
    final class Box: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    let status = pthread_create(
        &thread, nil,
        { context in
            Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
    guard status == 0 else {
        Unmanaged<Box>.fromOpaque(context).release()
        return status
    }
    pthread_detach(thread)
    return 0
}
