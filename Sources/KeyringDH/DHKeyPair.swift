// One side of a Diffie-Hellman exchange: a private exponent that never leaves secure memory,
// and the public key to send.

package import KeyringSystem

/// A Diffie-Hellman key pair in a ``DHGroup``.
///
/// The private exponent lives in ``SecureBytes`` (locked, wiped on release, never printed).
/// Keep one key pair per session; copies share the same private key.
package struct DHKeyPair: Sendable {
    /// The group the keys belong to.
    package let group: DHGroup
    /// g^x mod p, unsigned big-endian, always exactly `group.primeByteCount` bytes (left-padded
    /// with zeros): the form `OpenSession` and the `sx-aes-1` exchange send.
    package let publicKey: [UInt8]
    /// x, big-endian, `group.primeByteCount` bytes.
    private let privateKey: SecureBytes

    /// Draws a fresh private exponent and computes the public key.
    ///
    /// x is uniform in 1 < x < p − 1, taken full-size from the system CSPRNG
    /// (`randombytes_buf` through ``Sodium/fillRandom(_:)``) and redrawn in the rare case it
    /// falls outside that range.
    package init(group: DHGroup) {
        let key = SecureBytes(count: group.primeByteCount)
        repeat {
            key.withUnsafeMutableBytes { Sodium.fillRandom($0) }
        } while !key.withUnsafeBytes({ group.isInOpenRange($0) })
        self.init(group: group, validatedPrivateKey: key)
    }

    /// Uses a known private exponent; for test vectors.
    ///
    /// - Parameters:
    ///   - group: the group.
    ///   - privateKey: x, unsigned big-endian, any length (leading zeros allowed).
    ///     The caller remains responsible for wiping its copy.
    /// - Throws: ``SessionCryptoError/invalidPrivateKey`` unless 1 < x < p − 1.
    package init(group: DHGroup, privateKey: [UInt8]) throws(SessionCryptoError) {
        let valid = privateKey.withUnsafeBytes { group.isInOpenRange($0) }
        guard valid else { throw .invalidPrivateKey }
        let key = SecureBytes(count: group.primeByteCount)
        key.withUnsafeMutableBytes { destination in
            privateKey.withUnsafeBytes { source in
                let significant = Limbs.significantByteCount(source)
                destination.baseAddress!.advanced(by: destination.count - significant)
                    .copyMemory(from: source.baseAddress!.advanced(by: source.count - significant), byteCount: significant)
            }
        }
        self.init(group: group, validatedPrivateKey: key)
    }

    /// Stores `key` (exactly `primeByteCount` bytes, in range) and computes g^x mod p.
    private init(group: DHGroup, validatedPrivateKey key: SecureBytes) {
        self.group = group
        self.privateKey = key
        var publicKey = [UInt8](repeating: 0, count: group.primeByteCount)
        key.withUnsafeBytes { exponent in
            publicKey.withUnsafeMutableBytes { group.powerOfGenerator(exponent: exponent, into: $0) }
        }
        self.publicKey = publicKey
    }

    /// Computes the shared secret y^x mod p from the peer's public key y.
    ///
    /// - Parameter peerPublicKey: y, unsigned big-endian of any length: leading zeros are
    ///   ignored (servers send 127 bytes, or 129 with a leading zero, now and then).
    /// - Returns: the shared secret, left-padded with zeros to exactly `group.primeByteCount`
    ///   bytes, in secure memory.
    /// - Throws: ``SessionCryptoError/invalidPeerKey`` unless 1 < y < p − 1 (this also rejects
    ///   values wider than the prime).
    package func sharedSecret(peerPublicKey: [UInt8]) throws(SessionCryptoError) -> SecureBytes {
        try check(peerPublicKey: peerPublicKey)
        return sharedSecret(checkedPeerPublicKey: peerPublicKey)
    }

    /// ``sharedSecret(peerPublicKey:)`` for a key that passed ``check(peerPublicKey:)``.
    package func sharedSecret(checkedPeerPublicKey peerPublicKey: [UInt8]) -> SecureBytes {
        let secret = SecureBytes(count: group.primeByteCount)
        secret.withUnsafeMutableBytes { result in
            privateKey.withUnsafeBytes { exponent in
                peerPublicKey.withUnsafeBytes { base in
                    group.power(base: base, exponent: exponent, into: result)
                }
            }
        }
        return secret
    }
}

extension DHKeyPair {
    /// Checks a peer's public key without the exponentiation: what ``sharedSecret(peerPublicKey:)``
    /// will accept.
    /// - Throws: ``SessionCryptoError/invalidPeerKey`` unless 1 < y < p − 1.
    package func check(peerPublicKey: [UInt8]) throws(SessionCryptoError) {
        let valid = peerPublicKey.withUnsafeBytes { group.isInOpenRange($0) }
        guard valid else { throw .invalidPeerKey }
    }
}

extension DHKeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Names the group only; the private key is never printed.
    package var description: String { "DHKeyPair(\(group.name), private key <redacted>)" }
    /// Same as ``description``.
    package var debugDescription: String { description }
    /// No children, so that `dump` cannot reach the private key.
    package var customMirror: Mirror { Mirror(self, children: [:]) }
}
