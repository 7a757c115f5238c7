// The finite-field Diffie-Hellman groups the package speaks: RFC 2409 Oakley group 2 for the
// Secret Service session algorithm `dh-ietf1024-sha256-aes128-cbc-pkcs7`, and RFC 3526
// group 5 for gnome-keyring's `sx-aes-1` prompter exchange.

internal import KeyringSystem

/// A multiplicative group modulo a safe prime with generator 2, and its arithmetic.
package struct DHGroup: Sendable {
    /// A short name for logs and test output (`"ietf1024"`, `"modp1536"`).
    package let name: String
    /// The prime p, unsigned big-endian, exactly ``primeByteCount`` bytes.
    package let prime: [UInt8]
    /// The generator g.
    package let generator: UInt8
    /// The Montgomery constants for p, shared by every copy of the group.
    let modulus: MontgomeryModulus

    /// The size in bytes of p, and of every public key and shared secret in the group.
    package var primeByteCount: Int { prime.count }

    /// A group for another modulus; for tests. The modulus is not checked for primality.
    ///
    /// - Parameters:
    ///   - name: a short name for logs.
    ///   - prime: unsigned big-endian, a multiple of 8 bytes, odd, with its top bit set;
    ///     anything else stops the program.
    ///   - generator: the generator.
    package init(name: String, prime: [UInt8], generator: UInt8) {
        self.name = name
        self.prime = prime
        self.generator = generator
        self.modulus = MontgomeryModulus(bigEndianPrime: prime)
    }

    /// Builds a group from its prime written as hexadecimal (spaces ignored).
    private init(name: String, primeHex: String, generator: UInt8) {
        let digits = primeHex.filter { !$0.isWhitespace }.utf8.map { ascii -> UInt8 in
            switch ascii {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return ascii - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return ascii - UInt8(ascii: "A") + 10
            default: preconditionFailure("bad hex digit in the prime of \(name)")
            }
        }
        precondition(digits.count % 2 == 0)
        let bytes = stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
        self.init(name: name, prime: bytes, generator: generator)
    }

    /// RFC 2409 §6.2, the second Oakley group: 1024-bit prime
    /// 2^1024 − 2^960 − 1 + 2^64 · (⌊2^894 π⌋ + 129093), generator 2.
    /// Used by `dh-ietf1024-sha256-aes128-cbc-pkcs7`.
    package static let ietf1024 = DHGroup(
        name: "ietf1024",
        primeHex: """
            FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74
            020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437
            4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
            EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE65381 FFFFFFFF FFFFFFFF
            """,
        generator: 2)

    /// RFC 3526 §2, group 5: 1536-bit prime
    /// 2^1536 − 2^1472 − 1 + 2^64 · (⌊2^1406 π⌋ + 741804), generator 2.
    /// Used by gnome-keyring's `sx-aes-1` prompter exchange.
    package static let modp1536 = DHGroup(
        name: "modp1536",
        primeHex: """
            FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1 29024E08 8A67CC74
            020BBEA6 3B139B22 514A0879 8E3404DD EF9519B3 CD3A431B 302B0A6D F25F1437
            4FE1356D 6D51C245 E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
            EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D C2007CB8 A163BF05
            98DA4836 1C55D39A 69163FA8 FD24CF5F 83655D23 DCA3AD96 1C62F356 208552BB
            9ED52907 7096966D 670C354E 4ABC9804 F1746C08 CA237327 FFFFFFFF FFFFFFFF
            """,
        generator: 2)

    /// Computes `base^exponent mod p`, big-endian, left-padded to ``primeByteCount`` bytes.
    ///
    /// Runs in time that depends on the lengths of the inputs, not on their values.
    ///
    /// - Parameters:
    ///   - base: unsigned big-endian, any length; its value must fit in ``primeByteCount``
    ///     bytes (anything wider stops the program). Values ≥ p are reduced.
    ///   - exponent: unsigned big-endian, any length; empty means zero.
    ///   - result: destination of exactly ``primeByteCount`` bytes.
    package func power(base: UnsafeRawBufferPointer, exponent: UnsafeRawBufferPointer, into result: UnsafeMutableRawBufferPointer)
    {
        modulus.power(base: base, exponent: exponent, into: result)
    }

    /// Computes `g^exponent mod p` (a public key), big-endian, left-padded to ``primeByteCount``
    /// bytes; faster than ``power(base:exponent:into:)`` with base g when g is 2.
    ///
    /// - Parameters:
    ///   - exponent: unsigned big-endian, any length; empty means zero.
    ///   - result: destination of exactly ``primeByteCount`` bytes.
    package func powerOfGenerator(exponent: UnsafeRawBufferPointer, into result: UnsafeMutableRawBufferPointer) {
        if generator == 2 {
            modulus.powerOfTwo(exponent: exponent, into: result)
        } else {
            withUnsafeBytes(of: generator) { modulus.power(base: $0, exponent: exponent, into: result) }
        }
    }

    /// Computes `base^exponent mod p` into a new array of ``primeByteCount`` bytes.
    ///
    /// The array is ordinary memory: for secret results use
    /// ``power(base:exponent:into:)`` with a ``SecureBytes`` destination.
    package func power(base: [UInt8], exponent: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: primeByteCount)
        base.withUnsafeBytes { b in
            exponent.withUnsafeBytes { e in
                result.withUnsafeMutableBytes { modulus.power(base: b, exponent: e, into: $0) }
            }
        }
        return result
    }

    /// Whether the unsigned big-endian `value` (any length, leading zeros allowed) lies
    /// strictly between 1 and p − 1: the valid range for public keys and private exponents.
    ///
    /// Branches on the value: fine for public keys and for the rejection sampling of fresh
    /// private keys, whose rejection leaks nothing about the key that is kept.
    package func isInOpenRange(_ value: UnsafeRawBufferPointer) -> Bool {
        guard Limbs.significantByteCount(value) <= primeByteCount else { return false }
        let n = modulus.limbCount
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { buffer in
            let limbs = buffer.baseAddress!
            Limbs.load(bigEndian: value, into: limbs, count: n)
            defer { Sodium.wipe(UnsafeMutableRawBufferPointer(buffer)) }
            return Limbs.isGreaterThanOne(limbs, count: n)
                && Limbs.compare(limbs, modulus.modulusMinusOne, count: n) < 0
        }
    }
}

extension DHGroup: Equatable {
    /// Groups are equal when their primes and generators are.
    package static func == (lhs: DHGroup, rhs: DHGroup) -> Bool {
        lhs.prime == rhs.prime && lhs.generator == rhs.generator
    }
}

extension DHGroup: CustomStringConvertible {
    /// The group's name and size, e.g. `ietf1024 (1024-bit, g = 2)`.
    package var description: String { "\(name) (\(primeByteCount * 8)-bit, g = \(generator))" }
}

extension DHGroup {
    /// How many bytes of an unsigned big-endian number are significant (leading zeros left out),
    /// for checks of a peer's key length before its value is looked at.
    package static func significantByteCount(of key: [UInt8]) -> Int {
        key.withUnsafeBytes { Limbs.significantByteCount($0) }
    }
}
