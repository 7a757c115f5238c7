import Foundation
import KeyringKit
import KeyringSecretService

/// Measures the encrypted file backend: Argon2id at the default, interactive and moderate parameters, and
/// `get`/`set` on keyrings of 10, 1,000 and 10,000 entries with the key already unwrapped (the
/// bench opens each keyring once before timing, so the KDF is excluded).
///
/// Prints `name: value` lines; times are medians over the repetitions.
enum FileBackendBench {
    static func run() async throws {
        let clock = ContinuousClock()
        for (label, kdf) in [
            ("default", KDFParameters.default), ("interactive", KDFParameters.interactive), ("moderate", KDFParameters.moderate),
        ] {
            var samples: [Duration] = []
            for _ in 0..<3 {
                samples.append(
                    clock.measure {
                        _ = Sodium.argon2id(
                            password: UnsafeRawBufferPointer(start: nil, count: 0),
                            salt: [UInt8](repeating: 7, count: Sodium.pwhashSaltBytes),
                            opsLimit: UInt64(kdf.operations), memLimit: kdf.memoryBytes, outputLength: 32)
                    })
            }
            print("kdf.\(label).ops: \(kdf.operations)")
            print("kdf.\(label).mem_mib: \(kdf.memoryBytes >> 20)")
            print("kdf.\(label).ms: \(format(milliseconds(median(samples))))")
        }

        for size in [10, 1_000, 10_000] {
            let directory = NSTemporaryDirectory() + "/keyring-bench-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let password = SecureBytes(utf8: "bench password")
            let writer = EncryptedFileBackend(directory: directory, password: password, kdf: .minimum, environment: [:])
            let items = (0..<size).map { index in
                EncryptedFileBackend.EntryToWrite(
                    secret: Secret("secret value number \(index) with some padding"),
                    service: "service-\(index % 50).example.org", account: "account-\(index)")
            }
            let fill = try await clock.measure { try await writer.setEntries(items, keyring: nil) }
            let fileSize =
                (try? FileManager.default.attributesOfItem(atPath: try writer.path(ofKeyring: nil))[.size] as? Int) ?? 0

            // A fresh backend: open once (KDF + first decrypt), then time.
            let backend = EncryptedFileBackend(directory: directory, password: password, kdf: .minimum, environment: [:])
            let open = try await clock.measure { try await backend.unlock(keyring: nil, password: nil) }
            let firstRead = try await clock.measure {
                _ = try await backend.get(service: "service-0.example.org", account: "account-0", keyring: nil)
            }

            var gets: [Duration] = []
            for round in 0..<200 {
                let index = (round * 7919) % size
                gets.append(
                    try await clock.measure {
                        _ = try await backend.get(
                            service: "service-\(index % 50).example.org", account: "account-\(index)", keyring: nil)
                    })
            }
            var sets: [Duration] = []
            for round in 0..<(size >= 10_000 ? 20 : 50) {
                let index = (round * 104_729) % size
                sets.append(
                    try await clock.measure {
                        try await backend.set(
                            Secret("new value \(round)"), service: "service-\(index % 50).example.org",
                            account: "account-\(index)",
                            keyring: nil, label: nil)
                    })
            }
            print("file.n\(size).file_bytes: \(fileSize)")
            print("file.n\(size).batch_fill_ms: \(format(milliseconds(fill)))")
            print("file.n\(size).open_minimum_kdf_ms: \(format(milliseconds(open)))")
            print("file.n\(size).first_get_ms: \(format(milliseconds(firstRead)))")
            print("file.n\(size).get_us: \(format(milliseconds(median(gets)) * 1000))")
            print("file.n\(size).set_ms: \(format(milliseconds(median(sets))))")
        }
    }

    private static func median(_ samples: [Duration]) -> Duration {
        samples.sorted()[samples.count / 2]
    }

    private static func milliseconds(_ duration: Duration) -> Double {
        let components = duration.components
        return Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.3f", value)
    }
}
