import Foundation
import Testing
import TestSupport

/// Plain `get` command lines skip the argument parser (FastPath.swift). Spelled so that the
/// parser must handle them (`--opt=value`, `--`), the same requests must give the same result.
@Suite("keyring get: fast path and argument parser agree")
struct FastPathTests {
    @Test("the same request, parsed both ways, gives the same status, stdout and stderr")
    func agree() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("fast-secret", service: "fast.example", account: "alice")
            var pairs: [(fast: [String], parsed: [String])] = [
                (["get", "fast.example", "alice"], ["get", "--", "fast.example", "alice"]),
                (["get", "fast.example", "nobody"], ["get", "--", "fast.example", "nobody"]),
                (["-b", "file", "get", "fast.example", "alice"], ["get", "--backend=file", "fast.example", "alice"]),
                (["get", "fast.example", "--mode", "creds"], ["get", "--mode=creds", "fast.example"]),
                (["--output", "json", "get", "fast.example", "alice"], ["get", "--output=json", "fast.example", "alice"]),
                (
                    ["--mode", "creds", "--output", "json", "get", "fast.example"],
                    ["get", "--mode=creds", "--output=json", "fast.example"]
                ),
                (
                    ["get", "fast.example", "alice", "--keyring", "default"],
                    ["get", "--keyring=default", "fast.example", "alice"]
                ),
                (["get", "fast.example", "alice", "--no-prompt"], ["get", "--no-prompt", "--", "fast.example", "alice"]),
                (["-b", "nosuch", "get", "fast.example", "alice"], ["get", "--backend=nosuch", "fast.example", "alice"]),
                (
                    ["-b", "keyring.backends.null.Keyring", "get", "a", "b"],
                    ["get", "--backend=keyring.backends.null.Keyring", "a", "b"]
                ),
            ]
            let log = cli.directory.appendingPathComponent("audit.log").path
            pairs.append(
                (["--audit-log", log, "get", "fast.example", "alice"], ["get", "--audit-log=\(log)", "fast.example", "alice"]))
            for (fast, parsed) in pairs {
                let one = try await cli.keyring(fast)
                let two = try await cli.keyring(parsed)
                #expect(one.status == two.status, "\(fast) vs \(parsed): \(one) / \(two)")
                #expect(one.stdout == two.stdout, "\(fast) vs \(parsed)")
                #expect(one.stderr == two.stderr, "\(fast) vs \(parsed)")
            }
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2 && lines.allSatisfy { $0.contains(#""result": "found""#) }, "\(lines)")
        }
    }
}
