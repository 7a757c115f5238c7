// The thread that owns one libdbus connection. Everything that touches the connection runs here;
// callers hand it commands through a locked queue and a wake-up descriptor, and are resumed
// through continuations. Swift's cooperative pool never blocks on libdbus.

internal import CKeyringDBus
internal import KeyringSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Serves a method call received on an exported object; returns the reply's arguments or
/// throws (a ``DBusError`` with a `name` becomes that D-Bus error; one without is
/// `org.freedesktop.DBus.Error.Failed`).
public typealias DBusMethodHandler = @Sendable (DBusMessage) async throws(DBusError) -> [DBusValue]

final class ConnectionWorker: TaskExecutor, @unchecked Sendable {
    /// Who waits for `Hello`'s answer: resumed with the unique name or why the connection failed.
    typealias RegistrationWaiter = UnsafeContinuation<Result<String, DBusError>, Never>

    enum Command {
        case call(id: UInt64, OutgoingMessage, deadline: ContinuousClock.Instant, DBusPendingReply)
        case send(OutgoingMessage)
        case cancel(id: UInt64)
        case subscribe(id: UInt64, DBusMatchRule, AsyncStream<DBusMessage>.Continuation)
        case unsubscribe(id: UInt64, ruleText: String)
        case export(path: DBusObjectPath, interface: String, DBusMethodHandler)
        case unexport(path: DBusObjectPath, interface: String)
        /// Resumes with the unique name once `Hello` is answered (at once if it already was).
        case whenRegistered(RegistrationWaiter)
        case close
    }

    struct Shared {
        var commands: [Command] = []
        /// Jobs of tasks that prefer this connection's thread as their executor.
        var jobs: [UnownedJob] = []
        var sleeping = false
        var closedReason: DBusError?
        /// The name the bus gave in its reply to `Hello`.
        var uniqueName: String?
    }

    struct PendingCall {
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

    let shared = Mutex(Shared())
    private let nextID = Atomic<UInt64>(1)
    /// Messages written to the connection (calls, replies, signals), for benchmarks and diagnostics.
    let sentCount = Atomic<Int>(0)
    /// Signals delivered to at least one stream, counted on this thread before any is yielded.
    let signalCount = Atomic<Int>(0)
    let address: String
    /// The deadline for the bus's answer to `Hello`; `nil` on a peer-to-peer connection (no `Hello`).
    let registrationTimeout: Duration?
    let wakeFD: Int32

    // State below is touched only by the worker thread.
    var connection: OpaquePointer?
    var pending: [UInt32: PendingCall] = [:]
    var serialForID: [UInt64: UInt32] = [:]
    var earliestDeadline: ContinuousClock.Instant?
    var subscriptions: [UInt64: (rule: DBusMatchRule, continuation: AsyncStream<DBusMessage>.Continuation)] = [:]
    var exports: [DBusObjectPath: [String: DBusMethodHandler]] = [:]
    var registrationWaiters: [RegistrationWaiter] = []
    /// libdbus's watches on the socket. Whether each is enabled says what libdbus waits for:
    /// while authenticating it wants to write only when it has handshake bytes to send, so
    /// polling for writability on "messages queued" instead would spin until the bus answers.
    var watches: [OpaquePointer] = []

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

        let status = startDetachedThread { [self] in run() }
        guard status == 0 else {
            close(fd)
            throw DBusError(.connectionFailed, "could not start the connection thread (error \(status))")
        }
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
}
