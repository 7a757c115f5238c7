import Foundation
import Testing
import TestSupport

/// The built `keyring` against gnome-keyring (or the server `KEYRING_TEST_SERVER` names), beside
/// the programs people already use:
/// secret-tool, Python keyring, and git's own git-credential-libsecret.
@Suite("keyring with other Secret Service programs")
struct SecretServiceCLIInteropTests {
    @Test func keyringAndSecretToolReadEachOther() async throws {
        try await withFixture(.secretService) { cli in
            try await cli.store("from keyring", service: "interop.example", account: "alice")
            let looked = try await cli.run("/usr/bin/secret-tool", ["lookup", "service", "interop.example", "username", "alice"])
            #expect(looked.stdoutText == "from keyring", "\(looked)")

            let stored = try await cli.run(
                "/usr/bin/secret-tool", ["store", "--label=x", "service", "tool.example", "username", "bob"],
                stdin: Array("from secret-tool".utf8))
            #expect(stored.succeeded, "\(stored)")
            let got = try await cli.keyring(["get", "tool.example", "bob"])
            #expect(got.stdoutText == "from secret-tool\n", "\(got)")
        }
    }

    @Test func keyringAndPythonKeyringReadEachOther() async throws {
        let python = try #require(
            ProcessInfo.processInfo.environment["KEYRING_TEST_PYTHON"], "run through scripts/test (KEYRING_TEST_PYTHON)")
        try await withFixture(.secretService) { cli in
            let pythonEnvironment: [String: String?] = ["PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"]
            try await cli.store("from keyring", service: "py.example", account: "alice")
            let read = try await cli.run(
                python, ["-c", "import keyring; print(keyring.get_password('py.example', 'alice'), end='')"],
                environment: pythonEnvironment)
            #expect(read.stdoutText == "from keyring", "\(read)")
            let wrote = try await cli.run(
                python, ["-c", "import keyring; keyring.set_password('py.example', 'bob', 'from python')"],
                environment: pythonEnvironment)
            #expect(wrote.succeeded, "\(wrote)")
            let got = try await cli.keyring(["get", "py.example", "bob"])
            #expect(got.stdoutText == "from python\n", "\(got)")
        }
    }

    /// gnome-keyring aborts when a client hangs up before its OpenSession is answered; keyring
    /// starts opening its session before it knows what it will need, and must not exit early.
    @Test func aKeyringThatGivesUpBeforeAskingTheDaemonLeavesItRunning() async throws {
        try await withFixture(.secretService) { cli in
            try await cli.store("still here", service: "early.example", account: "alice")
            let tooLong = String(repeating: "x", count: 5000)
            for _ in 0..<20 {
                let refused = try await cli.keyring(["get", tooLong, "alice"])
                #expect(!refused.succeeded && refused.stderrText.contains("longer than"), "\(refused)")
            }
            let got = try await cli.keyring(["get", "early.example", "alice"])
            #expect(got.stdoutText == "still here\n", "\(got)")
        }
    }

    /// git's own helper, compiled from the source Debian's git package ships.
    static func buildLibsecretHelper(in cli: CLIFixture) async throws -> String {
        let source = "/usr/share/doc/git/contrib/credential/libsecret/git-credential-libsecret.c"
        let output = cli.directory.appendingPathComponent("bin/git-credential-libsecret").path
        let flags = try await cli.run("/usr/bin/pkg-config", ["--cflags", "--libs", "glib-2.0", "libsecret-1"])
        try #require(flags.succeeded, "pkg-config libsecret-1: \(flags)")
        let arguments =
            [source, "-o", output]
            + flags.stdoutText.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }.filter {
                !$0.isEmpty
            }
        let built = try await cli.run("/usr/bin/cc", arguments)
        try #require(built.succeeded, "building git-credential-libsecret: \(built)")
        return output
    }

    static func git(_ cli: CLIFixture, helper: String, _ action: String, _ input: String) async throws -> ProcessResult {
        try await cli.run(
            "/usr/bin/git", ["-c", "credential.helper=", "-c", "credential.helper=\(helper)", "credential", action],
            stdin: Array(input.utf8),
            environment: ["GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"])
    }

    @Test func switchingFromGitCredentialLibsecretLosesNothing() async throws {
        try await withFixture(.secretService) { cli in
            _ = try await Self.buildLibsecretHelper(in: cli)
            let keyringHelper = "!\(CLIFixture.executable) git-credential"
            let query = "protocol=https\nhost=git.example.org\n\n"

            // Stored by git-credential-libsecret, found by keyring.
            let approved = try await Self.git(
                cli, helper: "libsecret", "approve",
                "protocol=https\nhost=git.example.org\nusername=alice\npassword=from-libsecret\n\n")
            #expect(approved.succeeded, "\(approved)")
            let filled = try await Self.git(cli, helper: keyringHelper, "fill", query)
            #expect(
                filled.stdoutText.contains("username=alice\n") && filled.stdoutText.contains("password=from-libsecret\n"),
                "\(filled)")

            // Stored by keyring, found by git-credential-libsecret.
            let ours = try await Self.git(
                cli, helper: keyringHelper, "approve",
                "protocol=https\nhost=code.example.org:8443\nusername=bob\npassword=from-keyring\n\n")
            #expect(ours.succeeded, "\(ours)")
            let theirs = try await Self.git(cli, helper: "libsecret", "fill", "protocol=https\nhost=code.example.org:8443\n\n")
            #expect(
                theirs.stdoutText.contains("username=bob\n") && theirs.stdoutText.contains("password=from-keyring\n"), "\(theirs)"
            )

            // Erased by keyring, gone for git-credential-libsecret too.
            let rejected = try await Self.git(
                cli, helper: keyringHelper, "reject",
                "protocol=https\nhost=git.example.org\nusername=alice\npassword=from-libsecret\n\n")
            #expect(rejected.succeeded, "\(rejected)")
            let after = try await Self.git(cli, helper: "libsecret", "fill", query)
            #expect(!after.stdoutText.contains("from-libsecret"), "\(after)")
        }
    }

    /// `keyring diagnose` names the program that owns org.freedesktop.secrets, as the bus says.
    @Test func diagnoseNamesTheServer() async throws {
        try await withFixture(.secretService) { cli in
            let server = try #require(cli.server)
            let expected: (title: String, limit: String?) =
                switch server {
                case .gnomeKeyring: ("gnome-keyring (gnome-keyring-daemon, pid ", "content type comes back as text/plain")
                case .kwallet: ("KWallet (kwalletd5, pid ", "a NUL byte ends them")
                case .keepassxc: ("KeePassXC (keepassxc, pid ", "need KeePassXC's window")
                case .libsecretMock: ("libsecret's test mock service (python3", "everything is lost when it exits")
                case .passSecretService: ("pass-secret-service (python3", "binary secrets cannot be stored")
                }
            let plain = try await cli.keyring(["diagnose"])
            #expect(plain.succeeded, "\(plain)")
            #expect(plain.stdoutText.contains("  server: " + expected.title), "\(plain.stdoutText)")
            if let pid = cli.bus?.keyringPID { #expect(plain.stdoutText.contains("pid \(pid))"), "\(plain.stdoutText)") }
            if let limit = expected.limit { #expect(plain.stdoutText.contains(limit), "\(plain.stdoutText)") }
            #expect(plain.stdoutText.contains("secret-service: usable: org.freedesktop.secrets answers on the session bus ("))
        }
    }

    /// Headless (no terminal, no DISPLAY), `keyring` shows no Secret Service prompt, but runs
    /// those that ask nobody: on a server that answers writes with one
    /// (``ServerProfile/promptsForWrites``: KeePassXC) `set`, `get`, `lock` and `del` work as
    /// they do elsewhere.
    @Test func writesWithAPromptHeadless() async throws {
        try await withFixture(.secretService) { cli in
            let headless: [String: String?] = ["KEYRING_PROMPT": nil, "DISPLAY": nil, "WAYLAND_DISPLAY": nil]
            let set = try await cli.keyring(
                ["set", "headless.example", "alice"], input: "headless secret", environment: headless)
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", "headless.example", "alice"], environment: headless)
            #expect(get.stdoutText == "headless secret\n", "\(get)")
            let del = try await cli.keyring(["del", "headless.example", "alice"], environment: headless)
            #expect(del.succeeded, "\(del)")
            let gone = try await cli.keyring(["get", "headless.example", "alice"], environment: headless)
            #expect(gone.status == 1, "\(gone)")
        }
    }

}

/// What must be quick, not only bounded: run by scripts/test alone (the ...TimingTests suites).
@Suite("keyring with other Secret Service programs: timing")
struct SecretServiceInteropTimingTests {
    @Test func noPromptOnALockedCollectionFailsFastAndSaysSo() async throws {
        try await withFixture(.secretService) { cli in
            try await cli.store("locked secret", service: "locked.example", account: "alice")
            let locked = try await cli.keyring(["lock"])
            #expect(locked.succeeded, "\(locked)")
            let clock = ContinuousClock()
            let start = clock.now
            let got = try await cli.keyring(["--no-prompt", "get", "locked.example", "alice"])
            let elapsed = clock.now - start
            if let server = cli.server, server.profile.unlockPrompt == .none {
                // The libsecret mock and pass-secret-service unlock when asked, with no prompt.
                #expect(got.stdoutText == "locked secret\n", "\(got)")
                return
            }
            #expect(got.status == 3, "\(got)")
            #expect(got.stdout.isEmpty)
            #expect(got.stderrText.contains("locked"), "\(got.stderrText)")
            #expect(!got.stderrText.contains("locked secret"))
            #expect(elapsed < .seconds(1), "took \(elapsed)")
        }
    }
}
