@testable import KeyringDBus
import KeyringSystem
import Testing

/// What a peer sends in an error reply reaches messages escaped and bounded.
@Suite("D-Bus errors")
struct DBusErrorTests {
    @Test("errors from peers are escaped and bounded when they are made")
    func remoteErrors() {
        let error = DBusError.remote(
            name: "org.example.Error", message: "\u{1b}]0;pwned\u{07}" + String(repeating: "z", count: 1_000_000))
        #expect(error.message.utf8.count <= DisplayText.peerTextLimit)
        #expect(!error.message.unicodeScalars.contains("\u{1b}"))
        #expect(!error.description.unicodeScalars.contains("\u{07}"))
    }
}
