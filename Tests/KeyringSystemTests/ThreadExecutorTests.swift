import Glibc
@testable import KeyringSystem
import Testing

@Suite("ThreadExecutor")
struct ThreadExecutorTests {
    /// The calling thread, as a number that can leave the task.
    static func currentThread() -> UInt { UInt(bitPattern: Int(bitPattern: pthread_self())) }

    @Test func sessionCryptoRunsEveryJobOnItsOneThread() async throws {
        let threads = await withTaskGroup(of: (Int, UInt).self) { group in
            for index in 0..<8 {
                group.addTask(executorPreference: ThreadExecutor.sessionCrypto) { (index, Self.currentThread()) }
            }
            var threads: [UInt] = []
            for await (_, thread) in group { threads.append(thread) }
            return threads
        }
        #expect(Set(threads).count == 1)
        #expect(threads.first != Self.currentThread())
        // What sessions run there (their key pairs): work from a detached task, awaited from elsewhere.
        let work = await Task.detached(executorPreference: ThreadExecutor.sessionCrypto) {
            (SecureBytes(count: 128).count, Self.currentThread())
        }.value
        #expect(work.1 == threads.first)
        #expect(work.0 == 128)
    }

    @Test func anExecutorRunsItsJobsOnTheThreadThatCallsRun() async throws {
        let executor = ThreadExecutor()
        var started = pthread_t()
        let context = Unmanaged.passRetained(executor).toOpaque()
        #expect(
            pthread_create(
                &started, nil,
                { context in
                    Unmanaged<ThreadExecutor>.fromOpaque(context!).takeRetainedValue().run()
                }, context) == 0)
        pthread_detach(started)
        let ran = await Task(executorPreference: executor) { Self.currentThread() }.value
        #expect(ran == UInt(bitPattern: Int(bitPattern: started)))
    }
}
