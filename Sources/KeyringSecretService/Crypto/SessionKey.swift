// The symmetric half of `dh-ietf1024-sha256-aes128-cbc-pkcs7` and of `sx-aes-1`:
// HKDF-SHA256 from the shared secret to an AES-128 key, then AES-128-CBC with PKCS#7 padding.
// The block cipher is swift-crypto's (`_CryptoExtras` AES._CBC); the padding is ours, because
// that implementation accepts padding lengths above 16 on decryption.

import Crypto
// `_CryptoExtras`, not `CryptoExtras`: swift-crypto 3.x has only the former, and 4.x keeps it as a
// re-export of the latter, so this builds with both (Package.swift, the swift-crypto range).
import _CryptoExtras
import FoundationEssentials
package import KeyringSystem
package import KeyringDH

/// An AES-128 session key derived from a Diffie-Hellman shared secret.
///
/// The key bytes live in ``SecureBytes``. Copies share the key.
package struct SessionKey: Sendable {
    /// AES-128: 16 key bytes.
    package static let keyByteCount = 16
    /// The AES block size, and the IV size.
    package static let blockSize = 16

    /// The 16 key bytes.
    private let key: SecureBytes

    /// Derives the key as HKDF-SHA256(IKM = `sharedSecret`, salt = 32 zero bytes,
    /// info = empty, length 16), as both session algorithms specify.
    ///
    /// - Parameter sharedSecret: the shared secret exactly as ``DHKeyPair/sharedSecret(peerPublicKey:)``
    ///   returns it, left-padded to the prime's size. Passing it unpadded derives a different key.
    package init(sharedSecret: SecureBytes) {
        let inputKeyMaterial = sharedSecret.withUnsafeBytes { SymmetricKey(data: $0) }
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: inputKeyMaterial,
            salt: [UInt8](repeating: 0, count: 32),
            info: [UInt8](),
            outputByteCount: Self.keyByteCount)
        key = derived.withUnsafeBytes { SecureBytes(copying: $0) }
    }

    /// Runs HKDF and AES-CBC once on throwaway data, so that their first real use is quick.
    ///
    /// The first of each in a process costs about 0.3 ms of one-time set-up (swift-crypto's
    /// generic types and protocol conformances are looked up then). A session opening does this
    /// while the server computes its side of the exchange, off the path of the first secret.
    /// Later calls do nothing.
    package static func prepare() {
        _ = prepared
    }

    private static let prepared: Void = {
        let key = SessionKey(sharedSecret: SecureBytes(count: 128))
        let (iv, ciphertext) = key.encrypt(UnsafeRawBufferPointer(start: nil, count: 0))
        _ = try? key.decrypt(iv: iv, ciphertext: ciphertext)
    }()

    /// The raw key bytes; for test vectors and diagnostics that compare keys.
    package var keyBytes: SecureBytes { key }

    /// Encrypts `plaintext` under a fresh random IV.
    ///
    /// - Parameter plaintext: the secret, any length (empty is fine).
    /// - Returns: the 16-byte IV, drawn from the system CSPRNG (the secret's `parameters`),
    ///   and the AES-128-CBC ciphertext of the PKCS#7-padded plaintext (its `value`), 1 to 16
    ///   bytes longer than the plaintext and a multiple of 16.
    package func encrypt(_ plaintext: UnsafeRawBufferPointer) -> (iv: [UInt8], ciphertext: [UInt8]) {
        let iv = Sodium.randomBytes(Self.blockSize)
        return (iv, encrypt(plaintext, validIV: iv))
    }

    /// Encrypts `plaintext` under a given IV; for test vectors. Never reuse an IV with a key.
    ///
    /// - Parameters:
    ///   - plaintext: the secret, any length.
    ///   - iv: exactly 16 bytes.
    /// - Returns: the AES-128-CBC ciphertext of the PKCS#7-padded plaintext.
    /// - Throws: ``SessionCryptoError/invalidIV(length:)`` unless `iv` is 16 bytes.
    package func encrypt(_ plaintext: UnsafeRawBufferPointer, iv: [UInt8]) throws(SessionCryptoError) -> [UInt8] {
        guard iv.count == Self.blockSize else { throw .invalidIV(length: iv.count) }
        return encrypt(plaintext, validIV: iv)
    }

    /// Pads into secure memory, then runs AES-128-CBC without further padding.
    private func encrypt(_ plaintext: UnsafeRawBufferPointer, validIV iv: [UInt8]) -> [UInt8] {
        let padLength = Self.blockSize - plaintext.count % Self.blockSize  // 1...16
        let padded = SecureBytes(count: plaintext.count + padLength)
        padded.withUnsafeMutableBytes { buffer in
            if plaintext.count > 0 {
                buffer.baseAddress!.copyMemory(from: plaintext.baseAddress!, byteCount: plaintext.count)
            }
            for index in plaintext.count..<buffer.count { buffer[index] = UInt8(padLength) }
        }
        do {
            let cbcIV = try AES._CBC.IV(ivBytes: iv)
            let ciphertext = try padded.withUnsafeBytes { input in
                try key.withUnsafeBytes { keyBytes in
                    try AES._CBC.encrypt(input, using: SymmetricKey(data: keyBytes), iv: cbcIV, noPadding: true)
                }
            }
            return [UInt8](ciphertext)
        } catch {
            // Only a bad key size, IV size or unpadded length makes AES._CBC throw; all are fixed here.
            preconditionFailure("AES-128-CBC rejected its fixed-size inputs: \(error)")
        }
    }

    /// Decrypts a secret's `value` with its `parameters` as IV and strips the padding.
    ///
    /// - Parameters:
    ///   - iv: the secret's `parameters`; must be exactly 16 bytes.
    ///   - ciphertext: the secret's `value`; must be a non-zero multiple of 16 bytes.
    /// - Returns: the plaintext, in secure memory.
    /// - Throws: ``SessionCryptoError/invalidIV(length:)``,
    ///   ``SessionCryptoError/invalidCiphertextLength(_:)``, or
    ///   ``SessionCryptoError/invalidPadding`` unless the last byte n is 1…16 and the last n
    ///   bytes all equal n (a wrong key almost always ends here).
    package func decrypt(iv: [UInt8], ciphertext: [UInt8]) throws(SessionCryptoError) -> SecureBytes {
        guard iv.count == Self.blockSize else { throw .invalidIV(length: iv.count) }
        guard !ciphertext.isEmpty, ciphertext.count % Self.blockSize == 0 else {
            throw .invalidCiphertextLength(ciphertext.count)
        }
        var decrypted: Data
        do {
            let cbcIV = try AES._CBC.IV(ivBytes: iv)
            decrypted = try key.withUnsafeBytes { keyBytes in
                try AES._CBC.decrypt(ciphertext, using: SymmetricKey(data: keyBytes), iv: cbcIV, noPadding: true)
            }
        } catch {
            preconditionFailure("AES-128-CBC rejected its checked inputs: \(error)")
        }
        // Copy out of the Data into secure memory, then wipe the Data (uniquely owned here).
        let plain = decrypted.withUnsafeBytes { SecureBytes(copying: $0) }
        decrypted.withUnsafeMutableBytes { Sodium.wipe($0) }

        let padLength = plain.withUnsafeBytes { Self.validPaddingLength($0) }
        guard let padLength else { throw .invalidPadding }
        let result = SecureBytes(count: plain.count - padLength)
        if result.count > 0 {
            result.withUnsafeMutableBytes { destination in
                plain.withUnsafeBytes { source in
                    destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: destination.count)
                }
            }
        }
        return result
    }

    /// The PKCS#7 padding length of `block`-aligned data, or `nil` when the padding is invalid.
    ///
    /// Looks at all of the last 16 bytes whatever the padding, with no early exit.
    ///
    /// - Parameter data: decrypted data, a non-zero multiple of 16 bytes.
    static func validPaddingLength(_ data: UnsafeRawBufferPointer) -> Int? {
        let padLength = data[data.count - 1]
        // Bad when padLength is 0 or above 16.
        var bad = UInt8(truncatingIfNeeded: (UInt32(padLength) &- 1) >> 31)  // padLength == 0
        bad |= UInt8(truncatingIfNeeded: (16 &- UInt32(padLength)) >> 31)  // padLength > 16
        for offset in 1...Self.blockSize {
            let byte = data[data.count - offset]
            // Within the padding (offset ≤ padLength), every byte must equal padLength.
            let inside = UInt8(truncatingIfNeeded: (UInt32(padLength) &- UInt32(offset)) >> 31) ^ 1
            let differs = byte ^ padLength
            let nonZero = UInt8(truncatingIfNeeded: (UInt32(differs) &+ 0xFF) >> 8)  // 1 when differs != 0
            bad |= inside & nonZero
        }
        return bad == 0 ? Int(padLength) : nil
    }
}

extension SessionKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Never prints the key.
    package var description: String { "SessionKey(<redacted>)" }
    /// Same as ``description``.
    package var debugDescription: String { description }
    /// No children, so that `dump` cannot reach the key.
    package var customMirror: Mirror { Mirror(self, children: [:]) }
}
