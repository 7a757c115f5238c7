import Foundation
import Testing
import TestSupport

/// Usage errors (status 2), locked keyrings (3), and the promise that no secret is ever printed
/// on stderr, whatever fails.
@Suite("keyring errors and exit statuses")
struct ErrorTests {
    @Test("missing or extra arguments are usage errors (status 2) with the usage on stderr")
    func usage() async throws {
        try await withFixture(.file) { cli in
            let cases: [[String]] = [
                [], ["get"], ["get", "only-service"], ["set", "only-service"], ["del"], ["del", "only-service"],
                ["frobnicate"], ["get", "a", "b", "c"], ["--mode", "bogus", "get", "a", "b"],
                ["--output", "xml", "get", "a", "b"],
                ["search", "no-equals-sign"], ["run", "--env", "NOSLASH=service", "--", "true"], ["run", "--env", "X=s/u"],
                ["--no-prompt", "delete-keyring", "work"],
            ]
            for arguments in cases {
                let result = try await cli.keyring(arguments)
                #expect(result.status == 2, "keyring \(arguments.joined(separator: " ")): \(result)")
                #expect(result.stdout.isEmpty, "\(arguments)")
                #expect(!result.stderr.isEmpty, "\(arguments): a usage error says what is wrong")
            }
        }
    }

    @Test("a secret given on the command line by mistake is refused and not echoed")
    func secretOnCommandLine() async throws {
        try await withFixture(.file) { cli in
            let result = try await cli.keyring(["set", "example.org", "alice", "hunter2-typed-here"], input: "")
            #expect(result.status == 2, "\(result)")
            #expect(!result.stderrContains("hunter2-typed-here"))
            #expect(result.stderrText.contains("never from the command line"))
            let get = try await cli.keyring(["get", "example.org", "alice"])
            #expect(get.status == 1, "nothing was stored")
        }
    }

    @Test("--no-prompt without a password: status 3 and what to do, never a prompt")
    func lockedWithoutPassword() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("locked-away", service: "example.org", account: "alice")
            let noPassword: [String: String?] = ["KEYRING_FILE_PASSWORD": nil]
            for arguments in [["get", "example.org", "alice"], ["get", "example.org", "--mode", "creds"], ["list"]] {
                let result = try await cli.keyring(["--no-prompt"] + arguments, environment: noPassword)
                #expect(result.status == 3, "\(arguments): \(result)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderrText.contains("KEYRING_FILE_PASSWORD"), "\(result.stderrText)")
                #expect(!result.stderrContains("locked-away"))
            }
            let set = try await cli.keyring(
                ["--no-prompt", "set", "example.org", "bob"], input: "new-secret-zz", environment: noPassword)
            #expect(set.status == 3, "\(set)")
            #expect(!set.stderrContains("new-secret-zz"))
        }
    }

    @Test("a wrong password: status 3; the password and the secret are not printed")
    func wrongPassword() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("guarded-secret", service: "example.org", account: "alice")
            let result = try await cli.keyring(
                ["get", "example.org", "alice", "--no-prompt"], environment: ["KEYRING_FILE_PASSWORD": "not-the-password"])
            #expect(result.status == 3, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(!result.stderrContains("not-the-password") && !result.stderrContains("guarded-secret"))
            #expect(!result.stderrContains(CLIFixture.filePassword))
        }
    }

    @Test("a damaged keyring file: status 5, and no secret on stderr")
    func damagedFile() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("intact-secret", service: "example.org", account: "alice")
            let file = cli.directory.appendingPathComponent("data/swift-keyring/default.keyring")
            var bytes = try [UInt8](Data(contentsOf: file))
            bytes[bytes.count - 5] ^= 0xFF
            try Data(bytes).write(to: file)
            let result = try await cli.keyring(["get", "example.org", "alice"])
            #expect(result.status == 5, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(!result.stderrContains("intact-secret"))
        }
    }

    @Test("--help documents the exit statuses; completion scripts are generated")
    func helpAndCompletion() async throws {
        try await withFixture(.file) { cli in
            let help = try await cli.keyring(["--help"])
            #expect(help.succeeded)
            #expect(help.stdoutText.contains("EXIT STATUS:"))
            #expect(help.stdoutText.contains("3  the keyring is locked"))
            for shell in ["bash", "zsh", "fish"] {
                let script = try await cli.keyring(["--generate-completion-script", shell])
                #expect(script.succeeded, "\(shell): \(script)")
                #expect(script.stdoutText.contains("git-credential"), "\(shell)")
            }
        }
    }

    @Test("--version prints the version and exits 0, also after global options; --help lists it")
    func version() async throws {
        try await withFixture(.file) { cli in
            for arguments in [["--version"], ["-b", "file", "--version"], ["--no-prompt", "--version"]] {
                let result = try await cli.keyring(arguments)
                #expect(result.status == 0, "\(arguments): \(result)")
                let printed = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(printed.first?.isNumber == true && printed.split(separator: ".").count >= 3, "\(arguments): \(printed)")
                #expect(!printed.contains(" ") && !printed.contains("\n"), "\(arguments): one word")
                #expect(result.stderr.isEmpty, "\(arguments)")
            }
            let help = try await cli.keyring(["--help"])
            #expect(help.stdoutText.contains("--version"))
        }
    }
}
