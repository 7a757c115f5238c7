internal import Glibc

/// Runs the command's task on the process's main thread.
///
/// With an `async` main, Swift parks the main thread and runs the command on its thread pool,
/// whose first thread is started for it: about 0.4 ms of a `keyring get` that takes 7. Here the
/// main thread itself runs the jobs of every task that prefers this executor, and sleeps when
/// there are none. Work that needs no particular thread (a key pair, a session key) still goes
/// to the pool, on the other cores, beside it.
final class MainThreadExecutor: TaskExecutor, @unchecked Sendable {
    // Allocated, not stored inline: pthread objects must not move.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Guarded by `mutex`.
    private var jobs: [UnownedJob] = []

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(mutex)
        jobs.append(job)
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Runs jobs on the calling thread (the main thread) until the process exits.
    func run() -> Never {
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
