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
    }

    @Test("the connection-lost message says so once")
    func connectionLostOnce() {
        let lost = DBusError(.disconnected, "the D-Bus connection was lost (the bus went away)")
        let error = SecretServiceError.translating(lost, "reading an item")
        #expect(error.code == .serviceVanished)
        let message = error.message
        #expect(message.components(separatedBy: "connection was lost").count == 2, "\(message)")
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [Substring] {
        var parts: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            parts.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        parts.append(rest)
        return parts
    }
}
