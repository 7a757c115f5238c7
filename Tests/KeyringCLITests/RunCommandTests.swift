import Foundation
import Testing
import TestSupport

/// `keyring run --env VAR=SERVICE/USERNAME -- COMMAND`: the secret reaches the command's
/// environment and nowhere else.
@Suite("keyring run")
struct RunCommandTests {
    @Test("the child sees the secret in its environment, not in its argv", arguments: CLIBackend.all)
    func environment(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await cli.store("run-secret-42", service: "https://api.example.org/v1", account: "deploy")
            try await cli.store("second-one", service: "db.example", account: "app")
            let result = try await cli.keyring([
                "run", "--env", "API_TOKEN=https://api.example.org/v1/deploy", "--env", "DB_PASSWORD=db.example/app", "--",
                "sh", "-c", #"printf '%s|%s' "$API_TOKEN" "$DB_PASSWORD"; printf '\n'; tr '\0' ' ' < /proc/$$/cmdline"#,
            ])
            #expect(result.succeeded, "\(result)")
            let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.first == "run-secret-42|second-one")
            #expect(lines.count >= 2 && !lines[1].contains("run-secret-42") && lines[1].hasPrefix("sh -c"), "argv: \(lines)")
            #expect(result.stderr.isEmpty)
        }
    }

    @Test("a secret pasted into --env by mistake is never echoed")
    func malformedEnvironmentRequests() async throws {
        try await withFixture(.file) { cli in
            for request in ["ghp_pastedTokenValue", "TOKEN=ghp_pastedTokenValue", "9ghp_pastedTokenValue=x/y"] {
                let result = try await cli.keyring(["run", "--env", request, "--", "true"])
                #expect(result.status == 2, "\(request): \(result)")
                #expect(!result.stderrContains("ghp_pastedTokenValue"), "\(result.stderrText)")
                #expect(!result.stderr.isEmpty)
            }
        }
    }

    @Test("the command's exit status is passed on; the environment is otherwise kept")
    func status() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("x", service: "svc", account: "u")
            let result = try await cli.keyring(
                ["run", "--env", "T=svc/u", "--", "sh", "-c", #"test "$KEEP_ME" = kept && exit 7"#],
                environment: ["KEEP_ME": "kept"])
            #expect(result.status == 7, "\(result)")
            let replaced = try await cli.keyring(
                ["run", "--env", "T=svc/u", "--", "sh", "-c", #"printf %s "$T""#], environment: ["T": "old"])
            #expect(replaced.stdoutText == "x")
            let noSecrets = try await cli.keyring(["run", "--", "sh", "-c", "echo plain"])
            #expect(noSecrets.stdoutText == "plain\n")
        }
    }

    @Test("a missing secret stops before running anything (status 1); a missing command is 127")
    func failures() async throws {
        try await withFixture(.file) { cli in
            let missing = try await cli.keyring(["run", "--env", "T=svc/nobody", "--", "sh", "-c", "echo ran"])
            #expect(missing.status == 1, "\(missing)")
            #expect(missing.stdout.isEmpty)
            #expect(missing.stderrText.contains("keyring set 'svc' 'nobody'"))

            try await cli.store("hidden-value", service: "svc", account: "u")
            let notFound = try await cli.keyring(["run", "--env", "T=svc/u", "--", "no-such-command-anywhere"])
            #expect(notFound.status == 127, "\(notFound)")
            #expect(!notFound.stderrContains("hidden-value"))
            let plainFile = try cli.write("not a program\n", to: "data.txt")
            let notExecutable = try await cli.keyring(["run", "--", plainFile])
            #expect(notExecutable.status == 126, "\(notExecutable)")

            let nul = try await cli.keyring(["set", "svc", "binary"], stdin: [0x61, 0x00, 0x62])
            #expect(nul.succeeded)
            let refused = try await cli.keyring(["run", "--env", "B=svc/binary", "--", "true"])
            #expect(refused.status == 5 && refused.stderrText.contains("NUL"), "\(refused)")
        }
    }
}
