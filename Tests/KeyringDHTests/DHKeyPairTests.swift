// Key generation, peer-key validation and agreement.

@testable import KeyringDH
import KeyringSystem
import TestSupport
import KeyringSecretService
import Testing

@Suite("Diffie-Hellman key pairs")
struct DHKeyPairTests {
    @Test("two fresh key pairs agree on a padded shared secret", arguments: [DHGroup.ietf1024, DHGroup.modp1536])
    func agreement(group: DHGroup) throws {
        for _ in 0..<3 {
            let alice = DHKeyPair(group: group)
            let bob = DHKeyPair(group: group)
            #expect(alice.publicKey.count == group.primeByteCount)
            #expect(bob.publicKey.count == group.primeByteCount)
            #expect(alice.publicKey != bob.publicKey)
            #expect(alice.publicKey.withUnsafeBytes { group.isInOpenRange($0) })
            let aliceSecret = try alice.sharedSecret(peerPublicKey: bob.publicKey)
            let bobSecret = try bob.sharedSecret(peerPublicKey: alice.publicKey)
            #expect(aliceSecret.count == group.primeByteCount)
            #expect(aliceSecret.constantTimeEquals(bobSecret))
            // Both ends derive the same session key, and it works across them.
            let message = Array("correct horse battery staple".utf8)
            let sealed = message.withUnsafeBytes { SessionKey(sharedSecret: aliceSecret).encrypt($0) }
            let opened = try SessionKey(sharedSecret: bobSecret).decrypt(iv: sealed.iv, ciphertext: sealed.ciphertext)
            #expect(opened.unprotectedArray == message)
        }
    }

    @Test("public keys are g^x mod p for a known x", arguments: [DHGroup.ietf1024, DHGroup.modp1536])
    func knownPrivateKey(group: DHGroup) throws {
        var generator = SystemRandomNumberGenerator()
        let x = randomBytes(group.primeByteCount - 1, using: &generator) + [7]
        let pair = try DHKeyPair(group: group, privateKey: x)
        #expect(pair.publicKey == group.power(base: [group.generator], exponent: x))
        // Leading zeros in the given private key change nothing.
        let padded = try DHKeyPair(group: group, privateKey: [0, 0] + x)
        #expect(padded.publicKey == pair.publicKey)
        // A short private key is still a valid exponent, and the public key is still full width.
        let small = try DHKeyPair(group: group, privateKey: [2])
        #expect(small.publicKey == leftPadded([4], to: group.primeByteCount))
    }

    @Test("private keys out of range are refused", arguments: [DHGroup.ietf1024, DHGroup.modp1536])
    func badPrivateKeys(group: DHGroup) {
        let p = group.prime
        for bad in [[], [0], [1], adding(-1, to: p), p, adding(1, to: p), [1] + p] {
            #expect(throws: SessionCryptoError.invalidPrivateKey) { try DHKeyPair(group: group, privateKey: bad) }
        }
        #expect(throws: Never.self) { try DHKeyPair(group: group, privateKey: adding(-2, to: p)) }
    }

    @Test("peer keys 0, 1, p−1, p, above p and too long are rejected", arguments: [DHGroup.ietf1024, DHGroup.modp1536])
    func badPeerKeys(group: DHGroup) {
        let pair = DHKeyPair(group: group)
        let p = group.prime
        let width = group.primeByteCount
        let rejected: [(String, [UInt8])] = [
            ("empty", []),
            ("0", [0]),
            ("0, full width", [UInt8](repeating: 0, count: width)),
            ("1", [1]),
            ("1, full width", leftPadded([1], to: width)),
            ("p − 1", adding(-1, to: p)),
            ("p", p),
            ("p + 1", adding(1, to: p)),
            ("all ones", [UInt8](repeating: 0xff, count: width)),
            ("one byte too long", [1] + [UInt8](repeating: 0, count: width)),
            ("p − 1 with a leading zero", [0] + adding(-1, to: p)),
        ]
        for (name, key) in rejected {
            #expect(throws: SessionCryptoError.invalidPeerKey, "\(group.name): \(name)") {
                try pair.sharedSecret(peerPublicKey: key)
            }
        }
    }

    @Test("peer keys with leading zeros or fewer bytes are accepted", arguments: [DHGroup.ietf1024, DHGroup.modp1536])
    func lenientPeerKeyLengths(group: DHGroup) throws {
        var generator = SystemRandomNumberGenerator()
        let width = group.primeByteCount
        let x = randomBytes(width - 1, using: &generator) + [3]
        let pair = try DHKeyPair(group: group, privateKey: x)
        let peer = DHKeyPair(group: group)

        // The peer's key one byte longer, with a leading zero (old KWallet).
        let reference = try pair.sharedSecret(peerPublicKey: peer.publicKey).unprotectedArray
        let longer = try pair.sharedSecret(peerPublicKey: [0] + peer.publicKey).unprotectedArray
        #expect(longer == reference)

        // A key one byte shorter (gnome-keyring strips a leading zero byte).
        var short = randomBytes(width - 1, using: &generator)
        short[0] |= 0x80
        let fromShort = try pair.sharedSecret(peerPublicKey: short)
        #expect(fromShort.count == width)
        #expect(fromShort.unprotectedArray == group.power(base: short, exponent: x))
        #expect(fromShort.unprotectedArray == (try pair.sharedSecret(peerPublicKey: [0] + short)).unprotectedArray)

        // The smallest and largest valid keys.
        #expect(try pair.sharedSecret(peerPublicKey: [2]).unprotectedArray == group.power(base: [2], exponent: x))
        let largest = adding(-2, to: group.prime)
        #expect(try pair.sharedSecret(peerPublicKey: largest).unprotectedArray == group.power(base: largest, exponent: x))
    }

    @Test("the sx-aes-1 key derivation matches Python's HKDF over 192-byte secrets")
    func sxAesKeyDerivation() throws {
        var secrets: [SecureBytes] = []
        for _ in 0..<4 {
            let a = DHKeyPair(group: .modp1536)
            let b = DHKeyPair(group: .modp1536)
            secrets.append(try a.sharedSecret(peerPublicKey: b.publicKey))
        }
        // Include a secret with leading zeros, as a padded shared secret can have.
        secrets.append(SecureBytes([0, 0] + [UInt8](repeating: 0x5a, count: 190)))
        let expected = try pythonSessionKeys(secrets.map(\.unprotectedArray))
        for (secret, want) in zip(secrets, expected) {
            #expect(secret.count == 192)
            #expect(SessionKey(sharedSecret: secret).keyBytes.unprotectedArray == want)
        }
    }

    @Test("descriptions never show key material")
    func redaction() throws {
        let pair = try DHKeyPair(group: .ietf1024, privateKey: [0x12, 0x34, 0x56, 0x78, 0x9a])
        let text = "\(pair) \(String(reflecting: pair)) \(Mirror(reflecting: pair).children.count)"
        #expect(!text.contains("123456789a"))
        #expect(text.contains("redacted"))
        let key = SessionKey(sharedSecret: SecureBytes([UInt8](repeating: 1, count: 128)))
        let keyHex = hexString(key.keyBytes.unprotectedArray)
        #expect(!"\(key) \(String(reflecting: key))".contains(keyHex))
        #expect(Mirror(reflecting: key).children.isEmpty)
    }
}
