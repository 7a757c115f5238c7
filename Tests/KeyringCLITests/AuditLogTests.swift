import Foundation
import Testing
import TestSupport

/// The audit log of lookups: `--audit-log PATH` or `audit-log = PATH` in the configuration file.
@Suite("the audit log")
struct AuditLogTests {
    static func lines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
    }

    static func permissions(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("get, run and the helpers' lookups append one line each, with no value", arguments: CLIBackend.all)
    func records(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let log = cli.directory.appendingPathComponent("audit.log").path
            try await cli.store("audited-secret", service: "audit.example", account: "alice")
            let option = ["--audit-log", log]
            #expect(try await cli.keyring(option + ["get", "audit.example", "alice"]).stdoutText == "audited-secret\n")
            #expect(try await cli.keyring(["get", "audit.example", "nobody", "--audit-log", log]).status == 1)
            #expect(try await cli.keyring(option + ["--mode", "creds", "get", "audit.example"]).succeeded)
            #expect(
                try await cli.keyring(option + ["run", "--env", "T=audit.example/alice", "--", "/usr/bin/true"]).succeeded)
            let git = try await cli.keyring(option + ["git-credential", "get"], input: "protocol=https\nhost=git.example\n\n")
            #expect(git.succeeded)
            let docker = try await cli.keyring(option + ["docker-credential", "get"], input: "registry.example")
            #expect(docker.status == 1)
            #expect(try Self.permissions(log) == 0o600)

            let text = try String(contentsOfFile: log, encoding: .utf8)
            #expect(!text.contains("audited-secret"))
            let lines = try Self.lines(log)
            #expect(lines.count == 6, "\(text)")
            let summary = lines.map { "\($0["operation"]!) \($0["service"]!) \($0["account"] ?? "-") \($0["result"]!)" }
            #expect(
                summary == [
                    "get audit.example alice found", "get audit.example nobody not-found", "get audit.example alice found",
                    "run audit.example alice found", "git-credential get git:https://git.example - not-found",
                    "docker-credential get registry.example - not-found",
                ], "\(summary)")
            for line in lines {
                #expect(line["backend"] as? String == backend.rawValue)
                #expect((line["pid"] as? Int ?? 0) > 0 && (line["ppid"] as? Int ?? 0) > 0)
                #expect(line["parent"] is String)
                let time = try #require(line["time"] as? String)
                #expect(time.count == 24 && time.hasSuffix("Z") && time.dropFirst(10).hasPrefix("T"), "\(time)")
            }
        }
    }

    @Test("the configuration file turns it on; an unsafe file is refused before anything is read")
    func configurationAndRefusals() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("guarded", service: "audit.example", account: "alice")
            let log = cli.directory.appendingPathComponent("home/audit.log").path
            try FileManager.default.createDirectory(
                at: cli.directory.appendingPathComponent("config/swift-keyring"), withIntermediateDirectories: true)
            try cli.write("audit-log = ~/audit.log\n", to: "config/swift-keyring/config")
            #expect(try await cli.keyring(["get", "audit.example", "alice"]).succeeded)
            #expect(try Self.lines(log).count == 1)

            // Readable by others: refused, and the secret is not printed.
            chmod(log, 0o644)
            let open = try await cli.keyring(["get", "audit.example", "alice"])
            #expect(open.status == 5 && open.stdout.isEmpty, "\(open)")
            #expect(open.stderrText.contains("chmod 600"), "\(open)")
            chmod(log, 0o600)
            // A symbolic link: refused.
            let link = cli.directory.appendingPathComponent("link.log").path
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: log)
            let linked = try await cli.keyring(["--audit-log", link, "get", "audit.example", "alice"])
            #expect(linked.status == 5 && linked.stdout.isEmpty && linked.stderrText.contains("symbolic link"), "\(linked)")
            // A directory that does not exist: refused.
            let nowhere = try await cli.keyring(["--audit-log", "/nonexistent/dir/audit.log", "get", "audit.example", "alice"])
            #expect(nowhere.status == 5 && nowhere.stdout.isEmpty, "\(nowhere)")
            // A relative path in the configuration is an error naming the line.
            try cli.write("audit-log = audit.log\n", to: "config/swift-keyring/config")
            let relative = try await cli.keyring(["get", "audit.example", "alice"])
            #expect(relative.status == 2 && relative.stderrText.contains("line 1"), "\(relative)")
        }
    }

    @Test("many processes appending at once: every line whole, none lost")
    func concurrentAppends() async throws {
        try await withFixture(.file) { cli in
            let log = cli.directory.appendingPathComponent("audit.log").path
            let count = 48
            // The env backend: no file lock between the processes, so they really run side by side.
            let environment: [String: String?] = [
                "KEYRING_BACKEND": "env", "KEYRING_SECRET_CONCURRENT_EXAMPLE__ALICE": "s",
            ]
            let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
                for index in 0..<count {
                    group.addTask {
                        try await cli.keyring(
                            ["--audit-log", log, "get", "concurrent.example", index % 2 == 0 ? "alice" : "user-\(index)"],
                            environment: environment
                        ).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 0 }.count == count / 2)
            let lines = try Self.lines(log)
            #expect(lines.count == count)
            #expect(Set(lines.compactMap { $0["pid"] as? Int }).count == count, "one line per process")
            #expect(lines.filter { $0["result"] as? String == "found" }.count == count / 2)
        }
    }
}
