// Secret Service measurements against the daemon on the session bus (scripts/bench-keyring
// starts a private gnome-keyring): sequential lookups, DH session open, a batch lookup of 100
// items, set and delete rates on the in-memory `session` collection and on `login`, and the
// KeyringKit backend's get and set.

import KeyringDBus
import KeyringKit
import KeyringSecretService

#if canImport(Glibc)
import Glibc
#endif

enum SecretServiceBench {
    /// `keyring-bench lookup --count N`: one entry looked up by attributes N times on one connection.
    static func lookup(count: Int) async throws {
        let client = SecretServiceClient()
        let attributes = ["bench": "lookup", "service": "keyring-bench"]
        // gnome-keyring's in-memory `session` collection; on another server, its default one.
        let collection =
            try await client.collections().contains { $0.path == sessionCollection }
            ? SecretCollection.at(sessionCollection, client: client) : try await client.defaultCollection()
        try await collection.store(label: "bench lookup", attributes: attributes, secret: Secret("lookup secret"))
        for _ in 0..<50 { _ = try await client.lookup(attributes) }
        let before = await client.methodCallsSent
        let elapsed = try await ContinuousClock().measure {
            for _ in 0..<count {
                guard try await client.lookup(attributes) != nil else { fatalError("entry vanished") }
            }
        }
        let calls = await client.methodCallsSent - before
        print("lookup_round_trips_each: \(Double(calls) / Double(count))")
        print("lookups_per_second: \(Int(Double(count) / seconds(elapsed)))")
        await client.disconnect()
    }

    /// Everything else; prints `name: value` lines.
    static func all(count: Int) async throws {
        try await sessionOpen()
        try await batch()
        for collection in [sessionCollection, loginCollection] {
            try await writes(in: collection, count: collection == loginCollection ? count / 5 : count)
        }
        try await backend(count: count)
        try await lookup(count: count)
    }

    static let sessionCollection: DBusObjectPath = "/org/freedesktop/secrets/collection/session"
    static let loginCollection: DBusObjectPath = "/org/freedesktop/secrets/collection/login"

    /// DH session open: CPU time of the process and wall time, median of many fresh clients.
    static func sessionOpen() async throws {
        var cpu: [Double] = []
        var wall: [Double] = []
        for _ in 0..<200 {
            let client = SecretServiceClient()
            let cpuStart = processCPUSeconds()
            let elapsed = try await ContinuousClock().measure { try await client.connect() }
            cpu.append(processCPUSeconds() - cpuStart)
            wall.append(seconds(elapsed))
            await client.disconnect()
        }
        print(
            "connect_and_session_open_cpu_ms: \(format(median(cpu) * 1000))  (connect, Hello, DH key pair, OpenSession, shared key)"
        )
        print("connect_and_session_open_wall_ms: \(format(median(wall) * 1000))")

        // OpenSession alone on an open connection: the DH work this process does per session.
        let connection = try await DBusConnection.connect()
        var sessionCPU: [Double] = []
        for _ in 0..<200 {
            let cpuStart = processCPUSeconds()
            let session = try await SecretSession.open(on: connection, algorithm: .diffieHellman)
            await session.waitForKey()
            sessionCPU.append(processCPUSeconds() - cpuStart)
            session.close(on: connection)
        }
        connection.close()
        print("session_open_cpu_ms: \(format(median(sessionCPU) * 1000))  (key pair, OpenSession round trip, shared key, HKDF)")
    }

    /// 100 items found and read: SearchItems + GetSecrets.
    static func batch() async throws {
        let client = SecretServiceClient()
        let session = SecretCollection.at(sessionCollection, client: client)
        for i in 0..<100 {
            try await session.store(
                label: "batch \(i)", attributes: ["bench": "batch", "n": "\(i)"], secret: Secret("secret \(i)"))
        }
        var times: [Double] = []
        var calls = 0
        for _ in 0..<50 {
            let before = await client.methodCallsSent
            let elapsed = try await ContinuousClock().measure {
                let (items, _) = try await client.searchItems(["bench": "batch"])
                let secrets = try await client.secrets(for: items)
                precondition(secrets.count == 100)
            }
            calls = await client.methodCallsSent - before
            times.append(seconds(elapsed))
        }
        print("batch_lookup_100_items_round_trips: \(calls)")
        print("batch_lookup_100_items_ms: \(format(median(times) * 1000))")
        await client.disconnect()
    }

    /// Create-or-update and delete rates in one collection.
    static func writes(in path: DBusObjectPath, count: Int) async throws {
        let client = SecretServiceClient()
        let collection = SecretCollection.at(path, client: client)
        let name = collection.name
        let setTime = try await ContinuousClock().measure {
            for i in 0..<count {
                try await collection.createItem(
                    label: "w \(i)", attributes: ["bench": "writes", "n": "\(i)"], secret: Secret("v \(i)"))
            }
        }
        let items = try await collection.searchItems(["bench": "writes"])
        let deleteTime = try await ContinuousClock().measure {
            for item in items { try await item.delete() }
        }
        print("\(name)_creates_per_second: \(Int(Double(count) / seconds(setTime)))")
        print("\(name)_deletes_per_second: \(Int(Double(items.count) / seconds(deleteTime)))")
        await client.disconnect()
    }

    /// KeyringKit's Secret Service backend: set (update in place) and get.
    static func backend(count: Int) async throws {
        let keyring = Keyring(backend: SecretServiceBackend())
        try await keyring.set("first", service: "keyring-bench", account: "backend")
        let setTime = try await ContinuousClock().measure {
            for i in 0..<count { try await keyring.set("value \(i)", service: "keyring-bench", account: "backend") }
        }
        let getTime = try await ContinuousClock().measure {
            for _ in 0..<count { _ = try await keyring.get(service: "keyring-bench", account: "backend") }
        }
        _ = try await keyring.delete(service: "keyring-bench", account: "backend")
        print("backend_sets_per_second: \(Int(Double(count) / seconds(setTime)))  (login collection, update in place)")
        print("backend_gets_per_second: \(Int(Double(count) / seconds(getTime)))")
    }

    static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    static func format(_ value: Double) -> String {
        String(Double(Int(value * 1000)) / 1000)
    }
}
