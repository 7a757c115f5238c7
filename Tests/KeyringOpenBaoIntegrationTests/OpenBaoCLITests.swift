#if OpenBao
import Foundation
import KeyringKit
import Testing
import TestSupport

/// `keyring` built with the OpenBao trait (`KEYRING_TEST_EXECUTABLE`, else the one beside the
/// tests) against a real server: `KEYRING_BACKEND=openbao` set/get/del, the configuration file,
/// diagnose, two processes writing one entry at once, and `keyring` as the `bao` CLI's token helper.
@Suite("keyring -b openbao, and keyring as bao's token helper")
struct OpenBaoCLITests {
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["KEYRING_TEST_EXECUTABLE"], !path.isEmpty { return path }
        return productsDirectory.appendingPathComponent("keyring").path
    }

    /// A home of its own with XDG directories, the server's BAO_ADDR and root token, and
    /// KEYRING_BACKEND=openbao under a prefix of the test's own (the configuration file's).
    static func environment(_ server: BaoServer, home: TemporaryDirectory, backend: String? = "openbao") throws -> [String:
        String]
    {
        var environment = server.environment()
        environment["HOME"] = home.path
        environment["XDG_CONFIG_HOME"] = home.path + "/config"
        environment["XDG_DATA_HOME"] = home.path + "/data"
        environment["LANG"] = "C.UTF-8"
        if let backend { environment["KEYRING_BACKEND"] = backend }
        try FileManager.default.createDirectory(atPath: home.path + "/config/swift-keyring", withIntermediateDirectories: true)
        try "openbao.prefix = cli/\(UUID().uuidString)\n".write(
            toFile: home.path + "/config/swift-keyring/config", atomically: true, encoding: .utf8)
        return environment
    }

    static func keyring(_ arguments: [String], _ environment: [String: String], stdin: String? = nil) async throws
        -> ProcessResult
    {
        try await runProcess(
            executable, arguments, environment: environment, stdin: stdin.map { Array($0.utf8) }, timeout: .seconds(60))
    }

    @Test("KEYRING_BACKEND=openbao (or vault, or -b) set, get, del")
    func setGetDelete() async throws {
        let server = try await BaoServer.shared()
        let home = try TemporaryDirectory()
        let environment = try Self.environment(server, home: home)
        let set = try await Self.keyring(["set", "api.example.com", "alice"], environment, stdin: "s3cr3t\n")
        #expect(set.succeeded, "\(set)")
        let get = try await Self.keyring(["get", "api.example.com", "alice"], environment)
        #expect(get.succeeded, "\(get)")
        #expect(get.stdoutText == "s3cr3t\n")
        var vault = environment
        vault["KEYRING_BACKEND"] = "vault"
        #expect(try await Self.keyring(["get", "api.example.com", "alice"], vault).stdoutText == "s3cr3t\n")
        var flag = environment
        flag["KEYRING_BACKEND"] = nil
        #expect(try await Self.keyring(["-b", "openbao", "get", "api.example.com", "alice"], flag).stdoutText == "s3cr3t\n")
        let list = try await Self.keyring(["--list-backends"], environment)
        #expect(list.stdoutText.split(separator: "\n").contains("openbao"))
        let delete = try await Self.keyring(["del", "api.example.com", "alice"], environment)
        #expect(delete.succeeded, "\(delete)")
        let gone = try await Self.keyring(["get", "api.example.com", "alice"], environment)
        #expect(gone.status == 1)
        #expect(gone.stdout.isEmpty)
        #expect(try await Self.keyring(["del", "api.example.com", "alice"], environment).status == 1)
    }

    @Test("the configuration file chooses it with its settings; a bad setting names its line")
    func configurationFile() async throws {
        let server = try await BaoServer.shared()
        let home = try TemporaryDirectory()
        var environment = try Self.environment(server, home: home, backend: nil)
        let address = environment.removeValue(forKey: "BAO_ADDR")!
        let file = home.path + "/config/swift-keyring/config"
        try "backend = openbao\nopenbao.address = \(address)\nopenbao.prefix = cli/\(UUID().uuidString)\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        #expect(try await Self.keyring(["set", "svc", "bob"], environment, stdin: "from config\n").succeeded)
        #expect(try await Self.keyring(["get", "svc", "bob"], environment).stdoutText == "from config\n")
        let diagnose = try await Self.keyring(["diagnose"], environment)
        #expect(diagnose.succeeded, "\(diagnose)")
        let text = diagnose.stdoutText
        #expect(text.contains("openbao: usable"), "\(text)")
        #expect(text.contains("address: \(address)"), "\(text)")
        #expect(text.contains("health: active"), "\(text)")
        #expect(text.contains("policies: root"), "\(text)")
        #expect(text.contains("in use: openbao (backend = openbao in \(file))"), "\(text)")
        #expect(!text.contains(server.rootToken) && !diagnose.stderrText.contains(server.rootToken))
        try "backend = openbao\nopenbao.adress = \(address)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try await Self.keyring(["get", "svc", "bob"], environment)
        #expect(bad.status == 2, "\(bad)")
        #expect(bad.stderrText.contains("line 2: unknown setting 'openbao.adress'"), "\(bad)")
    }

    @Test("a refused write is status 5 with the path and what the token may do; no token in the output")
    func refused() async throws {
        let server = try await BaoServer.shared()
        let home = try TemporaryDirectory()
        let policy = #"path "secret/data/*" { capabilities = ["read"] }"#
        try await server.bao(["policy", "write", "cli-read-only", "-"], stdin: Array(policy.utf8))
        let token = try await server.bao(["token", "create", "-policy=cli-read-only", "-field=token"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var environment = try Self.environment(server, home: home)
        environment["BAO_TOKEN"] = token
        let set = try await Self.keyring(["set", "svc", "carol"], environment, stdin: "never stored\n")
        #expect(set.status == 5, "\(set)")
        #expect(set.stderrText.contains("permission denied on secret/data/cli/"), "\(set)")
        #expect(set.stderrText.contains("may do read there"), "\(set)")
        #expect(!set.stderrText.contains(token) && !set.stderrText.contains("never stored"))
    }

    @Test("two processes writing one entry at once: each write succeeds or reports the conflict; none is lost silently")
    func concurrentWriters() async throws {
        let server = try await BaoServer.shared()
        let home = try TemporaryDirectory()
        let environment = try Self.environment(server, home: home)
        let rounds = 15
        // Two shell loops, started together, each writing its own values through `keyring set`.
        let script = """
            i=0; while [ $i -lt \(rounds) ]; do
              if printf '%s\\n' "$1-$i" | "$0" set race.example shared 2>>"$2.err"; then echo "ok $1-$i"; else echo "conflict $1-$i"; fi
              i=$((i + 1)); done
            """
        async let first = runProcess(
            "/bin/sh", ["-c", script, Self.executable, "a", home.path + "/a"], environment: environment, timeout: .seconds(300))
        async let second = runProcess(
            "/bin/sh", ["-c", script, Self.executable, "b", home.path + "/b"], environment: environment, timeout: .seconds(300))
        let results = try await [first, second]
        var succeeded: [String] = []
        var conflicts = 0
        for result in results {
            #expect(result.succeeded, "\(result)")
            for line in result.stdoutText.split(separator: "\n") {
                if line.hasPrefix("ok ") { succeeded.append(String(line.dropFirst(3))) } else { conflicts += 1 }
            }
        }
        #expect(succeeded.count + conflicts == 2 * rounds)
        for name in ["a", "b"] {
            let errors = (try? String(contentsOfFile: home.path + "/\(name).err", encoding: .utf8)) ?? ""
            for line in errors.split(separator: "\n") {
                #expect(line.contains("was changed by another writer"), "an unexpected failure: \(line)")
            }
        }
        // Every successful write is one version on the server: none overwrote another unseen.
        let prefix = try String(contentsOfFile: home.path + "/config/swift-keyring/config", encoding: .utf8)
            .replacingOccurrences(of: "openbao.prefix = ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let metadata = try await server.bao(["kv", "metadata", "get", "-format=json", "secret/\(prefix)/race.example/shared"])
        #expect(metadata.contains("\"current_version\": \(succeeded.count)"), "\(succeeded.count) writes succeeded: \(metadata)")
        let last = try await Self.keyring(["get", "race.example", "shared"], environment)
        #expect(succeeded.contains(last.stdoutText.trimmingCharacters(in: .newlines)), "\(last)")
    }

    @Test("keyring-token-helper: bao login stores the token in the keyring, bao uses it, and no ~/.vault-token is written")
    func tokenHelper() async throws {
        let server = try await BaoServer.shared()
        guard let bao = BaoServer.binary else { throw TestSupportError("KEYRING_TEST_BAO is not set") }
        let home = try TemporaryDirectory()
        let link = home.path + "/keyring-token-helper"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Self.executable)
        try "token_helper = \"\(link)\"\n".write(toFile: home.path + "/.bao", atomically: true, encoding: .utf8)
        var environment = try Self.environment(server, home: home, backend: "file")
        environment["BAO_TOKEN"] = nil
        environment["KEYRING_FILE_PASSWORD"] = "token helper test password"
        let login = try await runProcess(
            bao, ["login", "-no-print", "-"], environment: environment, stdin: Array(server.rootToken.utf8), timeout: .seconds(60)
        )
        #expect(login.succeeded, "\(login)")
        #expect(!FileManager.default.fileExists(atPath: home.path + "/.vault-token"))
        let stored = try await Self.keyring(["get", "openbao-token", server.address], environment)
        #expect(stored.stdoutText == server.rootToken + "\n", "\(stored)")
        let lookup = try await runProcess(
            bao, ["token", "lookup", "-format=json"], environment: environment, timeout: .seconds(60))
        #expect(lookup.succeeded, "\(lookup)")
        #expect(lookup.stdoutText.contains("\"root\""))
        // The openbao backend finds the token through the same helper: no BAO_TOKEN needed.
        var viaHelper = environment
        viaHelper["KEYRING_BACKEND"] = "openbao"
        let diagnose = try await Self.keyring(["diagnose"], viaHelper)
        #expect(diagnose.stdoutText.contains("token: from the token helper \(link)"), "\(diagnose)")
        // With the openbao backend chosen, the helper keeps the token in the automatic choice
        // (here the encrypted file, as above), not in the store it unlocks.
        let helperGet = try await Self.keyring(["token-helper", "get"], viaHelper)
        #expect(helperGet.stdoutText == server.rootToken, "\(helperGet)")
        let erase = try await runProcess(link, ["erase"], environment: environment, timeout: .seconds(30))
        #expect(erase.succeeded, "\(erase)")
        #expect(try await Self.keyring(["get", "openbao-token", server.address], environment).status == 1)
    }
}
#endif
