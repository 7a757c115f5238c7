public import SecretService

extension Secret {
    /// A copy in its own secure storage, so that a backend's stored secret and what a caller
    /// holds are wiped independently.
    func copied() -> Secret {
        Secret(secureBytes: bytes.withUnsafeBytes { SecureBytes(copying: $0) }, contentType: contentType)
    }
}

extension Keyring {
    /// A secret holding a copy of bytes read from a terminal or a pipe: `text/plain` when they
    /// are UTF-8, else `application/octet-stream`.
    /// - Parameter bytes: The secret bytes; the caller wipes its own copy.
    public static func secret(copying bytes: UnsafeRawBufferPointer) -> Secret {
        let isText = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil
        return Secret(
            secureBytes: SecureBytes(copying: bytes),
            contentType: isText ? Secret.textContentType : Secret.binaryContentType)
    }
}
