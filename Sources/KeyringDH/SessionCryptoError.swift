/// Why a Diffie-Hellman or session-cipher step failed.
///
/// The SecretService layer maps these into its public error type. Messages never contain
/// key or secret bytes.
package enum SessionCryptoError: Error, Sendable, Equatable {
    /// The peer's public key is not an integer strictly between 1 and p − 1, or is wider
    /// than the prime.
    case invalidPeerKey
    /// The peer's public key is too long, or has too few significant bytes, to be a key of
    /// the group: its length and its significant length (without leading zero bytes).
    case invalidPeerKeyLength(Int, significant: Int)
    /// A private exponent given for a test vector is not strictly between 1 and p − 1.
    case invalidPrivateKey
    /// The IV (the secret's `parameters`) is not exactly 16 bytes.
    case invalidIV(length: Int)
    /// The ciphertext (the secret's `value`) is empty or not a multiple of 16 bytes.
    case invalidCiphertextLength(Int)
    /// The decrypted data does not end in valid PKCS#7 padding: wrong key, or corrupted data.
    case invalidPadding
}

extension SessionCryptoError {
    /// What was wrong, for "the Secret Service sent ...": a key or an encrypted value.
    package var subject: String {
        switch self {
        case .invalidPeerKey, .invalidPeerKeyLength: return "an invalid public key for the session"
        case .invalidPrivateKey: return "an invalid private key"
        case .invalidIV, .invalidCiphertextLength, .invalidPadding: return "an invalid encrypted value"
        }
    }
}

extension SessionCryptoError: CustomStringConvertible {
    /// A human-readable explanation without any key or secret material.
    package var description: String {
        switch self {
        case .invalidPeerKey:
            return "the peer's Diffie-Hellman public key is out of range (must be between 1 and p − 1, exclusive)"
        case .invalidPeerKeyLength(let length, let significant):
            return "the peer's Diffie-Hellman public key is not a 1024-bit key: \(length) bytes, \(significant) of them "
                + "significant (at most 129 bytes, at least 96 significant)"
        case .invalidPrivateKey:
            return "the Diffie-Hellman private key is out of range (must be between 1 and p − 1, exclusive)"
        case .invalidIV(let length):
            return "the AES-CBC IV must be 16 bytes, got \(length)"
        case .invalidCiphertextLength(let length):
            return "the AES-CBC ciphertext must be a non-zero multiple of 16 bytes, got \(length)"
        case .invalidPadding:
            return "the decrypted secret has invalid PKCS#7 padding (wrong session key or corrupted data)"
        }
    }
}
