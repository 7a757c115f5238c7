import Foundation
import Testing
import TestSupport

/// `keyring set`, `get` and `del` as people and scripts use them: what reaches stdout, byte for
/// byte, and the exit statuses of Python keyring's command line.
@Suite("keyring get, set, del")
struct GetSetDeleteTests {
    @Test("set from stdin, get prints it and a newline, del removes it", arguments: CLIBackend.all)
    func roundTrip(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let set = try await cli.keyring(["set", "example.org", "alice"], input: "hunter2\n")
            #expect(set.succeeded, "\(set)")
            #expect(set.stdout.isEmpty && set.stderr.isEmpty)

            let get = try await cli.keyring(["get", "example.org", "alice"])
            #expect(get.succeeded, "\(get)")
            #expect(get.stdoutText == "hunter2\n")
            #expect(get.stderr.isEmpty)

            let delete = try await cli.keyring(["del", "example.org", "alice"])
            #expect(delete.succeeded, "\(delete)")
            let gone = try await cli.keyring(["get", "example.org", "alice"])
            #expect(gone.status == 1)
            #expect(gone.stdout.isEmpty)

            let again = try await cli.keyring(["del", "example.org", "alice"])
            #expect(again.status == 1, "deleting a missing entry is status 1, as in Python keyring")
            #expect(again.stdout.isEmpty)
            #expect(again.stderrText.contains("no secret is stored"))
        }
    }

    @Test("get of a missing entry: status 1, nothing on stdout or stderr", arguments: CLIBackend.all)
    func missing(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            for arguments in [["get", "nowhere.example", "nobody"], ["get", "nowhere.example", "--mode", "creds"]] {
                let result = try await cli.keyring(arguments)
                #expect(result.status == 1, "\(arguments): \(result)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderr.isEmpty, "pip and uv show keyring's stderr to their users")
            }
            // Also once something else is stored, so the keyring exists and is opened.
            try await cli.store("other", service: "elsewhere.example", account: "bob")
            let result = try await cli.keyring(["get", "nowhere.example", "nobody"])
            #expect(result.status == 1 && result.stdout.isEmpty && result.stderr.isEmpty, "\(result)")
        }
    }

    @Test("exactly one trailing newline is stripped from stdin", arguments: CLIBackend.all)
    func trailingNewline(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let cases: [(input: String, stored: String)] = [
                ("plain", "plain"), ("one\n", "one"), ("two\n\n", "two\n"), ("\n", ""), ("in\nside", "in\nside"),
                ("crlf\r\n", "crlf\r"),
            ]
            for (index, item) in cases.enumerated() {
                let account = "case\(index)"
                let set = try await cli.keyring(["set", "newlines", account], input: item.input)
                #expect(set.succeeded, "\(set)")
                let get = try await cli.keyring(["get", "newlines", account])
                #expect(get.stdoutText == item.stored + "\n", "input \(item.input.debugDescription)")
            }
            // Empty input (</dev/null, a command that printed nothing) never replaces a secret.
            for stdin in [nil, [UInt8]()] {
                let empty = try await cli.keyring(["set", "newlines", "case0"], stdin: stdin)
                #expect(empty.status == 2 && empty.stderrText.contains("empty"), "\(empty)")
            }
            let kept = try await cli.keyring(["get", "newlines", "case0"])
            #expect(kept.stdoutText == "plain\n")
        }
    }

    @Test("binary stdin is stored and printed byte for byte", arguments: CLIBackend.all)
    func binary(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let secret: [UInt8] = [0xFF, 0x00, 0x01, 0xC3, 0x28, 0x80, 0x0A, 0x00, 0xFE]
            let set = try await cli.keyring(["set", "binary", "alice"], stdin: secret + [0x0A])
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", "binary", "alice"])
            #expect(get.succeeded, "\(get)")
            #expect(get.stdout == secret + [0x0A])
        }
    }

    @Test("invalid UTF-8 is written raw by get; JSON output refuses it without printing it", arguments: CLIBackend.all)
    func invalidUTF8(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let secret: [UInt8] = Array("caf".utf8) + [0xE9] + Array("-latin1".utf8)
            let set = try await cli.keyring(["set", "latin1", "alice"], stdin: secret)
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", "latin1", "alice"])
            #expect(get.stdout == secret + [0x0A])

            let json = try await cli.keyring(["get", "latin1", "alice", "--output", "json"])
            #expect(json.status == 5, "\(json)")
            #expect(json.stdout.isEmpty)
            #expect(!json.stderr.contains(sequence: secret) && !json.stderrContains("-latin1"))
            #expect(json.stderrText.contains("--output plain"))
        }
    }

    @Test("a 10 MB secret on stdin round-trips", arguments: CLIBackend.all)
    func large(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            var generator = SystemRandomNumberGenerator()
            var secret = [UInt8](repeating: 0, count: 10_000_000)
            for index in secret.indices { secret[index] = UInt8.random(in: 0...255, using: &generator) }
            secret[secret.count - 1] = 0x41  // not a newline: nothing is stripped
            let set = try await cli.keyring(["set", "large", "alice"], stdin: secret)
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", "large", "alice"])
            #expect(get.succeeded, "\(get)")
            #expect(get.stdout.count == secret.count + 1)
            #expect(get.stdout == secret + [0x0A])
        }
    }

    @Test("set --from-env reads the variable; a missing variable is a usage error", arguments: CLIBackend.all)
    func fromEnvironment(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let set = try await cli.keyring(
                ["set", "ci.example", "deploy", "--from-env", "DEPLOY_TOKEN"],
                environment: ["DEPLOY_TOKEN": "tok-123\n"])
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", "ci.example", "deploy"])
            #expect(get.stdoutText == "tok-123\n\n", "the variable is stored as it is, newline included")

            let missing = try await cli.keyring(["set", "ci.example", "deploy", "--from-env", "NOT_SET_ANYWHERE"])
            #expect(missing.status == 2, "\(missing)")
            // The name is an argument: usage errors never repeat one (a secret pasted there by
            // mistake stays off the screen).
            #expect(missing.stderrText.contains("the environment variable named by --from-env is not set"), "\(missing)")
            #expect(!missing.stderrText.contains("NOT_SET_ANYWHERE"))
            let unchanged = try await cli.keyring(["get", "ci.example", "deploy"])
            #expect(unchanged.stdoutText == "tok-123\n\n")
        }
    }

    @Test("set replaces the value; a custom label is accepted", arguments: CLIBackend.all)
    func replace(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await cli.store("first", service: "replace.example", account: "alice")
            let set = try await cli.keyring(["set", "replace.example", "alice", "--label", "My token"], input: "second")
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", "replace.example", "alice"])
            #expect(get.stdoutText == "second\n")
            let search = try await cli.keyring(["search", "service=replace.example"])
            #expect(search.stdoutText.contains("label = My token"), "\(search.stdoutText)")
            let list = try await cli.keyring(["list", "replace.example"])
            #expect(list.stdoutText == "alice\n")
        }
    }

    @Test("--keyring picks another keyring", arguments: CLIBackend.all)
    func otherKeyring(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            // The file backend reads every keyring's password from KEYRING_FILE_PASSWORD; the
            // Secret Service takes this one through gnome-keyring's prompt-free interface.
            let create = try await cli.keyring(["create", "work", "--password-stdin"], input: CLIFixture.filePassword)
            #expect(create.succeeded, "\(create)")
            let set = try await cli.keyring(["--keyring", "work", "set", "intranet", "alice"], input: "work-secret")
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", "intranet", "alice", "--keyring", "work"])
            #expect(get.stdoutText == "work-secret\n")
            let elsewhere = try await cli.keyring(["get", "intranet", "alice"])
            switch backend {
            case .file:
                #expect(elsewhere.status == 1 && elsewhere.stdout.isEmpty, "the default keyring does not have it: \(elsewhere)")
            case .secretService:
                // Reads go across collections, preferring the default one, so that entries other
                // programs keep in other collections are found (docs/secret-service-protocol.md).
                #expect(elsewhere.stdoutText == "work-secret\n", "\(elsewhere)")
                let deleted = try await cli.keyring(["del", "intranet", "alice"])
                #expect(deleted.status == 1, "del without --keyring touches only the default collection: \(deleted)")
            }
        }
    }
}
