// Measures D-Bus round trips to the Secret Service daemon: sequential Peer.Ping calls, and
// 1,000 calls pipelined on one connection. Run with `swift run -c release dbus-bench`
// on a bus where org.freedesktop.secrets runs (the test fixtures start one).

import KeyringDBus

#if canImport(Glibc)
import Glibc
#endif

@main
struct DBusBench {
    static func main() async throws {
        var arguments = CommandLine.arguments.dropFirst()
        var sequentialCount = 5_000
        var pipelinedCount = 1_000
        var rounds = 5
        var destination = "org.freedesktop.secrets"
        while let argument = arguments.popFirst() {
            switch argument {
            case "--count": sequentialCount = Int(arguments.popFirst() ?? "") ?? sequentialCount
            case "--pipelined": pipelinedCount = Int(arguments.popFirst() ?? "") ?? pipelinedCount
            case "--rounds": rounds = Int(arguments.popFirst() ?? "") ?? rounds
            case "--destination": destination = arguments.popFirst() ?? destination
            default:
                print("usage: dbus-bench [--count N] [--pipelined N] [--rounds N] [--destination NAME]")
                exit(2)
            }
        }
        let connection = try await DBusConnection.connect()
        let result = try await measure(
            connection: connection, destination: destination, sequentialCount: sequentialCount,
            pipelinedCount: pipelinedCount, rounds: rounds)
        print(result)
    }

    /// The loops run off the main actor (an `async main` is main-actor isolated, and hopping
    /// back to it after every reply would measure the main queue, not D-Bus).
    nonisolated static func measure(
        connection: DBusConnection, destination: String, sequentialCount: Int, pipelinedCount: Int, rounds: Int
    ) async throws -> String {
        let clock = ContinuousClock()
        let target = destination
        @Sendable func ping() async throws {
            try await connection.call(
                destination: target, path: "/org/freedesktop/secrets", interface: "org.freedesktop.DBus.Peer",
                member: "Ping")
        }
        for _ in 0..<200 { try await ping() }  // warm up

        var sequentialRates: [Double] = []
        var poolRates: [Double] = []
        var pipelinedRates: [Double] = []
        for _ in 0..<rounds {
            // On the connection's own executor: each reply resumes the loop on the connection's thread.
            let sequential = try await withTaskExecutorPreference(connection.executor) {
                try await clock.measure {
                    for _ in 0..<sequentialCount { try await ping() }
                }
            }
            sequentialRates.append(Double(sequentialCount) / seconds(sequential))

            // From Swift's global thread pool: each reply wakes a pool thread.
            let fromPool = try await clock.measure {
                for _ in 0..<sequentialCount { try await ping() }
            }
            poolRates.append(Double(sequentialCount) / seconds(fromPool))

            let pipelined = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<pipelinedCount { group.addTask { try await ping() } }
                    try await group.waitForAll()
                }
            }
            pipelinedRates.append(Double(pipelinedCount) / seconds(pipelined))
        }
        let sequentialMedian = median(sequentialRates)
        let pipelinedMedian = median(pipelinedRates)
        return """
            sequential_pings_per_second: \(Int(sequentialMedian))  (loop on the connection's executor)
            sequential_pings_per_second_from_global_pool: \(Int(median(poolRates)))
            pipelined_\(pipelinedCount)_calls_per_second: \(Int(pipelinedMedian))
            pipelined_over_sequential: \((pipelinedMedian / sequentialMedian * 100).rounded() / 100)
            """
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
