/// Checks on service, account and keyring names shared by the built-in backends, the front, and
/// the backends of this package's other modules (KeyringOpenBao).
package enum EntryValidation {
    /// Longest service or account accepted, in UTF-8 bytes.
    static let maximumNameBytes = 4096

    /// A service must be non-empty; an account may be empty. Neither may hold NUL or exceed 4 KiB.
    package static func check(service: String, account: String? = nil) throws(KeyringError) {
        if service.isEmpty {
            throw KeyringError(
                .invalidArgument, "the service name is empty; give the application, host or URL the secret belongs to")
        }
        try checkName(service, what: "service")
        if let account { try checkName(account, what: "account") }
    }

    private static func checkName(_ value: String, what: String) throws(KeyringError) {
        if value.utf8.count > maximumNameBytes {
            throw KeyringError(.invalidArgument, "the \(what) name is longer than \(maximumNameBytes) bytes")
        }
        if value.utf8.contains(0) {
            throw KeyringError(.invalidArgument, "the \(what) name contains a NUL character, which no store accepts")
        }
    }

    /// Longest keyring name accepted, in UTF-8 bytes.
    static let maximumKeyringNameBytes = 255

    /// A keyring named by a caller (`nil` is the backend's default): every backend refuses an
    /// empty name (gnome-keyring's in-memory `session` collection has an empty label, so `""`
    /// would reach a keyring that forgets everything at logout), one of only spaces, one
    /// with control characters, or one longer than 255 bytes.
    package static func checkKeyring(_ keyring: String?) throws(KeyringError) {
        guard let keyring else { return }
        if keyring.isEmpty {
            throw KeyringError(.invalidArgument, "the keyring name is empty; name a keyring, or use the default one")
        }
        if keyring.utf8.count > maximumKeyringNameBytes {
            throw KeyringError(.invalidArgument, "the keyring name is longer than \(maximumKeyringNameBytes) bytes")
        }
        if keyring.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw KeyringError(.invalidArgument, "the keyring name contains control characters")
        }
        if keyring.allSatisfy(\.isWhitespace) {
            throw KeyringError(.invalidArgument, "the keyring name is only white space; name a keyring, or use the default one")
        }
    }

    /// Keyring names become file names: 1–64 characters from `A–Z a–z 0–9 . _ -`, not starting with `.`.
    static func checkKeyringName(_ name: String) throws(KeyringError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        if name.isEmpty || name.utf8.count > 64 || !allowed || name.hasPrefix(".") {
            throw KeyringError(
                .invalidArgument,
                "the keyring name is not valid here (not shown); use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"
            )
        }
    }
}
