import Foundation
import Testing
import TestSupport

/// `docker-credential-keyring` (a link to keyring, as docker finds helpers on PATH) speaking
/// docker-credential-helpers' protocol, and beside Debian's docker-credential-secretservice
/// (golang-docker-credential-helpers) on the same gnome-keyring, both ways.
@Suite("keyring as a Docker credential helper")
struct DockerCredentialTests {
    static let debianHelper = "/usr/bin/docker-credential-secretservice"

    /// Runs a helper with `input` on stdin.
    static func helper(_ cli: CLIFixture, _ program: String, _ operation: String, _ input: String = "") async throws
        -> ProcessResult
    {
        try await cli.run(program, [operation], stdin: Array(input.utf8))
    }

    static func credentials(_ server: String, _ username: String, _ secret: String) -> String {
        #"{"ServerURL":"\#(server)","Username":"\#(username)","Secret":"\#(secret)"}"#
    }

    static func decoded(_ result: ProcessResult) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: String], "\(result)")
    }

    @Test("store, get, list, erase through docker-credential-keyring", arguments: CLIBackend.all)
    func protocolRoundTrip(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let helper = try cli.link("docker-credential-keyring")
            let store = try await Self.helper(
                cli, helper, "store",
                #"{"ServerURL":"https://index.docker.io/v1/","Username":"alice","Secret":"dckr_pat_<&>\\\"x\u2028"}"#)
            #expect(store.succeeded && store.stdout.isEmpty, "\(store)")
            try #require(
                try await Self.helper(cli, helper, "store", Self.credentials("registry.example.com:5000", "bob", "token-b"))
                    .succeeded)

            let get = try await Self.helper(cli, helper, "get", "https://index.docker.io/v1/\n")
            #expect(get.succeeded, "\(get)")
            // As Go's encoder writes it: compact, <, >, & and U+2028 escaped.
            #expect(
                get.stdoutText
                    == #"{"ServerURL":"https://index.docker.io/v1/","Username":"alice","Secret":"dckr_pat_\u003c\u0026\u003e\\\"x\u2028"}"#
                    + "\n", "\(get.stdoutText)")
            #expect(try Self.decoded(get)["Secret"] == "dckr_pat_<&>\\\"x\u{2028}")
            #expect(get.stderr.isEmpty)

            let list = try await Self.helper(cli, helper, "list")
            #expect(list.succeeded, "\(list)")
            #expect(try Self.decoded(list) == ["https://index.docker.io/v1/": "alice", "registry.example.com:5000": "bob"])
            #expect(!list.stdoutText.contains("token-b") && !list.stdoutText.contains("dckr_pat"))

            // `docker login` as another user replaces the credential; the server keeps one.
            try #require(
                try await Self.helper(cli, helper, "store", Self.credentials("registry.example.com:5000", "carol", "token-c"))
                    .succeeded)
            #expect(
                try Self.decoded(try await Self.helper(cli, helper, "get", "registry.example.com:5000"))["Username"] == "carol")
            #expect(try Self.decoded(try await Self.helper(cli, helper, "list"))["registry.example.com:5000"] == "carol")

            let erase = try await Self.helper(cli, helper, "erase", "registry.example.com:5000\n")
            #expect(erase.succeeded && erase.stdout.isEmpty, "\(erase)")
            let gone = try await Self.helper(cli, helper, "get", "registry.example.com:5000")
            #expect(gone.status == 1, "\(gone)")
            #expect(gone.stdoutText == "credentials not found in native keychain\n", "the message docker matches: \(gone)")
            // Erasing what is not there succeeds, as with docker's own helpers.
            #expect(try await Self.helper(cli, helper, "erase", "nothing.example").succeeded)

            // `keyring list` shows what identifies the entries.
            let entries = try await cli.keyring(["list"])
            #expect(entries.stdoutText == "docker:https://index.docker.io/v1/\talice\n", "\(entries.stdoutText)")
        }
    }

    @Test("errors are a line on stdout and status 1, never the secret", arguments: [CLIBackend.file])
    func errors(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let helper = try cli.link("docker-credential-keyring")
            let cases: [(String, String, String)] = [
                ("store", #"{"ServerURL":"","Username":"u","Secret":"leaked-1"}"#, "no credentials server URL"),
                ("store", #"{"ServerURL":"s.example","Username":"","Secret":"leaked-2"}"#, "no credentials username"),
                ("store", #"{"ServerURL":"s.example","Username":"u","Secret":"leaked-3""#, "not a JSON object"),
                ("store", #"{"ServerURL":"s.example","Username":"u","Secret":7}"#, "not a string"),
                ("get", "", "no credentials server URL"),
                ("frobnicate", "leaked-4", "unknown action"),
            ]
            for (operation, input, message) in cases {
                let result = try await Self.helper(cli, helper, operation, input)
                #expect(result.status == 1, "\(operation) \(input): \(result)")
                #expect(result.stdoutText.contains(message), "\(operation) \(input): \(result.stdoutText)")
                #expect(!result.stdoutText.contains("leaked") && !result.stderrText.contains("leaked"))
            }
            // Members are matched without regard to case, others skipped, as Go's decoder does.
            let lenient = try await Self.helper(
                cli, helper, "store",
                #"{"serverurl":"s.example","USERNAME":"u","secret":"ok\u00e9","Extra":{"a":[1,2.5e3,true,null]}}"#)
            #expect(lenient.succeeded, "\(lenient)")
            #expect(try Self.decoded(try await Self.helper(cli, helper, "get", "s.example"))["Secret"] == "oké")
            let version = try await Self.helper(cli, helper, "version")
            #expect(version.succeeded && version.stdoutText.hasPrefix("docker-credential-keyring"), "\(version)")
            // No operation: the usage on stdout and status 1, as docker-credential-secretservice answers.
            let bare = try await cli.run(helper, [])
            #expect(
                bare.status == 1 && bare.stdoutText.hasPrefix("Usage: docker-credential-keyring <store|get|erase|list|version>"),
                "\(bare)")
            // `keyring docker-credential` is the same helper.
            let direct = try await cli.keyring(["docker-credential", "get"], input: "s.example")
            #expect(try Self.decoded(direct)["Username"] == "u")
        }
    }

    @Test("Debian's docker-credential-secretservice and keyring read what the other stored")
    func debianHelperInterop() async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.debianHelper),
            "needs golang-docker-credential-helpers (scripts/install-deps)")
        try await withFixture(.secretService) { cli in
            let helper = try cli.link("docker-credential-keyring")
            // Theirs to ours.
            let stored = try await Self.helper(
                cli, Self.debianHelper, "store", Self.credentials("https://theirs.example/v1/", "dora", "from-debian"))
            try #require(stored.succeeded, "\(stored)")
            let got = try await Self.helper(cli, helper, "get", "https://theirs.example/v1/")
            #expect(
                try Self.decoded(got) == ["ServerURL": "https://theirs.example/v1/", "Username": "dora", "Secret": "from-debian"])
            // Ours to theirs.
            let mine = try await Self.helper(
                cli, helper, "store", Self.credentials("registry.ours.example", "eve", "from-keyring"))
            try #require(mine.succeeded, "\(mine)")
            let theirs = try await Self.helper(cli, Self.debianHelper, "get", "registry.ours.example")
            #expect(theirs.succeeded, "\(theirs)")
            #expect(try Self.decoded(theirs)["Secret"] == "from-keyring")
            #expect(try Self.decoded(theirs)["Username"] == "eve")
            // Both lists see both.
            let expected = ["https://theirs.example/v1/": "dora", "registry.ours.example": "eve"]
            #expect(try Self.decoded(try await Self.helper(cli, Self.debianHelper, "list")) == expected)
            #expect(try Self.decoded(try await Self.helper(cli, helper, "list")) == expected)
            // The items look alike: same attributes and label.
            let search = try await cli.keyring(["search", "server=registry.ours.example"])
            for line in [
                "label = registry.ours.example", "attribute.docker_cli = 1", "attribute.label = Docker Credentials",
                "attribute.username = eve", "attribute.xdg:schema = io.docker.Credentials",
            ] {
                #expect(search.stdoutText.contains(line + "\n"), "\(line): \(search.stdoutText)")
            }
            // Each erases what the other stored.
            #expect(try await Self.helper(cli, helper, "erase", "https://theirs.example/v1/").succeeded)
            let erased = try await Self.helper(cli, Self.debianHelper, "get", "https://theirs.example/v1/")
            #expect(erased.stdoutText.contains("credentials not found in native keychain"), "\(erased)")
            #expect(try await Self.helper(cli, Self.debianHelper, "erase", "registry.ours.example").succeeded)
            let gone = try await Self.helper(cli, helper, "get", "registry.ours.example")
            #expect(gone.status == 1 && gone.stdoutText == "credentials not found in native keychain\n", "\(gone)")
            #expect(try await Self.helper(cli, helper, "list").stdoutText == "{}\n")
        }
    }
}
