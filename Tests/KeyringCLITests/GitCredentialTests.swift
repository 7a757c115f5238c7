import Foundation
import Testing
import TestSupport

/// `keyring git-credential` driven by real git: `git credential approve` (store), `fill` (get)
/// and `reject` (erase), with `credential.helper` set by `git config --global` in a temporary
/// home, in each spelling git accepts.
@Suite("keyring as a git credential helper")
struct GitCredentialTests {
    /// Git's environment inside a fixture: its own global config, no system config, no prompts.
    static func gitEnvironment(_ cli: CLIFixture) -> [String: String?] {
        [
            "GIT_CONFIG_GLOBAL": cli.directory.appendingPathComponent("gitconfig").path,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": nil, "SSH_ASKPASS": nil,
        ]
    }

    static func git(_ cli: CLIFixture, _ arguments: [String], input: String? = nil) async throws -> ProcessResult {
        try await cli.run(
            "git", arguments, stdin: input.map { Array($0.utf8) }, environment: gitEnvironment(cli), timeout: .seconds(120))
    }

    static func configure(_ cli: CLIFixture, helper: String) async throws {
        let result = try await git(cli, ["config", "--global", "credential.helper", helper])
        try #require(result.succeeded, "git config: \(result)")
    }

    /// The spellings of `credential.helper` that make git run `keyring git-credential`, and
    /// whether they need the `git-credential-keyring` link on PATH.
    static let spellings: [(helper: String, needsLink: Bool)] = [
        ("!keyring git-credential", false),
        ("\(CLIFixture.executable) git-credential", false),
        ("keyring", true),
        ("keyring git-credential", true),
    ]

    @Test("approve stores, fill finds, reject erases", arguments: CLIBackend.all)
    func approveFillReject(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await Self.configure(cli, helper: "!keyring git-credential")
            let approve = try await Self.git(
                cli, ["credential", "approve"],
                input: "protocol=https\nhost=git.example.org:8443\nusername=alice\npassword=git-s3cret\n\n")
            #expect(approve.succeeded, "\(approve)")

            let fill = try await Self.git(cli, ["credential", "fill"], input: "protocol=https\nhost=git.example.org:8443\n\n")
            #expect(fill.succeeded, "\(fill)")
            #expect(fill.stdoutText.contains("username=alice\n"), "\(fill.stdoutText)")
            #expect(fill.stdoutText.contains("password=git-s3cret\n"))

            // Another port or host is another credential.
            let otherPort = try await Self.git(cli, ["credential", "fill"], input: "protocol=https\nhost=git.example.org\n\n")
            #expect(!otherPort.succeeded, "no credential and no prompt: \(otherPort)")
            #expect(!otherPort.stdoutText.contains("git-s3cret"))

            let reject = try await Self.git(
                cli, ["credential", "reject"],
                input: "protocol=https\nhost=git.example.org:8443\nusername=alice\npassword=git-s3cret\n\n")
            #expect(reject.succeeded, "\(reject)")
            let gone = try await Self.git(cli, ["credential", "fill"], input: "protocol=https\nhost=git.example.org:8443\n\n")
            #expect(!gone.succeeded, "\(gone)")
            #expect(!gone.stdoutText.contains("git-s3cret"))
            #expect(!gone.stderrContains("git-s3cret"))
        }
    }

    @Test("every documented credential.helper spelling works", arguments: 0..<4)
    func spellings(index: Int) async throws {
        let spelling = Self.spellings[index]
        try await withFixture(.file) { cli in
            if spelling.needsLink { try cli.link("git-credential-keyring") }
            try await Self.configure(cli, helper: spelling.helper)
            let approve = try await Self.git(
                cli, ["credential", "approve"], input: "protocol=https\nhost=example.com\nusername=bob\npassword=pw-\(index)\n\n")
            #expect(approve.succeeded, "\(spelling.helper): \(approve)")
            let fill = try await Self.git(
                cli, ["credential", "fill"], input: "protocol=https\nhost=example.com\nusername=bob\n\n")
            #expect(fill.succeeded, "\(spelling.helper): \(fill)")
            #expect(fill.stdoutText.contains("password=pw-\(index)\n"), "\(spelling.helper): \(fill.stdoutText)")
        }
    }

    @Test("without the link, `credential.helper = keyring git-credential` cannot work (git runs git-credential-keyring)")
    func bareNameNeedsLink() async throws {
        try await withFixture(.file) { cli in
            try await Self.configure(cli, helper: "keyring git-credential")
            let approve = try await Self.git(
                cli, ["credential", "approve"], input: "protocol=https\nhost=example.com\nusername=bob\npassword=pw\n\n")
            #expect(approve.stderrText.contains("credential-keyring"), "\(approve)")
            let list = try await cli.keyring(["list"])
            #expect(list.stdout.isEmpty, "nothing was stored")
        }
    }

    @Test("without credential.useHttpPath the path is not part of the key; with it, it is")
    func paths() async throws {
        try await withFixture(.file) { cli in
            try await Self.configure(cli, helper: "!keyring git-credential")
            let useHttpPath = try await Self.git(cli, ["config", "--global", "credential.useHttpPath", "true"])
            try #require(useHttpPath.succeeded)
            let approve = try await Self.git(
                cli, ["credential", "approve"],
                input: "protocol=https\nhost=example.com\npath=team/repo.git\nusername=carol\npassword=repo-pw\n\n")
            #expect(approve.succeeded, "\(approve)")
            let list = try await cli.keyring(["list"])
            #expect(list.stdoutText == "git:https://example.com/team/repo.git\tcarol\n", "\(list.stdoutText)")
            let same = try await Self.git(
                cli, ["credential", "fill"], input: "protocol=https\nhost=example.com\npath=team/repo.git\n\n")
            #expect(same.stdoutText.contains("password=repo-pw\n"), "\(same)")
            let other = try await Self.git(
                cli, ["credential", "fill"], input: "protocol=https\nhost=example.com\npath=other.git\n\n")
            #expect(!other.succeeded)
        }
    }

    @Test("entries carry git-credential-libsecret's label; the helper ignores unknown keys and operations")
    func protocolDetails() async throws {
        try await withFixture(.file) { cli in
            let store = try await cli.keyring(
                ["git-credential", "store"],
                input:
                    "protocol=https\nhost=example.com:8443\nusername=dave\npassword=p=w\nwwwauth[]=Basic realm=x\ncapability[]=authtype\n\n"
            )
            #expect(store.succeeded, "\(store)")
            let search = try await cli.keyring(["search", "service=git:https://example.com:8443"])
            #expect(search.stdoutText.contains("label = Git: https://example.com:8443/\n"), "\(search.stdoutText)")
            let get = try await cli.keyring(["git-credential", "get"], input: "protocol=https\nhost=example.com:8443\n")
            #expect(get.stdoutText == "username=dave\npassword=p=w\n", "\(get)")
            let unknownOperation = try await cli.keyring(["git-credential", "capability"], input: "")
            #expect(unknownOperation.succeeded && unknownOperation.stdout.isEmpty)
            let nothing = try await cli.keyring(["git-credential", "get"], input: "protocol=https\nhost=elsewhere.example\n\n")
            #expect(nothing.succeeded && nothing.stdout.isEmpty)
            // A rejected password that is not the stored one erases nothing.
            let wrong = try await cli.keyring(
                ["git-credential", "erase"], input: "protocol=https\nhost=example.com:8443\nusername=dave\npassword=other\n\n")
            #expect(wrong.succeeded)
            let still = try await cli.keyring(["get", "git:https://example.com:8443", "dave"])
            #expect(still.stdoutText == "p=w\n")
        }
    }

    @Test("as git-credential-keyring (argv[0]), keyring is the helper")
    func programName() async throws {
        try await withFixture(.file) { cli in
            let link = try cli.link("git-credential-keyring")
            let store = try await cli.keyring(
                ["store"], stdin: Array("protocol=https\nhost=example.com\nusername=erin\npassword=linked\n\n".utf8),
                program: link)
            #expect(store.succeeded, "\(store)")
            let get = try await cli.keyring(
                ["git-credential", "get"], stdin: Array("protocol=https\nhost=example.com\n\n".utf8), program: link)
            #expect(get.stdoutText == "username=erin\npassword=linked\n", "\(get)")
        }
    }
}
