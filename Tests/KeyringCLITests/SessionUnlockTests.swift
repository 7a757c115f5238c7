import Foundation
import Glibc
import Testing
import TestSupport

/// `keyring unlock` on the encrypted file: once per login session, across processes, until
/// `lock`, the timeout or logout; never for another user; in a container too.
///
/// A "login session" of the kernel is made with `keyring-test-exec --new-session-keyring`, as
/// pam_keyinit makes one at login; a container whose seccomp profile refuses the kernel keyring
/// calls with `--deny-keyctl`, the filter Docker's default profile applies to them.
@Suite("keyring unlock for the session", .serialized)
struct SessionUnlockTests {
    static let password = CLIFixture.filePassword

    /// The helper that makes a session keyring or refuses keyctl (Tests/keyring-test-exec).
    static var testExec: String { productsDirectory.appendingPathComponent("keyring-test-exec").path }

    enum Holder: String, CaseIterable, CustomTestStringConvertible {
        /// The kernel's session keyring, in a session keyring of its own.
        case kernel
        /// The key agent, chosen automatically because the kernel keyring calls are refused.
        case container

        var testDescription: String { rawValue }
        var execOptions: [String] {
            switch self {
            case .kernel: return ["--new-session-keyring"]
            case .container: return ["--new-session-keyring", "--deny-keyctl"]
            }
        }
        var diagnosis: String {
            switch self {
            case .kernel: return "the kernel session keyring"
            case .container: return "the key agent at "
            }
        }
    }

    /// Runs `script` with `sh -c` inside one session for `holder`, with no password in the environment.
    static func session(_ cli: CLIFixture, _ holder: Holder, _ script: String, timeout: Duration = .seconds(120))
        async throws -> ProcessResult
    {
        try await cli.run(
            testExec, holder.execOptions + ["--", "/bin/sh", "-c", "set -u\n" + script],
            environment: ["KEYRING_FILE_PASSWORD": nil, "K": CLIFixture.executable, "PW": password], timeout: timeout)
    }

    @Test("unlock once: later processes need no password, until lock", arguments: Holder.allCases)
    func unlockOnce(holder: Holder) async throws {
        try await withFixture(.file) { cli in
            let result = try await Self.session(
                cli, holder,
                """
                printf %s "$PW" | "$K" unlock --password-stdin; echo "unlock $?"
                printf one | "$K" set svc alice; echo "set $?"
                printf two | "$K" set svc bob; echo "set $?"
                for i in 1 2 3 4 5; do "$K" --no-prompt get svc alice; echo " get $?"; done
                "$K" diagnose 2>&1 | grep 'unlocked for the session in'
                "$K" lock; echo "lock $?"
                "$K" --no-prompt get svc alice; echo "after lock $?"
                """)
            let out = result.stdoutText
            #expect(result.succeeded, "\(result)")
            #expect(out.contains("unlock 0\nset 0\nset 0\n"), "\(result)")
            #expect(out.components(separatedBy: "one\n get 0\n").count == 6, "five gets with no password: \(result)")
            #expect(out.contains("unlocked for the session in: \(holder.diagnosis)"), "\(result)")
            #expect(out.contains("lock 0\nafter lock 3\n"), "lock ends it at once: \(result)")
            #expect(result.stderrContains("needs a password"), "\(result)")
            #expect(!result.stderrContains(Self.password) && !out.contains(Self.password))
        }
    }

    @Test("the unlock ends at its timeout", arguments: Holder.allCases)
    func timeout(holder: Holder) async throws {
        try await withFixture(.file) { cli in
            let result = try await Self.session(
                cli, holder,
                """
                printf %s "$PW" | "$K" unlock --password-stdin --timeout 2s; echo "unlock $?"
                printf one | "$K" set svc alice; echo "set $?"
                sleep 3.5
                "$K" --no-prompt get svc alice; echo "after timeout $?"
                """)
            #expect(result.stdoutText == "unlock 0\nset 0\nafter timeout 3\n", "\(result)")
        }
    }

    @Test("a bad --timeout is a usage error and unlocks nothing")
    func badTimeout() async throws {
        try await withFixture(.file) { cli in
            let result = try await cli.keyring(["unlock", "--timeout", "soon"])
            #expect(result.status == 2, "\(result)")
            #expect(result.stderrContains("--timeout"), "\(result)")
        }
    }

    @Test("without a session keyring, the agent holds the key; it exits after lock", .timeLimit(.minutes(2)))
    func agentAcrossProcesses() async throws {
        try await withFixture(.file) { cli in
            let noPassword: [String: String?] = ["KEYRING_FILE_PASSWORD": nil]
            let unlock = try await cli.keyring(["unlock", "--password-stdin"], input: Self.password, environment: noPassword)
            try #require(unlock.succeeded, "\(unlock)")
            let socket = cli.directory.path + "/runtime/swift-keyring/agent.sock"
            #expect(FileManager.default.fileExists(atPath: socket))
            #expect(Files.mode(cli.directory.path + "/runtime/swift-keyring") == 0o700)
            #expect(Files.mode(socket) == 0o600)
            let set = try await cli.keyring(["set", "svc", "alice"], input: "v", environment: noPassword)
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["--no-prompt", "get", "svc", "alice"], environment: noPassword)
            #expect(get.stdoutText == "v\n", "\(get)")
            let lock = try await cli.keyring(["lock"], environment: noPassword)
            #expect(lock.succeeded, "\(lock)")
            let after = try await cli.keyring(["--no-prompt", "get", "svc", "alice"], environment: noPassword)
            #expect(after.status == 3, "\(after)")
            // With nothing left to hold, the agent exits and removes its socket.
            let deadline = ContinuousClock.now + .seconds(10)
            while FileManager.default.fileExists(atPath: socket) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!FileManager.default.fileExists(atPath: socket), "the agent is gone")
        }
    }

    /// At logout, logind removes `$XDG_RUNTIME_DIR`; the agent notices its socket is gone and
    /// exits, dropping the keys, even though their timeout is hours away.
    @Test("the agent exits when its runtime directory is removed, as at logout", .timeLimit(.minutes(2)))
    func agentEndsAtLogout() async throws {
        try await withFixture(.file) { cli in
            let unlock = try await cli.keyring(
                ["unlock", "--password-stdin"], input: Self.password, environment: ["KEYRING_FILE_PASSWORD": nil])
            try #require(unlock.succeeded, "\(unlock)")
            let socket = cli.directory.path + "/runtime/swift-keyring/agent.sock"
            let agents = try await cli.run("/usr/bin/pgrep", ["-f", "agent --socket \(socket)"])
            let pid = try #require(Int32(agents.stdoutText.split(separator: "\n").first ?? ""), "\(agents)")
            try FileManager.default.removeItem(atPath: cli.directory.path + "/runtime/swift-keyring")
            let deadline = ContinuousClock.now + .seconds(20)
            while kill(pid, 0) == 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(kill(pid, 0) != 0, "the agent \(pid) still runs")
            let get = try await cli.keyring(["--no-prompt", "get", "svc", "alice"], environment: ["KEYRING_FILE_PASSWORD": nil])
            #expect(get.status != 0, "\(get)")
        }
    }

    /// Another user who can read a copy of the keyring file, and even shares the session
    /// keyring (a child made with setpriv), cannot use the held key.
    @Test(
        "another user cannot use the unlocked key", .enabled(if: geteuid() == 0, "needs root to run a process as nobody"),
        arguments: Holder.allCases)
    func otherUser(holder: Holder) async throws {
        try await withFixture(.file) { cli in
            let copy = try TemporaryDirectory.create(prefix: "nobody")
            defer { try? FileManager.default.removeItem(atPath: copy) }
            let result = try await Self.session(
                cli, holder,
                """
                printf %s "$PW" | "$K" unlock --password-stdin; echo "unlock $?"
                printf one | "$K" set svc alice; echo "set $?"
                "$K" --no-prompt get svc alice >/dev/null; echo "root get $?"
                mkdir -p "\(copy)/data" "\(copy)/home" "\(copy)/runtime"
                cp -r "$XDG_DATA_HOME/swift-keyring" "\(copy)/data/"
                chown -R 65534:65534 "\(copy)"
                chmod 755 "\(copy)"
                # The same keyring bytes, read as nobody, in this same session keyring; pointed
                # at this user's agent directory too.
                setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="\(copy)/home" \
                    XDG_DATA_HOME="\(copy)/data" XDG_STATE_HOME="\(copy)/home" XDG_CONFIG_HOME="\(copy)/home" \
                    "$K" --no-prompt get svc alice; echo "nobody get $?"
                setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="\(copy)/home" \
                    XDG_DATA_HOME="\(copy)/data" XDG_STATE_HOME="\(copy)/home" XDG_CONFIG_HOME="\(copy)/home" \
                    XDG_RUNTIME_DIR="\(copy)/runtime" KEYRING_SESSION_HOLDER=agent \
                    "$K" --no-prompt get svc alice; echo "nobody agent get $?"
                """)
            #expect(
                result.stdoutText == "unlock 0\nset 0\nroot get 0\nnobody get 3\nnobody agent get 3\n",
                "\(result)")
        }
    }

    /// Even a socket left open by mistake answers nothing to another user: the agent checks
    /// every caller with SO_PEERCRED.
    @Test("the agent answers no other user", .enabled(if: geteuid() == 0, "needs root to run a process as nobody"))
    func agentRefusesOtherUsers() async throws {
        try await withFixture(.file) { cli in
            let unlock = try await cli.keyring(
                ["unlock", "--password-stdin"], input: Self.password, environment: ["KEYRING_FILE_PASSWORD": nil])
            try #require(unlock.succeeded, "\(unlock)")
            let directory = cli.directory.path + "/runtime/swift-keyring"
            // Open the way on purpose, as a careless chmod would.
            for path in [cli.directory.path, cli.directory.path + "/runtime", directory] { chmod(path, 0o755) }
            chmod(directory + "/agent.sock", 0o666)
            let probe = """
                import socket, struct
                s = socket.socket(socket.AF_UNIX)
                s.connect("\(directory)/agent.sock")
                s.settimeout(5)
                try:
                    s.sendall(struct.pack(">BHIH", 5, 0, 0, 0))
                    print("reply", len(s.recv(16)))
                except (BrokenPipeError, ConnectionResetError):
                    print("reply 0")
                """
            let result = try await cli.run(
                "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", probe])
            #expect(result.stdoutText == "reply 0\n", "closed unanswered: \(result)")
            _ = try await cli.keyring(["lock"], environment: ["KEYRING_FILE_PASSWORD": nil])
        }
    }

    @Test("two processes unlocking and writing at once lose nothing", arguments: Holder.allCases)
    func concurrentUnlockAndWrite(holder: Holder) async throws {
        try await withFixture(.file) { cli in
            let result = try await Self.session(
                cli, holder,
                """
                writer() {
                    printf %s "$PW" | "$K" unlock --password-stdin || echo "unlock failed $1"
                    for i in 1 2 3 4 5 6 7 8 9 10; do
                        printf "v$1-$i" | "$K" set "svc$1" "account$i" || echo "set failed $1 $i"
                    done
                }
                writer a & writer b & wait
                for w in a b; do for i in 1 2 3 4 5 6 7 8 9 10; do
                    test "$("$K" --no-prompt get "svc$w" "account$i")" = "v$w-$i" || echo "lost $w $i"
                done; done
                echo done
                """)
            #expect(result.stdoutText == "done\n", "\(result)")
            #expect(result.succeeded, "\(result)")
        }
    }

    /// As sudo remembers a password: typed once at the prompt (a terminal made by script(1)),
    /// it opens the keyring for the next commands too, unless `remember-password = off`.
    @Test("a password typed at the prompt is remembered for the session, unless configured off", arguments: [true, false])
    func rememberedPrompt(remember: Bool) async throws {
        try await withFixture(.file) { cli in
            try await cli.store("v", service: "svc", account: "alice")
            if !remember {
                try FileManager.default.createDirectory(
                    atPath: cli.directory.path + "/config/swift-keyring", withIntermediateDirectories: true)
                try cli.write("remember-password = off\n", to: "config/swift-keyring/config")
            }
            let result = try await Self.session(
                cli, .kernel,
                """
                (sleep 1; printf '%s\\n' "$PW") | script -qec "$K get svc alice" /dev/null >/dev/null; echo "prompted $?"
                "$K" --no-prompt get svc alice; echo " again $?"
                """)
            #expect(result.stdoutText.hasPrefix("prompted 0\n"), "\(result)")
            #expect(result.stdoutText.hasSuffix(remember ? "v\n again 0\n" : " again 3\n"), "\(result)")
        }
    }

    @Test("the unlock-timeout and remember-password settings are read and shown by diagnose")
    func settings() async throws {
        try await withFixture(.file) { cli in
            try FileManager.default.createDirectory(
                atPath: cli.directory.path + "/config/swift-keyring", withIntermediateDirectories: true)
            try cli.write("backend = file\nunlock-timeout = 90m\nremember-password = off\n", to: "config/swift-keyring/config")
            let result = try await cli.keyring(["diagnose"])
            #expect(result.stdoutText.contains("unlock lasts 90m; prompted passwords not remembered"), "\(result)")
            try cli.write("unlock-timeout = forever\n", to: "config/swift-keyring/config")
            let bad = try await cli.keyring(["diagnose"])
            #expect(bad.stdoutText.contains("forever") || bad.stderrContains("forever"), "\(bad)")
        }
    }
}
