// A task executor with a thread of its own: the jobs of every task that prefers it run on that
// one thread, in the order they arrive.

internal import Glibc

/// Runs the jobs of the tasks that prefer it on one thread, in order, and sleeps when there are
/// none.
///
/// Swift's global pool starts its threads on demand, and a short-lived program pays for each:
/// a `keyring get` started three (one for the session's key pair, two more that the pool's own
/// start-up asked for) where one thread does the work. Two uses:
/// - ``sessionCrypto``: the Diffie-Hellman arithmetic and cipher set-up of sessions, on one
///   thread started when first needed, beside the threads that talk to the bus.
/// - a program's main thread, through ``run()``.
package final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Allocated, not stored inline: pthread objects must not move.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Guarded by `mutex`.
    private var jobs: [UnownedJob] = []

    /// An executor whose jobs wait until some thread calls ``run()``.
    package init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    /// Where sessions compute key pairs, shared secrets and session keys: one thread for the
    /// process, started on first use. Sessions are opened rarely and each needs about 1 ms of
    /// arithmetic, so one thread serves them all.
    package static let sessionCrypto: ThreadExecutor = {
        let executor = ThreadExecutor()
        // Without a thread of its own (no memory for one), the jobs go to the global pool.
        if startDetachedThread({ executor.run() }) != 0 { executor.fallBackToGlobalPool() }
        return executor
    }()

    /// Set when no thread will ever run the jobs; guarded by `mutex`.
    private var usesGlobalPool = false

    private func fallBackToGlobalPool() {
        pthread_mutex_lock(mutex)
        usesGlobalPool = true
        pthread_mutex_unlock(mutex)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        if usesGlobalPool {
            pthread_mutex_unlock(mutex)
            globalConcurrentExecutor.enqueue(job)
            return
        }
        jobs.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Runs jobs on the calling thread until the process exits.
    package func run() -> Never {
        var batch: [UnownedJob] = []
        while true {
            pthread_mutex_lock(mutex)
            while jobs.isEmpty { pthread_cond_wait(condition, mutex) }
            swap(&batch, &jobs)
            pthread_mutex_unlock(mutex)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
            batch.removeAll(keepingCapacity: true)
        }
    }
}
