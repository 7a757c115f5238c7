import KeyringDBus
import KeyringSecretService
import KeyringSystem
import Synchronization
import Testing
import TestSupport

/// Against gnome-keyring, or the server `KEYRING_TEST_SERVER` names.
@Suite("Interoperability with secret-tool")
struct SecretToolInteropTests {
    @Test func secretToolItemsAreReadAndOursAreReadBySecretTool() async throws {
        try await Fixture.with { f in
            let stored = try await f.bus.run(
                "/usr/bin/secret-tool", ["store", "--label=from secret-tool", "service", "interop", "username", "bob"],
                stdin: Array("tool-secret".utf8))
            #expect(stored.succeeded, "\(stored)")
            #expect(try await f.client.lookup(["service": "interop", "username": "bob"]) == Secret("tool-secret"))

            try await f.client.defaultCollection().createItem(
                label: "from swift", attributes: ["service": "interop", "username": "dave"], secret: Secret("swift-text"))
            let text = try await f.bus.run("/usr/bin/secret-tool", ["lookup", "service", "interop", "username", "dave"])
            #expect(text.succeeded, "\(text)")
            #expect(text.stdoutText == "swift-text")

            try await f.client.defaultCollection().createItem(
                label: "from swift", attributes: ["service": "interop", "username": "carol"],
                secret: Secret(bytes: Array("swift-secret\u{0}\u{1}".utf8)))
            let looked = try await f.bus.run("/usr/bin/secret-tool", ["lookup", "service", "interop", "username", "carol"])
            if f.profile.keepsContentType {
                // secret-tool prints only text/plain secrets; gnome-keyring makes every secret
                // text/plain, the other servers keep application/octet-stream.
                #expect(looked.status == 1, "\(looked)")
                #expect(looked.stdout.isEmpty)
                #expect(looked.stderrText.contains("secret does not contain a textual password"), "\(looked)")
            } else {
                #expect(looked.succeeded, "\(looked)")
                #expect(looked.stdout == Array("swift-secret\u{0}\u{1}".utf8))
            }
        }
    }
}
