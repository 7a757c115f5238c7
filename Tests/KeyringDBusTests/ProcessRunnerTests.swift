import Foundation
import Testing
import TestSupport

/// `runProcess`, which every CLI and interop test relies on.
@Suite("TestSupport.runProcess")
struct ProcessRunnerTests {
    let environment = ["PATH": "/usr/bin:/bin"]

    @Test("passes stdin, returns stdout, stderr and the exit status")
    func roundTrip() throws {
        let result = try runProcess(
            "sh", ["-c", "cat; echo oops >&2; exit 3"],
            environment: environment, stdin: Array("in\u{0}put".utf8), timeout: .seconds(10))
        #expect(result.status == 3)
        #expect(!result.timedOut && result.signal == nil)
        #expect(result.stdout == Array("in\u{0}put".utf8))
        #expect(result.stderrText == "oops\n")
    }

    @Test("gives the child exactly the environment it is handed")
    func environmentIsExact() throws {
        let result = try runProcess(
            "env", [], environment: ["PATH": "/usr/bin:/bin", "ONLY": "this"],
            timeout: .seconds(10))
        #expect(result.stdoutText.split(separator: "\n").sorted() == ["ONLY=this", "PATH=/usr/bin:/bin"])
    }

    @Test("moves more than a pipe's buffer in both directions")
    func largeOutput() throws {
        let input = [UInt8](repeating: 0x61, count: 3_000_000)
        let result = try runProcess("cat", [], environment: environment, stdin: input, timeout: .seconds(30))
        #expect(result.succeeded)
        #expect(result.stdout.count == input.count)
    }

    @Test("kills the child's process group at the deadline")
    func deadline() throws {
        let started = ContinuousClock.now
        let result = try runProcess(
            "sh", ["-c", "sleep 30 & sleep 30"], environment: environment,
            timeout: .milliseconds(200))
        #expect(result.timedOut)
        #expect(result.signal == 9)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("throws for an executable that does not exist")
    func missingExecutable() {
        #expect(throws: TestSupportError.self) {
            try runProcess("no-such-program-here", [], environment: environment, timeout: .seconds(1))
        }
    }

    @Test("the async form runs off the cooperative pool and gives the same result")
    func asyncForm() async throws {
        let results = try await withThrowingTaskGroup(of: ProcessResult.self) { group in
            // More concurrent children than the pool has threads: none may starve another.
            for index in 0..<8 {
                group.addTask {
                    try await runProcess(
                        "sh", ["-c", "sleep 0.2; echo \(index)"],
                        environment: environment, timeout: .seconds(10))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.map(\.stdoutText).sorted() == (0..<8).map { "\($0)\n" })
    }

    @Test("productsDirectory holds the built executables")
    func products() {
        let keyring = productsDirectory.appendingPathComponent("keyring").path
        #expect(FileManager.default.isExecutableFile(atPath: keyring), "\(keyring)")
    }
}
