/// The built-in backends, by the names used in `KEYRING_BACKEND` and the configuration file.
public enum BackendKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The desktop keyring over D-Bus (gnome-keyring, KWallet, KeePassXC): `secret-service`.
    case secretService = "secret-service"
    /// Encrypted files, ``EncryptedFileBackend``: `file`.
    case file
    /// Read-only environment variables, ``EnvironmentBackend``: `env`.
    case env
    /// This process's memory, ``MemoryBackend``: `memory`.
    case memory

    /// The name, e.g. `secret-service`.
    public var description: String { rawValue }

    /// Parses a name as written in `KEYRING_BACKEND` or the configuration file.
    /// - Parameters:
    ///   - text: The name; surrounding spaces and case are ignored.
    ///   - origin: Where it came from, for the message (`KEYRING_BACKEND`, `config line 3`).
    /// - Throws: ``KeyringError`` `invalidArgument` naming the accepted values.
    init(parsing text: String, origin: String) throws(KeyringError) {
        let name = text.trimmedWhitespace.lowercased()
        guard let kind = BackendKind(rawValue: name) else {
            throw KeyringError(
                .invalidArgument,
                "\(origin): '\(text)' is not a backend; use one of \(BackendKind.allCases.map(\.rawValue).joined(separator: ", ")) or auto"
            )
        }
        self = kind
    }
}
