import SecretService

extension Secret {
    /// A copy in its own secure storage, so that a backend's stored secret and what a caller
    /// holds are wiped independently.
    func copied() -> Secret {
        Secret(secureBytes: bytes.withUnsafeBytes { SecureBytes(copying: $0) }, contentType: contentType)
    }
}
