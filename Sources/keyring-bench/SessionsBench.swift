// `keyring-bench sessions --count N`: N fresh clients against the Secret Service on the session bus,
// each with its own connection and DH session, each writing a secret and reading it back. Counts
// the sessions that failed, by error: a run against KWallet shows its two DH bugs are avoided
// (docs/secret-service-protocol.md, Session encryption). The last line is `failed_sessions: F`.

import KeyringKit
import KeyringSecretService

enum SessionsBench {
    static func run(count: Int) async throws {
        let attributes = ["service": "keyring-bench-sessions", "username": "sessions"]
        let setup = SecretServiceClient()
        let collection = try await setup.defaultCollection()
        if try await collection.isLocked() { try await collection.unlock() }
        await setup.close()
        var failures: [String: Int] = [:]
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<count {
            let client = SecretServiceClient()
            // Every byte value, a NUL, and the index: a wrong key shows as a failure or a wrong value.
            let bytes = (0...255).map { UInt8($0) } + Array("\(index)".utf8)
            let secret = Secret(bytes: bytes)
            do {
                let target = SecretCollection.at(collection.path, client: client)
                try await target.store(label: "keyring-bench sessions", attributes: attributes, secret: secret)
                let read = try await client.lookup(attributes)
                if read?.bytes.unprotectedArray != bytes { failures["wrong value read back", default: 0] += 1 }
            } catch {
                failures[String("\(error.code.rawValue): \(error.message)".prefix(160)), default: 0] += 1
            }
            await client.close()
        }
        let elapsed = clock.now - start
        let cleanup = SecretServiceClient()
        for item in try await SecretCollection.at(collection.path, client: cleanup).searchItems(attributes) {
            try await item.delete()
        }
        await cleanup.close()
        for (message, times) in failures.sorted(by: { $0.value > $1.value }) { print("failure x\(times): \(message)") }
        print("sessions: \(count)  (a store and a lookup each, every one on a new connection)")
        print("seconds: \(SecretServiceBench.format(SecretServiceBench.seconds(elapsed)))")
        print("failed_sessions: \(failures.values.reduce(0, +))")
    }
}
