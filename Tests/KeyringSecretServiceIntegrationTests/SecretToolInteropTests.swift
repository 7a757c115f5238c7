import KeyringDBus
import KeyringSecretService
import KeyringSystem
import Synchronization
import Testing
import TestSupport

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
                label: "from swift", attributes: ["service": "interop", "username": "carol"],
                secret: Secret(bytes: Array("swift-secret\u{0}\u{1}".utf8)))
            let looked = try await f.bus.run("/usr/bin/secret-tool", ["lookup", "service", "interop", "username", "carol"])
            #expect(looked.succeeded, "\(looked)")
            #expect(looked.stdout == Array("swift-secret\u{0}\u{1}".utf8))
        }
    }
}
