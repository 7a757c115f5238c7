import Foundation
import Testing
import TestSupport

/// What a new user met first (issue 15): completions, Python keyring's other options, what
/// `list` shows for helpers' items, the words of the messages, and which account
/// `--mode creds` takes.
@Suite("the rough edges new users hit")
struct RoughEdgeTests {
    @Test("an unknown command suggests the nearest one, without 'unexpected arguments' or the arguments")
    func unknownCommand() async throws {
        try await withFixture(.file) { cli in
            let result = try await cli.keyring(["lsit", "my-service", "s3cr3t-value"])
            #expect(result.status == 2, "\(result)")
            #expect(result.stderrText.contains("did you mean 'list'"), "\(result.stderrText)")
            #expect(!result.stderrText.contains("unexpected argument"))
            #expect(!result.stderrContains("my-service") && !result.stderrContains("s3cr3t-value"))
            let alias = try await cli.keyring(["list-keyring"])
            #expect(alias.stderrText.contains("did you mean 'list-keyrings'"), "\(alias.stderrText)")
        }
    }

    @Test("completion scripts offer the aliases; --help names --generate-completion-script and --print-completion")
    func completions() async throws {
        try await withFixture(.file) { cli in
            let help = try await cli.keyring(["--help"])
            #expect(help.stdoutText.contains("--generate-completion-script"), "\(help.stdoutText)")
            #expect(help.stdoutText.contains("--print-completion"))
            for shell in ["bash", "zsh", "fish"] {
                let script = try await cli.keyring(["--generate-completion-script", shell])
                #expect(script.succeeded, "\(shell): \(script)")
                for alias in ["delete", "list-keyrings"] {
                    #expect(script.stdoutText.contains(alias), "\(shell) offers \(alias)")
                }
                // Python keyring's spelling gives the same script.
                let python = try await cli.keyring(["--print-completion", shell])
                #expect(python.succeeded && python.stdout == script.stdout, "\(shell): \(python)")
            }
            // bash, run as a shell runs it: `keyring de<TAB>` and `keyring list-<TAB>`.
            let script = try await cli.keyring(["--generate-completion-script", "bash"])
            let path = try cli.write(script.stdoutText, to: "completion.bash")
            for (words, expected) in [("keyring de", ["del", "delete", "delete-keyring"]), ("keyring list-", ["list-keyrings"])] {
                let probe = """
                    source '\(path)'
                    COMP_WORDS=(\(words)); COMP_CWORD=1; COMP_LINE='\(words)'; COMP_POINT=${#COMP_LINE}
                    _keyring keyring '\(words.split(separator: " ").last!)' keyring
                    printf '%s\\n' "${COMPREPLY[@]}" | sort
                    """
                let offered = try await cli.run("/bin/bash", ["-c", probe])
                #expect(offered.stdoutText.split(separator: "\n").map(String.init) == expected, "\(words): \(offered)")
            }
            let tcsh = try await cli.keyring(["--print-completion", "tcsh"])
            #expect(tcsh.status == 2 && tcsh.stderrText.contains("bash, zsh or fish"), "\(tcsh)")
        }
    }

    @Test("--disable turns keyring off as Python keyring's does, and refuses to overwrite a configuration")
    func disable() async throws {
        try await withFixture(.file) { cli in
            try await cli.store("kept", service: "off.example", account: "alice")
            let unset: [String: String?] = ["KEYRING_BACKEND": nil]
            let disable = try await cli.keyring(["--disable"], environment: unset)
            #expect(disable.succeeded, "\(disable)")
            let config = cli.directory.appendingPathComponent("config/swift-keyring/config").path
            #expect(try String(contentsOfFile: config, encoding: .utf8) == "backend = disabled\n")
            // As Python's null backend: nothing is found, nothing is stored, and no error.
            let get = try await cli.keyring(["get", "off.example", "alice"], environment: unset)
            #expect(get.status == 1 && get.stdout.isEmpty, "\(get)")
            let set = try await cli.keyring(["set", "off.example", "bob"], stdin: Array("x\n".utf8), environment: unset)
            #expect(set.succeeded, "\(set)")
            // A backend named on the command line or in KEYRING_BACKEND still wins.
            #expect(try await cli.keyring(["get", "off.example", "alice"]).stdoutText == "kept\n")
            #expect(try await cli.keyring(["-b", "file", "get", "off.example", "bob"], environment: unset).status == 1)
            let again = try await cli.keyring(["--disable"], environment: unset)
            #expect(again.status == 5 && again.stderrText.contains("refusing to overwrite"), "\(again)")
        }
    }

    @Test("keyring list shows the URL of git and docker items, which have no service attribute")
    func listShowsHelperItems() async throws {
        try await withFixture(.secretService) { cli in
            let git = try await cli.keyring(
                ["git-credential", "store"], input: "protocol=https\nhost=git.example:8443\nusername=gina\npassword=g\n\n")
            #expect(git.succeeded, "\(git)")
            let docker = try await cli.keyring(
                ["docker-credential", "store"], input: #"{"ServerURL":"registry.example","Username":"dan","Secret":"d"}"#)
            #expect(docker.succeeded, "\(docker)")
            let list = try await cli.keyring(["list"])
            #expect(
                list.stdoutText.split(separator: "\n").sorted() == [
                    "docker:registry.example\tdan", "git:https://git.example:8443\tgina",
                ],
                "\(list.stdoutText)")
        }
    }

    @Test("messages name the user's choice and say 'keyring daemon' once, with no Swift API names")
    func messageWords() async throws {
        try await withFixture(.file) { cli in
            let bus = try TestBus.start(keyring: false)
            defer { bus.stop() }
            let noDaemon: [String: String?] = [
                "DBUS_SESSION_BUS_ADDRESS": bus.address, "KEYRING_BACKEND": nil, "KEYRING_FILE_PASSWORD": nil,
            ]
            let chosen = try await cli.keyring(["-b", "secret-service", "get", "a.example", "alice"], environment: noDaemon)
            #expect(chosen.status == 4, "\(chosen)")
            #expect(chosen.stderrText.contains("-b secret-service") && !chosen.stderrText.contains("chosen by the program"))
            #expect(chosen.stderrText.ranges(of: "keyring daemon").count == 1, "\(chosen.stderrText)")
            // The automatic choice recorded as the Secret Service, which does not answer now.
            let state = cli.directory.appendingPathComponent("home/.local/state/swift-keyring")
            try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
            try "secret-service\n".write(to: state.appendingPathComponent("automatic-backend"), atomically: true, encoding: .utf8)
            let recorded = try await cli.keyring(["get", "a.example", "alice"], environment: noDaemon)
            #expect(recorded.status == 4, "\(recorded)")
            #expect(recorded.stderrText.ranges(of: "keyring daemon").count == 1, "\(recorded.stderrText)")
            // A file keyring with no password and no way to ask.
            try await cli.store("s", service: "a.example", account: "alice")
            let locked = try await cli.keyring(
                ["--no-prompt", "get", "a.example", "alice"], environment: ["KEYRING_FILE_PASSWORD": nil])
            #expect(locked.status == 3, "\(locked)")
            for message in [chosen.stderrText, recorded.stderrText, locked.stderrText] {
                #expect(!message.contains("(keyring:") && !message.contains("password:)"), "\(message)")
            }
        }
    }

    @Test("--mode creds without USERNAME takes the account Python keyring's get_credential takes", arguments: CLIBackend.all)
    func credsTakesTheFirst(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            for account in ["mallory", "bob", "zoe", "alice"] {
                try await cli.store("pw-\(account)", service: "first.example", account: account)
            }
            let creds = try await cli.keyring(["get", "first.example", "--mode", "creds"])
            #expect(creds.succeeded, "\(creds)")
            let taken = creds.stdoutText.split(separator: "\n").first.map(String.init)
            switch backend {
            case .file:
                // No order is kept: the first by name.
                #expect(taken == "alice")
            case .secretService:
                // The first that the default collection's search returns (gnome-keyring keeps no
                // order of creation), as Python keyring takes it; the same every time.
                let python = try #require(
                    ProcessInfo.processInfo.environment["KEYRING_TEST_PYTHON"], "run through scripts/test (KEYRING_TEST_PYTHON)")
                for _ in 0..<2 {
                    let again = try await cli.keyring(["get", "first.example", "--mode", "creds"])
                    #expect(again.stdout == creds.stdout)
                    let read = try await cli.run(
                        python,
                        ["-c", "import keyring; c = keyring.get_credential('first.example', None); print(c.username, end='')"],
                        environment: ["PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"])
                    #expect(read.stdoutText == taken, "\(read)")
                }
            }
        }
    }
}
