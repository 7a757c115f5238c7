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

    @Test("every code is known once, cancellation among them")
    func codes() {
        #expect(Set(DBusError.Code.known.map(\.rawValue)).count == DBusError.Code.known.count)
        #expect(DBusError.Code.known.contains(.cancelled))
        #expect(DBusError.cancelled("waiting").code == .cancelled)
    }

    @Test("a deadline that passes is .timedOut; a cancelled wait is .cancelled, not a timeout")
    func deadlines() async {
        await #expect {
            try await withDeadline(.milliseconds(10), "waiting for nothing") { () async throws(DBusError) in
                try? await Task.sleep(for: .seconds(3600))
            }
        } throws: { error in
            (error as? DBusError)?.code == .timedOut
        }
        // An operation that stops when cancelled, as every wait on a connection does.
        let waiting = Task {
            try await withDeadline(.seconds(3600), "waiting for nothing") { () async throws(DBusError) in
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    throw DBusError.cancelled("waiting for nothing")
                }
            }
        }
        waiting.cancel()
        let result = await waiting.result
        #expect(throws: DBusError.cancelled("waiting for nothing")) { try result.get() }
    }
}
