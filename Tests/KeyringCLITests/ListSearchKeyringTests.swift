import Foundation
import Testing
import TestSupport

/// `list`, `search`, `diagnose` and keyring management: names and states, never secret values.
@Suite("keyring list, search, diagnose, keyrings")
struct ListSearchKeyringTests {
    @Test("list prints names only, never values", arguments: CLIBackend.all)
    func list(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await cli.store("value-one", service: "alpha.example", account: "alice")
            try await cli.store("value-two", service: "alpha.example", account: "bob")
            try await cli.store("value-three", service: "beta.example", account: "carol")

            let all = try await cli.keyring(["list"])
            #expect(all.succeeded, "\(all)")
            #expect(all.stdoutText == "alpha.example\talice\nalpha.example\tbob\nbeta.example\tcarol\n")
            let one = try await cli.keyring(["list", "alpha.example"])
            #expect(one.stdoutText == "alice\nbob\n")
            let none = try await cli.keyring(["list", "gamma.example"])
            #expect(none.succeeded && none.stdout.isEmpty)
            let json = try await cli.keyring(["list", "--output", "json"])
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [[String: Any]])
            #expect(entries.map { $0["username"] as? String } == ["alice", "bob", "carol"])
            for result in [all, one, json] {
                #expect(!result.stdoutContains("value-"), "list never prints secrets")
            }
        }
    }

    @Test("search matches every ATTR=VALUE pair and prints metadata only", arguments: CLIBackend.all)
    func search(backend: CLIBackend) async throws {
        try await withFixture(backend) { cli in
            try await cli.store("value-one", service: "alpha.example", account: "alice")
            try await cli.store("value-two", service: "beta.example", account: "alice")
            try await cli.store("value-three", service: "beta.example", account: "bob")

            let byUser = try await cli.keyring(["search", "username=alice"])
            #expect(byUser.succeeded, "\(byUser)")
            #expect(byUser.stdoutText.components(separatedBy: "\n\n").count == 2)
            #expect(byUser.stdoutText.contains("service = alpha.example"))
            #expect(byUser.stdoutText.contains("attribute.username = alice"))
            let both = try await cli.keyring(["search", "service=beta.example", "username=bob"])
            #expect(both.stdoutText.contains("service = beta.example\nusername = bob\n"), "\(both.stdoutText)")
            #expect(!both.stdoutText.contains("alice"))
            let nothing = try await cli.keyring(["search", "service=nowhere"])
            #expect(nothing.succeeded && nothing.stdout.isEmpty)
            for result in [byUser, both] {
                #expect(!result.stdoutContains("value-"), "search never prints secrets")
            }
        }
    }

    @Test("diagnose lists every backend and the one in use")
    func diagnose() async throws {
        try await withFixture(.file) { cli in
            let plain = try await cli.keyring(["diagnose"])
            #expect(plain.succeeded, "\(plain)")
            for line in ["secret-service: not usable", "file: usable", "env: usable", "memory: usable", "in use: file"] {
                #expect(plain.stdoutText.contains(line), "\(line) in \(plain.stdoutText)")
            }
            #expect(plain.stdoutText.contains("DBUS_SESSION_BUS_ADDRESS is not set"))
            #expect(!plain.stdoutContains(CLIFixture.filePassword))

            let json = try await cli.keyring(["diagnose", "--output", "json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
            let backends = try #require(object["backends"] as? [[String: Any]])
            #expect(backends.map { $0["backend"] as? String } == ["secret-service", "file", "env", "memory"])

            // Without KEYRING_BACKEND nor a bus, the automatic choice is the encrypted file.
            let automatic = try await cli.keyring(["diagnose"], environment: ["KEYRING_BACKEND": nil])
            #expect(automatic.stdoutText.contains("in use: file (automatic"), "\(automatic.stdoutText)")
            // An explicit Secret Service without a bus: status 4.
            let unavailable = try await cli.keyring(["diagnose", "-b", "secret-service"])
            #expect(unavailable.status == 4, "\(unavailable)")
            #expect(unavailable.stdoutText.contains("in use: none"))
        }
    }

    @Test("create, keyrings, lock, unlock, delete-keyring on encrypted files")
    func keyringManagement() async throws {
        try await withFixture(.file) { cli in
            let create = try await cli.keyring(["create", "work"])
            #expect(create.succeeded, "\(create)")
            let exists = try await cli.keyring(["create", "work"])
            #expect(exists.status == 5 && exists.stderrText.contains("work"), "\(exists)")

            let keyrings = try await cli.keyring(["keyrings"])
            #expect(keyrings.stdoutText.contains("work ("), "\(keyrings.stdoutText)")
            #expect(keyrings.stdoutText.contains("default"))
            let alias = try await cli.keyring(["list-keyrings", "--output", "json"])
            let names = try #require(try JSONSerialization.jsonObject(with: Data(alias.stdout)) as? [[String: Any]])
            #expect(Set(names.compactMap { $0["name"] as? String }).isSuperset(of: ["work"]))

            #expect(try await cli.keyring(["unlock", "work"]).succeeded)
            #expect(try await cli.keyring(["lock", "work"]).succeeded)
            let wrong = try await cli.keyring(["unlock", "work", "--no-prompt"], environment: ["KEYRING_FILE_PASSWORD": "wrong"])
            #expect(wrong.status == 3, "\(wrong)")
            let missing = try await cli.keyring(["unlock", "no-such-keyring"])
            #expect(missing.status == 5 && missing.stderrText.contains("no-such-keyring"), "\(missing)")

            let refused = try await cli.keyring(["--no-prompt", "delete-keyring", "work"])
            #expect(refused.status == 2 && refused.stderrText.contains("--yes"), "\(refused)")
            let deleted = try await cli.keyring(["delete-keyring", "work", "--yes"])
            #expect(deleted.succeeded, "\(deleted)")
            let after = try await cli.keyring(["keyrings"])
            #expect(!after.stdoutText.contains("work"))
        }
    }

    @Test("a new keyring without any password source: status 3")
    func createWithoutPassword() async throws {
        try await withFixture(.file) { cli in
            let result = try await cli.keyring(["create", "solo", "--no-prompt"], environment: ["KEYRING_FILE_PASSWORD": nil])
            #expect(result.status == 3, "\(result)")
        }
    }
}
