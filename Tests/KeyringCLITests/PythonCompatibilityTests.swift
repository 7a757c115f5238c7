import Foundation
import Testing
import TestSupport

/// What pip and uv run with `--keyring-provider subprocess`, and Python keyring 25's
/// `--mode creds`, `--output json` and backend names.
///
/// pip (src/pip/_internal/network/auth.py, KeyRingCliProvider) 26.2 and later runs
/// `keyring --mode=creds --output=json get SERVICE [USERNAME]` with stdin from /dev/null and reads
/// the JSON object; pip 23.1 to 26.1 ran `keyring get SERVICE USERNAME` and stripped the newline.
/// Both save with `keyring set HOST[:PORT] USERNAME`, the password and a newline on stdin, and
/// look up the index URL first, then `host[:port]`. uv (crates/uv-auth/src/keyring.rs) runs
/// `keyring get SERVICE USERNAME`, or without a user name `keyring get SERVICE --mode creds`
/// and reads two lines; it tries the index URL first, then `host[:port]`
/// (docs/cli.md, "pip and uv").
@Suite("keyring as pip and uv call it (Python keyring's command line)")
struct PythonCompatibilityTests {
    let url = "https://pypi.example.org/simple/"

    @Test("pip: set with the password and a newline on stdin, get with stdin closed", arguments: CLIBackend.all)
    func pip(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            let set = try await cli.keyring(["set", url, "__token__"], input: "pypi-AgEIcHlwaS5vcmc\n")
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(["get", url, "__token__"], stdin: nil)
            #expect(get.status == 0)
            #expect(get.stdoutText == "pypi-AgEIcHlwaS5vcmc\n")
            #expect(get.stderr.isEmpty)
            // pip's lookup of a user it has no password for.
            let other = try await cli.keyring(["get", url, "someone-else"], stdin: nil)
            #expect(other.status == 1 && other.stdout.isEmpty && other.stderr.isEmpty)
        }
    }

    @Test("pip 26.2+: --mode=creds --output=json get SERVICE [USERNAME] prints a JSON object", arguments: CLIBackend.all)
    func pipCreds(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            // pip saves what it prompted for under host[:port], then looks up the index URL first.
            let set = try await cli.keyring(["set", "pypi.example.org:8443", "__token__"], input: "pypi-AgEIcHlwaS5vcmc\n")
            #expect(set.succeeded, "\(set)")
            let pip = ["--mode=creds", "--output=json", "get"]
            let byURL = try await cli.keyring(pip + ["https://pypi.example.org:8443/simple/"], stdin: nil)
            #expect(byURL.status == 1 && byURL.stdout.isEmpty && byURL.stderr.isEmpty, "\(byURL)")
            for arguments in [pip + ["pypi.example.org:8443"], pip + ["pypi.example.org:8443", "__token__"]] {
                let result = try await cli.keyring(arguments, stdin: nil)
                #expect(result.status == 0, "\(arguments): \(result)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: String])
                #expect(object == ["username": "__token__", "password": "pypi-AgEIcHlwaS5vcmc"], "\(arguments)")
                #expect(result.stderr.isEmpty, "\(arguments)")
            }
            let other = try await cli.keyring(pip + ["pypi.example.org:8443", "someone-else"], stdin: nil)
            #expect(other.status == 1 && other.stdout.isEmpty && other.stderr.isEmpty, "\(other)")
        }
    }

    @Test("uv: get SERVICE --mode creds prints the user name and the password", arguments: CLIBackend.all)
    func uvCreds(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await cli.store("s3cret", service: url, account: "alice")
            let creds = try await cli.keyring(["get", url, "--mode", "creds"])
            #expect(creds.succeeded, "\(creds)")
            #expect(creds.stdoutText == "alice\ns3cret\n")
            #expect(creds.stderr.isEmpty)

            // uv's second try: the host, with its port.
            try await cli.store("host-secret", service: "pypi.example.org:8443", account: "bob")
            let host = try await cli.keyring(["get", "pypi.example.org:8443", "--mode", "creds"])
            #expect(host.stdoutText == "bob\nhost-secret\n")
            // With a user name, uv asks for the password alone.
            let password = try await cli.keyring(["get", "pypi.example.org:8443", "bob"])
            #expect(password.stdoutText == "host-secret\n")
            // The options may also come before the command, as in Python keyring's own usage.
            let before = try await cli.keyring(["--mode", "creds", "get", url, "alice"])
            #expect(before.stdoutText == "alice\ns3cret\n")
        }
    }

    @Test(
        "--mode creds with several accounts takes the first (as Python keyring does) and says so on stderr",
        arguments: CLIBackend.all)
    func credsAmbiguous(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await cli.store("secret-b", service: "shared.example", account: "bob")
            try await cli.store("secret-a", service: "shared.example", account: "alice")
            let creds = try await cli.keyring(["get", "shared.example", "--mode", "creds"])
            // The file keeps no order: the first by name. The Secret Service: the first its search
            // returns (gnome-keyring's order is not that of creation, and not the same in every
            // run), which Python keyring's get_credential takes too (RoughEdgeTests).
            if backend == .file {
                #expect(creds.stdoutText == "alice\nsecret-a\n")
            } else {
                #expect(["alice\nsecret-a\n", "bob\nsecret-b\n"].contains(creds.stdoutText), "\(creds.stdoutText)")
            }
            #expect(creds.stderrText.contains("2 accounts"))
            #expect(!creds.stderrContains("secret-a") && !creds.stderrContains("secret-b"))
        }
    }

    @Test("--output json prints Python's objects", arguments: CLIBackend.all)
    func json(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await cli.store("pässwörd \"quoted\" \\ 😀", service: "json.example", account: "alice")
            let password = try await cli.keyring(["get", "json.example", "alice", "--output", "json"])
            #expect(password.succeeded, "\(password)")
            // As json.dumps writes it: ", " and ": " separators, non-ASCII as \u escapes.
            #expect(password.stdoutText == #"{"password": "p\u00e4ssw\u00f6rd \"quoted\" \\ \ud83d\ude00"}"# + "\n")
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(password.stdout)) as? [String: String])
            #expect(decoded == ["password": "pässwörd \"quoted\" \\ 😀"])

            let creds = try await cli.keyring(["--output", "json", "--mode", "creds", "get", "json.example"])
            #expect(creds.stdoutText.hasPrefix(#"{"username": "alice", "password": "#))
            let both = try #require(try JSONSerialization.jsonObject(with: Data(creds.stdout)) as? [String: String])
            #expect(both == ["username": "alice", "password": "pässwörd \"quoted\" \\ 😀"])

            let missing = try await cli.keyring(["get", "json.example", "nobody", "--output", "json"])
            #expect(missing.status == 1 && missing.stdout.isEmpty)
        }
    }

    @Test("Python backend names: Secret Service names map to secret-service, unknown ones are usage errors")
    func backendNames() async throws {
        try await withFixture(.file) { cli in
            // No bus here: the Secret Service is chosen, and unavailable (status 4), clearly.
            for name in ["keyring.backends.SecretService.Keyring", "keyring.backends.libsecret.Keyring", "secret-service"] {
                let result = try await cli.keyring(["-b", name, "get", "example.org", "alice"])
                #expect(result.status == 4, "\(name): \(result)")
                #expect(result.stdout.isEmpty)
                #expect(result.stderrText.contains("secret-service"), "\(name): \(result.stderrText)")
            }
            let unknown = try await cli.keyring(["-b", "keyring.backends.nosuch.Keyring", "get", "example.org", "alice"])
            #expect(unknown.status == 2, "\(unknown)")
            #expect(unknown.stderrText.contains("unknown backend 'keyring.backends.nosuch.Keyring'"))
            #expect(unknown.stderrText.contains("secret-service, file, env, memory"))
            let macOS = try await cli.keyring([
                "--keyring-backend", "keyring.backends.macOS.Keyring", "get", "example.org", "alice",
            ])
            #expect(macOS.status == 4 && macOS.stderrText.contains("macOS"), "\(macOS)")

            // keyrings.alt's file backends become the encrypted file.
            try await cli.store("filed", service: "example.org", account: "alice")
            let alt = try await cli.keyring(["-b", "keyrings.alt.file.PlaintextKeyring", "get", "example.org", "alice"])
            #expect(alt.stdoutText == "filed\n", "\(alt)")
            // The option after the operation, too.
            let after = try await cli.keyring(["get", "example.org", "alice", "--backend", "file"])
            #expect(after.stdoutText == "filed\n")
        }
    }

    @Test("the null backend finds nothing and stores nothing, as Python's does")
    func nullBackend() async throws {
        try await withFixture(.file) { cli in
            let null = ["-b", "keyring.backends.null.Keyring"]
            let set = try await cli.keyring(null + ["set", "example.org", "alice"], input: "dropped")
            #expect(set.succeeded, "\(set)")
            let get = try await cli.keyring(null + ["get", "example.org", "alice"])
            #expect(get.status == 1 && get.stdout.isEmpty)
            let real = try await cli.keyring(["get", "example.org", "alice"])
            #expect(real.status == 1, "nothing reached the real keyring")
        }
    }

    @Test("--list-backends and -p/--keyring-path are accepted")
    func pythonFlags() async throws {
        try await withFixture(.file) { cli in
            let list = try await cli.keyring(["--list-backends"])
            #expect(list.succeeded)
            #expect(list.stdoutText == "secret-service\nfile\nenv\nmemory\n")
            try await cli.store("x", service: "example.org", account: "alice")
            let path = try await cli.keyring(["-p", "/nonexistent", "get", "example.org", "alice"])
            #expect(path.stdoutText == "x\n")
        }
    }

    @Test("the env backend reads KEYRING_SECRET_* and refuses writes with status 4")
    func environmentBackend() async throws {
        try await withFixture(.file) { cli in
            let variables: [String: String?] = ["KEYRING_SECRET_PYPI_EXAMPLE_ORG__ALICE": "from-the-environment"]
            let get = try await cli.keyring(["-b", "env", "get", "pypi.example.org", "alice"], environment: variables)
            #expect(get.stdoutText == "from-the-environment\n", "\(get)")
            let set = try await cli.keyring(["-b", "env", "set", "pypi.example.org", "alice"], input: "new-value-x")
            #expect(set.status == 4, "\(set)")
            #expect(set.stderrText.contains("read-only"))
            #expect(!set.stderrContains("new-value-x"))
        }
    }
}
