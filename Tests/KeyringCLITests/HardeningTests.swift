import Foundation
import Testing
import TestSupport

/// What an attacker or a careless user tries against the `keyring` command: names that are not
/// UTF-8, an empty keyring name, secrets typed in the wrong place, names that forge output lines,
/// crashes with secrets in memory, secrets left in the environment, thirty writers at once, and
/// prompts that nobody can answer.
@Suite("keyring hardening")
struct HardeningTests {
    /// Runs a bash script in the fixture's environment, with `$K` the keyring under test.
    static func bash(_ cli: CLIFixture, _ script: String, environment: [String: String?] = [:], timeout: Duration = .seconds(120))
        async throws -> ProcessResult
    {
        var extra = environment
        extra["K"] = CLIFixture.executable
        // In the fixture's directory: files the script makes are removed with it.
        return try await cli.run(
            "/bin/bash", ["-c", "cd \"$HOME/..\" || exit 99\n" + script], environment: extra, timeout: timeout)
    }

    /// Bash that holds the default file keyring's lock for 4 s in the background (`$holder`),
    /// returning once it is held (within 10 s), so that a `keyring` started next waits for it.
    static let holdTheLock = """
        flock "$XDG_DATA_HOME/swift-keyring/default.keyring.lock" -c 'touch held; sleep 4' &
        holder=$!
        for _ in $(seq 200); do [ -e held ] && break; sleep 0.05; done
        [ -e held ] || { echo 'the lock holder did not start'; exit 7; }
        """

    @Test("arguments that are not UTF-8 are refused (status 2) and never reach an entry", arguments: CLIBackend.all)
    func nonUTF8Arguments(_ backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let result = try await Self.bash(
                cli,
                """
                printf one | "$K" set "$(printf 'svc\\377')" acct; echo "status $?"
                printf two | "$K" set "$(printf 'svc\\376')" acct; echo "status $?"
                "$K" get "$(printf 'svc\\377')" acct; echo "status $?"
                printf three | "$K" set svc "$(printf 'a\\300b')"; echo "status $?"
                "$K" run --env "X=$(printf 's\\377')/a" -- true; echo "status $?"
                "$K" --keyring "$(printf 'k\\377')" get svc acct; echo "status $?"
                """)
            #expect(result.stdoutText == String(repeating: "status 2\n", count: 6), "\(result)")
            #expect(result.stderrText.contains("not valid UTF-8"), "\(result)")
            // Nothing was stored under any decoding of those names.
            let list = try await cli.keyring(["list"])
            #expect(list.succeeded, "\(list)")
            #expect(list.stdout.isEmpty, "\(list)")
        }
    }

    @Test(
        "an empty or invalid --keyring is refused, and nothing lands in gnome-keyring's in-memory session collection",
        arguments: CLIBackend.all)
    func invalidKeyringNames(_ backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            for name in ["", " ", "a\u{1b}[31mb", "line\nbreak", String(repeating: "k", count: 300)] {
                let set = try await cli.keyring(["--keyring", name, "set", "empty.example", "alice"], input: "s3cret")
                #expect(set.status == 2, "--keyring \(name.debugDescription): \(set)")
                #expect(set.stderrText.contains("keyring name"), "\(set)")
                #expect(!set.stderr.contains(0x1B), "the escape character is not printed raw")
                let get = try await cli.keyring(["--keyring", name, "get", "empty.example", "alice"])
                #expect(get.status == 2, "\(get)")
            }
            let anywhere = try await cli.keyring(["get", "empty.example", "alice"])
            #expect(anywhere.status == 1, "nothing was stored anywhere: \(anywhere)")
            if backend == .secretService {
                let search = try await cli.run("secret-tool", ["search", "--all", "service", "empty.example"])
                #expect(!search.stdoutText.contains("/collection/"), "\(search)")
            }
        }
    }

    @Test("usage errors never repeat what was typed: a mistyped command, a bad option value, a bad argument")
    func usageErrorsDoNotEcho() async throws {
        try await withFixture(.file) { cli in
            let token = "ghp_pastedTokenValue123"
            let cases: [([String], String?)] = [
                (["sett", "svc", "user", token], "did you mean 'set'"),
                ([token], nil),
                (["--output", token, "get", "a", "b"], nil),
                (["get", "a", "b", "--mode", token], nil),
                (["--mode=\(token)", "get", "a", "b"], nil),
                (["search", token], nil),
                (["set", "--from-env", token, "a", "b"], nil),
                (["run", "--env", token, "--", "true"], nil),
                (["get", "a", "b", token], nil),
                (["lisst", token], "did you mean 'list'"),
            ]
            for (arguments, hint) in cases {
                let result = try await cli.keyring(arguments, environment: [token: nil])
                #expect(result.status == 2, "\(arguments): \(result)")
                #expect(!result.stderrContains(token), "\(arguments): \(result.stderrText)")
                #expect(!result.stdoutContains(token), "\(arguments)")
                if let hint { #expect(result.stderrText.contains(hint), "\(arguments): \(result.stderrText)") }
            }
        }
    }

    @Test("list, search and keyrings escape names: one entry is one line, and no escape sequence reaches the terminal")
    func outputEscapesNames() async throws {
        try await withFixture(.file) { cli in
            let service = "forged\tcolumn\nfake.example\tmallory\n\u{1b}]0;title\u{07}\u{202e}"
            try await cli.store("s3cret", service: service, account: "alice\\bob")
            let list = try await cli.keyring(["list"])
            #expect(list.succeeded, "\(list)")
            #expect(list.stdoutText.split(separator: "\n").count == 1, "\(list.stdoutText.debugDescription)")
            #expect(list.stdoutText.filter { $0 == "\t" }.count == 1, "exactly one column separator")
            #expect(!list.stdout.contains(0x1B) && !list.stdout.contains(0x07))
            #expect(list.stdoutText.contains("forged\\tcolumn\\nfake.example"), "\(list.stdoutText.debugDescription)")
            #expect(list.stdoutText.contains("alice\\\\bob"), "backslashes are escaped too")
            let accounts = try await cli.keyring(["list", service])
            #expect(accounts.stdoutText == "alice\\\\bob\n", "\(accounts)")
            let search = try await cli.keyring(["search", "service=\(service)"])
            #expect(search.succeeded, "\(search)")
            #expect(!search.stdout.contains(0x1B), "\(search)")
            #expect(search.stdoutText.split(separator: "\n").filter { $0.hasPrefix("service = ") }.count == 1, "\(search)")
            // The JSON output keeps the exact names.
            let json = try await cli.keyring(["list", "--output", "json"])
            #expect(json.stdoutText.contains("forged\\tcolumn\\nfake.example"), "\(json)")
        }
    }

    @Test("run gives its command the secrets it asked for and none of keyring's own secret settings")
    func runDoesNotHandOnSecretSettings() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("token-value", service: "api.example", account: "ci")
            let result = try await cli.keyring(
                ["run", "--env", "TOKEN=api.example/ci", "--", "/usr/bin/env"],
                environment: ["KEYRING_SECRET_OTHER__SERVICE": "other-secret"])
            #expect(result.succeeded, "\(result)")
            #expect(result.stdoutText.contains("TOKEN=token-value\n"))
            #expect(!result.stdoutContains(CLIFixture.filePassword), "KEYRING_FILE_PASSWORD reached the command")
            #expect(!result.stdoutContains("KEYRING_FILE_PASSWORD"))
            #expect(!result.stdoutContains("other-secret"), "a KEYRING_SECRET_ variable reached the command")
            #expect(result.stdoutText.contains("HOME="), "the rest of the environment is handed on")
        }
    }

    /// `set --from-env VAR` and `KEYRING_FILE_PASSWORD`: while `keyring` waits (here for the
    /// keyring's lock, held by another process), neither secret is in `/proc/PID/environ`.
    @Test("set --from-env and KEYRING_FILE_PASSWORD leave no copy in the process's environment while it waits")
    func noSecretInProcEnviron() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("first", service: "wait.example", account: "alice")
            let result = try await Self.bash(
                cli,
                """
                \(Self.holdTheLock)
                VALUE_TO_STORE=from-env-secret-value "$K" set --from-env VALUE_TO_STORE wait.example alice &
                pid=$!
                sleep 1.5
                tr '\\0' '\\n' < /proc/$pid/environ > environ.txt || echo "cannot read environ"
                wait $pid; echo "set status $?"
                wait $holder
                """)
            let environ = try String(contentsOf: cli.directory.appendingPathComponent("environ.txt"), encoding: .utf8)
            #expect(environ.contains("PATH="), "the environment could be read: \(result)")
            #expect(!environ.contains("from-env-secret-value"), "the --from-env value is still in the environment")
            #expect(!environ.contains(CLIFixture.filePassword), "KEYRING_FILE_PASSWORD is still in the environment")
            #expect(result.stdoutText.contains("set status 0"), "\(result)")
            let got = try await cli.keyring(["get", "wait.example", "alice"])
            #expect(got.stdoutText == "from-env-secret-value\n", "\(got)")
        }
    }

    /// A `keyring set` that crashes while it holds the secret and the file password writes no
    /// core with either in it. The control case proves this machine writes cores that hold the
    /// environment, so the test can fail.
    @Test("a crash with a secret in memory leaves no core file holding it")
    func noSecretInCoreDumps() async throws {
        let pattern = (try? String(contentsOfFile: "/proc/sys/kernel/core_pattern", encoding: .utf8)) ?? ""
        try #require(
            !pattern.hasPrefix("|") && !pattern.contains("/"),
            "this test needs core files written to the working directory; core_pattern is \(pattern)")
        try await withFixture(.file) { cli in
            try await cli.store("first", service: "crash.example", account: "alice")
            let result = try await Self.bash(
                cli,
                """
                ulimit -c unlimited || exit 9
                mkdir control crash
                (cd control && KEYRING_FILE_PASSWORD=control-password-value bash -c 'kill -SEGV $$')
                \(Self.holdTheLock)
                # The Swift runtime's backtracer (on in debug builds) would catch a SIGSEGV sent
                # with kill and carry on: the signal must do what a crash does.
                (cd crash && SWIFT_BACKTRACE=enable=no exec "$K" set crash.example alice < <(printf crash-secret-value)) &
                pid=$!
                sleep 1.5
                kill -SEGV $pid
                wait $pid; echo "set status $?"
                wait $holder
                echo "control: $(ls control)"
                echo "crash: $(ls crash)"
                cat control/core* | grep -c control-password-value
                cat crash/core* 2>/dev/null | grep -c -e crash-secret-value -e \(CLIFixture.filePassword)
                exit 0
                """)
            #expect(result.stdoutText.contains("set status 139"), "keyring was killed by SIGSEGV: \(result)")
            #expect(result.stdoutText.contains("control: core"), "the control process wrote a core: \(result)")
            let lines = result.stdoutText.split(separator: "\n")
            #expect(lines.count >= 2 && lines[lines.count - 2] != "0", "the control core holds its environment: \(result)")
            #expect(result.stdoutText.contains("crash: \n"), "keyring wrote no core: \(result)")
            #expect(lines.last == "0", "no secret in any core: \(result)")
        }
    }

    @Test("thirty concurrent sets of one entry leave exactly one item, holding one of the values written")
    func concurrentWritersLeaveOneItem() async throws {
        try await withFixture(.secretService) { cli in
            let result = try await Self.bash(
                cli,
                """
                pids=()
                for i in $(seq 1 30); do printf "value-$i" | "$K" set race.example alice & pids+=($!); done
                failed=0
                for pid in "${pids[@]}"; do wait $pid || failed=$((failed + 1)); done
                echo "failed $failed"
                """)
            #expect(result.stdoutText == "failed 0\n", "\(result)")
            let search = try await cli.run("secret-tool", ["search", "--all", "service", "race.example", "username", "alice"])
            let items = search.stdoutText.split(separator: "\n").filter { $0.hasPrefix("[/") }
            #expect(items.count == 1, "\(search.stdoutText)")
            let got = try await cli.keyring(["get", "race.example", "alice"])
            let value = got.stdoutText.trimmingCharacters(in: .newlines)
            #expect((1...30).map { "value-\($0)" }.contains(value), "\(got)")
        }
    }

    /// A restarting gnome-keyring must not make `keyring set` write to a new file keyring (with
    /// `KEYRING_FILE_PASSWORD` set, it used to, and exit 0), where the secret is invisible once
    /// the daemon is back.
    @Test("after the Secret Service was chosen automatically, its outage is status 4 and nothing lands in the file")
    func noSplitBrainDuringAnOutage() async throws {
        try await withFixture(.secretService) { cli in
            let automatic: [String: String?] = ["KEYRING_BACKEND": nil]
            let stored = try await cli.keyring(["set", "outage.example", "alice"], input: "before", environment: automatic)
            #expect(stored.succeeded, "\(stored)")
            try #require(cli.bus).killKeyring()
            let during = try await cli.keyring(
                ["set", "outage.example", "alice"], input: "during",
                environment: ["KEYRING_BACKEND": nil, "KEYRING_FILE_PASSWORD": "file-password"])
            #expect(during.status == 4, "\(during)")
            #expect(during.stderrText.contains("automatic choice"), "\(during.stderrText)")
            let data = try #require(cli.environment["XDG_DATA_HOME"]) + "/swift-keyring"
            #expect(!FileManager.default.fileExists(atPath: data), "a file keyring was created during the outage")
            try #require(cli.bus).restartKeyring()
            let after = try await cli.keyring(["get", "outage.example", "alice"], environment: automatic)
            #expect(after.stdoutText == "before\n", "\(after)")
        }
    }

    @Test("the first automatic choice of the file says so once on stderr, and where")
    func firstFallbackIsSaidOnce() async throws {
        try await withFixture(.file) { cli in
            let automatic: [String: String?] = ["KEYRING_BACKEND": nil]
            let first = try await cli.keyring(["set", "note.example", "alice"], input: "s3cret", environment: automatic)
            #expect(first.succeeded, "\(first)")
            #expect(first.stderrText.contains("encrypted file keyring in"), "\(first.stderrText)")
            #expect(first.stderrText.contains(cli.directory.appendingPathComponent("data").path))
            let second = try await cli.keyring(["get", "note.example", "alice"], environment: automatic)
            #expect(second.stdoutText == "s3cret\n")
            #expect(second.stderr.isEmpty, "said once: \(second.stderrText)")
        }
    }

    /// Without a terminal and without a desktop display nobody can answer a Secret Service
    /// prompt: a locked collection fails at once (status 3) instead of waiting for the prompt's
    /// deadline. The prompter here never answers, as a dialog on no screen would not.
    @Test("no terminal and no display: a locked collection is status 3 at once, not a wait for a prompt")
    func noTerminalMeansNoPrompt() async throws {
        let fixture = try CLIFixture(.secretService, prompter: TestPrompter.busName, server: .gnomeKeyring)
        defer { fixture.close() }
        let prompter = try await TestPrompter.start(on: try #require(fixture.bus).address, fallback: .never)
        defer { prompter.stop() }
        try await fixture.store("locked secret", service: "locked.example", account: "alice")
        let locked = try await fixture.keyring(["lock"])
        #expect(locked.succeeded, "\(locked)")
        let got = try await fixture.keyring(
            ["get", "locked.example", "alice"], environment: ["DISPLAY": nil, "WAYLAND_DISPLAY": nil], timeout: .seconds(30))
        #expect(!got.timedOut, "keyring waited for a prompt nobody could answer")
        #expect(got.status == 3, "\(got)")
        #expect(got.stderrText.contains("locked"), "\(got.stderrText)")
        #expect(prompter.records.isEmpty, "no prompt was shown")
    }

    /// gnome-keyring with no prompter dismisses an unlock prompt at once: that is a locked
    /// collection, not a user who cancelled.
    @Test("a locked collection and no prompter: status 3, and the message says the collection is locked")
    func lockedWithNoPrompter() async throws {
        try await withFixture(.secretService) { cli in
            try await cli.store("locked secret", service: "locked.example", account: "alice")
            let locked = try await cli.keyring(["lock"])
            #expect(locked.succeeded, "\(locked)")
            let got = try await cli.keyring(
                ["get", "locked.example", "alice"], environment: ["KEYRING_PROMPT": "always"], timeout: .seconds(60))
            #expect(got.status == 3, "\(got)")
            #expect(got.stderrText.contains("is locked"), "\(got.stderrText)")
            #expect(!got.stderrText.contains("by the user"), "\(got.stderrText)")
            #expect(!got.stderrText.contains("locked secret"))
        }
    }
}
