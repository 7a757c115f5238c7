import Dispatch

/// A serial executor over a dispatch queue: an actor whose work blocks (file I/O, `flock`,
/// Argon2id) runs on the queue's thread from libdispatch's own pool, not on Swift's cooperative
/// pool, and the queue's threads come and go with the work.
package final class QueueExecutor: SerialExecutor {
    private let queue: DispatchQueue

    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
