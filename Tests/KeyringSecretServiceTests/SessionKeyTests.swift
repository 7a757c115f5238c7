// AES-128-CBC with PKCS#7 under the HKDF-derived session key: round trips, lengths and the
// strictness of the padding check.

import KeyringSecretService
@testable import KeyringDH
import Testing
import TestSupport
import KeyringSystem

@Suite("session key: AES-128-CBC with PKCS#7")
struct SessionKeyTests {
    /// A session key from a random 128-byte shared secret.
    static func randomKey() -> SessionKey {
        var generator = SystemRandomNumberGenerator()
        return SessionKey(sharedSecret: SecureBytes(randomBytes(128, using: &generator)))
    }

    /// The ciphertext of `plaintext` with no padding added: encrypt a whole number of blocks,
    /// then drop the final all-padding block (CBC chains forward only).
    static func unpaddedCiphertext(_ plaintext: [UInt8], key: SessionKey, iv: [UInt8]) throws -> [UInt8] {
        precondition(plaintext.count % 16 == 0 && !plaintext.isEmpty)
        let full = try plaintext.withUnsafeBytes { try key.encrypt($0, iv: iv) }
        return Array(full.dropLast(16))
    }

    @Test("round trips for every length from 0 to 64 bytes")
    func roundTrips() throws {
        let key = Self.randomKey()
        var generator = SystemRandomNumberGenerator()
        for length in 0...64 {
            let plaintext = randomBytes(length, using: &generator)
            let (iv, ciphertext) = plaintext.withUnsafeBytes { key.encrypt($0) }
            #expect(iv.count == 16)
            #expect(ciphertext.count == (length / 16 + 1) * 16, "length \(length): 1 to 16 bytes of padding")
            let decrypted = try key.decrypt(iv: iv, ciphertext: ciphertext)
            #expect(decrypted.unprotectedArray == plaintext, "length \(length)")
        }
    }

    @Test("round trip of 1 MiB")
    func largeRoundTrip() throws {
        let key = Self.randomKey()
        var generator = SystemRandomNumberGenerator()
        let plaintext = randomBytes(1 << 20, using: &generator)
        let (iv, ciphertext) = plaintext.withUnsafeBytes { key.encrypt($0) }
        #expect(ciphertext.count == (1 << 20) + 16)
        #expect(try key.decrypt(iv: iv, ciphertext: ciphertext).unprotectedArray == plaintext)
    }

    @Test("every encryption draws a fresh IV")
    func freshIVs() {
        let key = Self.randomKey()
        let message = Array("same message".utf8)
        var seen = Set<[UInt8]>()
        for _ in 0..<64 {
            let (iv, ciphertext) = message.withUnsafeBytes { key.encrypt($0) }
            seen.insert(iv)
            #expect(ciphertext != (try? message.withUnsafeBytes { try key.encrypt($0, iv: [UInt8](repeating: 0, count: 16)) }))
        }
        #expect(seen.count == 64)
    }

    @Test("a fixed IV gives a fixed ciphertext")
    func deterministicWithIV() throws {
        let key = Self.randomKey()
        let iv = Array(0..<16 as Range<UInt8>)
        let message = Array("hunter2".utf8)
        let first = try message.withUnsafeBytes { try key.encrypt($0, iv: iv) }
        let second = try message.withUnsafeBytes { try key.encrypt($0, iv: iv) }
        #expect(first == second)
        #expect(first.count == 16)
    }

    @Test("IVs that are not 16 bytes are refused")
    func badIVs() {
        let key = Self.randomKey()
        let ciphertext = [UInt8](repeating: 0, count: 16)
        for length in [0, 1, 15, 17, 32] {
            let iv = [UInt8](repeating: 0, count: length)
            #expect(throws: SessionCryptoError.invalidIV(length: length)) { try key.decrypt(iv: iv, ciphertext: ciphertext) }
            #expect(throws: SessionCryptoError.invalidIV(length: length)) {
                try [UInt8]([1, 2, 3]).withUnsafeBytes { try key.encrypt($0, iv: iv) }
            }
        }
    }

    @Test("ciphertexts that are empty or not whole blocks are refused")
    func badCiphertextLengths() {
        let key = Self.randomKey()
        let iv = [UInt8](repeating: 0, count: 16)
        for length in [0, 1, 15, 17, 31, 33] {
            #expect(throws: SessionCryptoError.invalidCiphertextLength(length)) {
                try key.decrypt(iv: iv, ciphertext: [UInt8](repeating: 0x41, count: length))
            }
        }
    }

    @Test("padding must be 1 to 16 equal bytes")
    func strictPadding() throws {
        let key = Self.randomKey()
        let iv = [UInt8](repeating: 7, count: 16)
        let body = [UInt8](repeating: 0x61, count: 16)

        // Rejected: last byte 0, above 16 (swift-crypto's own unpadding accepts 17...32 here),
        // and unequal padding bytes.
        let rejected: [(String, [UInt8])] = [
            ("pad 0", body + [UInt8](repeating: 0x61, count: 15) + [0]),
            ("pad 17 of 17s", body.prefix(15) + [UInt8](repeating: 17, count: 17)),
            ("pad 32 of 32s", [UInt8](repeating: 32, count: 32)),
            ("pad 255", body + [UInt8](repeating: 0x61, count: 15) + [255]),
            ("pad 4, one byte off", body + [UInt8](repeating: 0x61, count: 12) + [4, 4, 3, 4]),
            ("pad 4, first byte off", body + [UInt8](repeating: 0x61, count: 12) + [5, 4, 4, 4]),
            ("pad 16, first byte off", body + [15] + [UInt8](repeating: 16, count: 15)),
            ("pad 2 after 1", body + [UInt8](repeating: 0x61, count: 14) + [1, 2]),
        ]
        for (name, plaintext) in rejected {
            let ciphertext = try Self.unpaddedCiphertext(Array(plaintext), key: key, iv: iv)
            #expect(throws: SessionCryptoError.invalidPadding, "\(name)") {
                try key.decrypt(iv: iv, ciphertext: ciphertext)
            }
        }

        // Accepted, with exactly the padding stripped.
        let accepted: [(String, [UInt8], Int)] = [
            ("pad 1", body + [UInt8](repeating: 0x61, count: 15) + [1], 31),
            ("pad 1 after a 2", body + [UInt8](repeating: 0x61, count: 14) + [2, 1], 31),
            ("pad 16", body + [UInt8](repeating: 16, count: 16), 16),
            ("pad 16 alone", [UInt8](repeating: 16, count: 16), 0),
            ("pad 5", body + [UInt8](repeating: 0x61, count: 11) + [UInt8](repeating: 5, count: 5), 27),
        ]
        for (name, plaintext, expectedLength) in accepted {
            let ciphertext = try Self.unpaddedCiphertext(plaintext, key: key, iv: iv)
            let decrypted = try key.decrypt(iv: iv, ciphertext: ciphertext)
            #expect(decrypted.unprotectedArray == Array(plaintext.prefix(expectedLength)), "\(name)")
        }
    }

    @Test("a changed IV, ciphertext or key does not give back the plaintext")
    func tampering() throws {
        let key = Self.randomKey()
        let other = Self.randomKey()
        let plaintext = Array("the quick brown fox jumps over the lazy dog".utf8)
        let (iv, ciphertext) = plaintext.withUnsafeBytes { key.encrypt($0) }

        // Flipping a bit of the IV flips the same bit of the first plaintext block (CBC is not
        // authenticated); the padding in the last block stays valid.
        var flippedIV = iv
        flippedIV[0] ^= 0x01
        var expected = plaintext
        expected[0] ^= 0x01
        #expect(try key.decrypt(iv: flippedIV, ciphertext: ciphertext).unprotectedArray == expected)

        // Anything else either fails the padding check or decrypts to something different.
        func garbled(_ result: () throws -> SecureBytes) -> Bool {
            do { return try result().unprotectedArray != plaintext } catch {
                return error as? SessionCryptoError == .invalidPadding
            }
        }
        var lastBlockChanged = ciphertext
        lastBlockChanged[lastBlockChanged.count - 1] ^= 0x80
        #expect(garbled { try key.decrypt(iv: iv, ciphertext: lastBlockChanged) })
        var firstBlockChanged = ciphertext
        firstBlockChanged[3] ^= 0x10
        #expect(garbled { try key.decrypt(iv: iv, ciphertext: firstBlockChanged) })
        #expect(garbled { try other.decrypt(iv: iv, ciphertext: ciphertext) })
        #expect(garbled { try key.decrypt(iv: iv, ciphertext: Array(ciphertext.dropLast(16))) })
    }

    @Test("error messages name the problem and carry no key material")
    func errorMessages() {
        let all: [SessionCryptoError] = [
            .invalidPeerKey, .invalidPeerKeyLength(64, significant: 64), .invalidPrivateKey, .invalidIV(length: 3),
            .invalidCiphertextLength(5), .invalidPadding,
        ]
        for error in all {
            #expect(!String(describing: error).isEmpty)
        }
        #expect(String(describing: SessionCryptoError.invalidIV(length: 3)).contains("16 bytes, got 3"))
    }
}
