import Foundation
import Glibc
import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

/// Runs `keyring-file-stress` (Tests/keyring-file-stress) as a child process.
///
/// The binary is built by `swift build`/`swift test` into the same directory as the test
/// runner (`.build/<triple>/debug/`), so it is looked for next to `Bundle.main.executableURL`
/// (the `*.xctest` runner), then next to `CommandLine.arguments[0]`, then in
/// `.build/debug/` and `.build/release/` under the package root found from `#filePath`.
final class StressChild: @unchecked Sendable {
    static func binary(filePath: String = #filePath) -> URL? {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let root = URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug"))
        candidates.append(root.appendingPathComponent(".build/release"))
        return candidates.map { $0.appendingPathComponent("keyring-file-stress") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    let process = Process()
    private let output = Pipe()
    private let lock = NSLock()
    private var text = ""
    private var finished = false

    /// Starts a writer child.
    /// - Parameters:
    ///   - directory: The keyring directory.
    ///   - prefix: Its accounts are `PREFIX-i`.
    ///   - count: How many entries it writes.
    ///   - options: More arguments (`--kdf-ops N`, `--kdf-memory-mib N`, `--lock-timeout-ms N`).
    convenience init(directory: String, prefix: String, count: Int, options: [String] = []) throws {
        try self.init(arguments: [directory, prefix, String(count)] + options)
    }

    /// Starts the child with these arguments (`probe DIRECTORY...`, for instance).
    init(arguments: [String]) throws {
        let binary = try #require(Self.binary(), "keyring-file-stress was not built next to the tests; run `swift build` first")
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ["KEYRING_FILE_PASSWORD": EncryptedFileBackendTests.password, "PATH": "/usr/bin:/bin"]
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        let reader = output.fileHandleForReading
        let thread = Thread { [self] in
            while true {
                let data = reader.availableData
                lock.lock()
                if data.isEmpty {
                    finished = true
                    lock.unlock()
                    return
                }
                text += String(decoding: data, as: UTF8.self)
                lock.unlock()
            }
        }
        thread.start()
    }

    /// Complete lines printed so far.
    var lines: [String] {
        lock.withLock { text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    /// The accounts whose write the child acknowledged.
    var acknowledged: [String] {
        lock.withLock {
            // Only lines ended by a newline count: a partly printed line was not acknowledged.
            text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                .filter { $0.hasPrefix("ack ") }.map { String($0.dropFirst(4)) }
        }
    }

    private var isFinished: Bool { lock.withLock { finished } }

    /// Waits until the child has acknowledged `count` writes, printed `done`, or the deadline passed.
    func waitForAcknowledgements(_ count: Int, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while acknowledged.count < count && !isFinished && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits for end of output (the child exited), with a deadline.
    func waitForExit(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !isFinished && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(isFinished, "keyring-file-stress did not exit in time")
        if !isFinished { kill() }
        process.waitUntilExit()
    }

    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }
}

@Suite("Encrypted file backend across processes")
struct MultiProcessTests {
    @Test("the stress binary is found next to the tests")
    func binaryFound() {
        #expect(StressChild.binary() != nil)
    }

    @Test("SIGKILL in the middle of a write loop loses no acknowledged write")
    func killMidWrite() async throws {
        let directory = try TemporaryDirectory()
        var acknowledged: [String] = []
        for round in 0..<4 {
            let child = try StressChild(directory: directory.keyrings, prefix: "round\(round)", count: 100_000)
            try await child.waitForAcknowledgements(Int.random(in: 5...40))
            // Let it get into the next write, at a random point.
            try await Task.sleep(for: .microseconds(Int.random(in: 0...3000)))
            child.kill()
            try await child.waitForExit()
            #expect(child.process.terminationReason == .uncaughtSignal)
            let acks = child.acknowledged
            #expect(acks.count >= 5)
            acknowledged += acks
        }
        let backend = EncryptedFileBackendTests.backend(directory)
        let stored = Set(try await backend.accounts(service: "stress", keyring: nil))
        for account in acknowledged {
            #expect(stored.contains(account), "acknowledged \(account) was lost")
        }
        let sample = try #require(acknowledged.last)
        #expect(try await backend.get(service: "stress", account: sample, keyring: nil) == Secret("value-\(sample)"))
        // Leftover temp files do not stop the next write, which removes them.
        try await backend.set(Secret("after"), service: "stress", account: "after", keyring: nil, label: nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.keyrings).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test("two processes writing at once lose nothing")
    func twoWriters() async throws {
        let directory = try TemporaryDirectory()
        let count = 120
        let first = try StressChild(directory: directory.keyrings, prefix: "first", count: count)
        let second = try StressChild(directory: directory.keyrings, prefix: "second", count: count)
        try await first.waitForExit(timeout: .seconds(120))
        try await second.waitForExit(timeout: .seconds(120))
        #expect(first.process.terminationStatus == 0)
        #expect(second.process.terminationStatus == 0)
        #expect(first.lines.last == "done")
        #expect(second.lines.last == "done")
        let backend = EncryptedFileBackendTests.backend(directory)
        let stored = try await backend.accounts(service: "stress", keyring: nil)
        let expected = (0..<count).flatMap { ["first-\($0)", "second-\($0)"] }
        #expect(stored == expected.sorted())
    }
}

/// Many processes deriving costly keys at once, with a lock timeout set from a derivation timed
/// here: the comparison holds only while the machine's load stays what it was when measured,
/// and the 24 writers would skew every clock beside them. scripts/test runs the ...TimingTests
/// suites alone.
@Suite("Encrypted file backend across processes: timing")
struct MultiProcessTimingTests {
    /// Argon2id parameters that cost noticeably (10 passes over 64 MiB: about 0.2 s alone on the
    /// 2-core development machine, 0.6 s while it builds), while 24 processes at once still
    /// need only 1.5 GiB.
    static let costlyKDF = (operations: UInt32(10), memoryMiB: 64)

    @Test("24 processes writing at once, with a costly KDF and a lock timeout shorter than 24 KDFs, all succeed")
    func manyWritersCostlyKDF() async throws {
        // Each process derives the password key (twice when it loses the race to create the
        // file). Derived under the lock, the last of them would wait for 23 derivations in a
        // row; outside it, the lock is held for a read, a write and two fsyncs. The timeout is
        // 0.6 of 23 derivations, timed here, so it follows the machine's speed and load: 40 % of
        // the writers time out when the key is derived under the lock. When it is not, the
        // longest wait is 23 times the lock's own work: on the 2-core development machine these
        // writers all finish with a 400-800 ms timeout, against about 3 s here.
        let writers = 24
        let entries = 2
        let clock = ContinuousClock()
        var derivation = Duration.seconds(1000)
        for _ in 0..<3 {
            let elapsed = clock.measure {
                _ = Array("password".utf8).withUnsafeBytes { password in
                    Sodium.argon2id(
                        password: password, salt: [UInt8](repeating: 1, count: Sodium.pwhashSaltBytes),
                        opsLimit: UInt64(Self.costlyKDF.operations), memLimit: Self.costlyKDF.memoryMiB << 20, outputLength: 32)
                }
            }
            derivation = min(derivation, elapsed)
        }
        let timeout = max(derivation * (writers - 1) * 6 / 10, .seconds(2))
        let milliseconds = Int(timeout.components.seconds) * 1000 + Int(timeout.components.attoseconds / 1_000_000_000_000_000)
        let directory = try TemporaryDirectory()
        let options = [
            "--kdf-ops", String(Self.costlyKDF.operations), "--kdf-memory-mib", String(Self.costlyKDF.memoryMiB),
            "--lock-timeout-ms", String(milliseconds),
        ]
        let children = try (0..<writers).map { index in
            try StressChild(directory: directory.keyrings, prefix: "w\(index)", count: entries, options: options)
        }
        var acknowledged: [String] = []
        for child in children {
            try await child.waitForExit(timeout: .seconds(300))
            #expect(
                child.process.terminationStatus == 0,
                "a writer failed (its message is on stderr); lock timeout \(milliseconds) ms")
            #expect(child.lines.last == "done")
            acknowledged += child.acknowledged
        }
        #expect(acknowledged.count == writers * entries)
        let backend = EncryptedFileBackendTests.backend(directory)
        let stored = try await backend.accounts(service: "stress", keyring: nil)
        #expect(stored == acknowledged.sorted())
        let expected = (0..<writers).flatMap { writer in (0..<entries).map { "w\(writer)-\($0)" } }
        #expect(stored == expected.sorted())
        #expect(try await backend.get(service: "stress", account: "w7-1", keyring: nil) == Secret("value-w7-1"))
    }
}
