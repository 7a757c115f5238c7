@testable import KeyringSecretService
import KeyringSystem
import KeyringDBus
import Testing

/// Errors from the D-Bus layer, as the Secret Service layer words them.
@Suite("Secret Service error translation")
struct ErrorTranslationTests {
    @Test("cancellation is the client's own error, .cancelled")
    func cancellation() {
        #expect(SecretServiceError.translating(CancellationError(), "unlocking").code == .cancelled)
        let abandoned = SecretServiceError.translating(DBusError.cancelled("waiting for the reply to Unlock"), "unlocking")
        #expect(abandoned.code == .cancelled)
        #expect(abandoned.underlying?.code == .cancelled)
    }

    @Test("the connection-lost message says so once")
    func connectionLostOnce() {
        let lost = DBusError(.disconnected, "the D-Bus connection was lost (the bus went away)")
        let error = SecretServiceError.translating(lost, "reading an item")
        #expect(error.code == .serviceVanished)
        let message = error.message
        #expect(message.ranges(of: "connection was lost").count == 1, "\(message)")
    }
}
