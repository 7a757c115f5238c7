// Montgomery arithmetic modulo a fixed odd prime whose top bit is set: the constants,
// computed once per prime. The multiplication is in `MontgomeryModulus+Multiply.swift`,
// the exponentiation in `MontgomeryModulus+Power.swift`.
//
// Notation: n limbs of 64 bits, W = 2^64, R = W^n. A value a is held in Montgomery form
// as a·R mod p; the Montgomery product of x and y is x·y·R⁻¹ mod p.

/// Precomputed constants for Montgomery arithmetic modulo one odd prime `p` of `limbCount`
/// 64-bit limbs, with `p > R/2` (its most significant bit set).
///
/// Immutable after `init`; the constants live in one allocation owned by the instance.
final class MontgomeryModulus: @unchecked Sendable {
    /// The number of 64-bit limbs of the modulus.
    let limbCount: Int

    /// `-p⁻¹ mod 2^64`.
    let negativeInverse: UInt64

    /// Whether the unrolled 16-limb kernels apply: 16 limbs and p ≡ −1 (mod 2^64), as for the
    /// 1024-bit group of every session.
    let usesKernels16: Bool

    /// One allocation of `4 * limbCount` limbs: p, R² mod p, R mod p, p − 1.
    private let constants: UnsafeMutablePointer<UInt64>

    /// The modulus p, `limbCount` little-endian limbs.
    var modulus: UnsafePointer<UInt64> { UnsafePointer(constants) }
    /// R² mod p, used to enter Montgomery form.
    var rSquared: UnsafePointer<UInt64> { UnsafePointer(constants + limbCount) }
    /// R mod p: the number one in Montgomery form.
    var one: UnsafePointer<UInt64> { UnsafePointer(constants + 2 * limbCount) }
    /// p − 1, for range checks.
    var modulusMinusOne: UnsafePointer<UInt64> { UnsafePointer(constants + 3 * limbCount) }

    /// The size of a value modulo p when written big-endian with left padding.
    var byteCount: Int { limbCount * 8 }

    /// Computes the Montgomery constants for the prime `bigEndianPrime`.
    ///
    /// - Parameter bigEndianPrime: the modulus, unsigned big-endian, a multiple of 8 bytes long,
    ///   odd, with its most significant bit set. Violations stop the program: the primes are
    ///   constants of the package.
    init(bigEndianPrime: [UInt8]) {
        precondition(!bigEndianPrime.isEmpty && bigEndianPrime.count % 8 == 0, "prime must be whole limbs")
        precondition(bigEndianPrime[0] & 0x80 != 0, "prime must have its top bit set")
        precondition(bigEndianPrime[bigEndianPrime.count - 1] & 1 == 1, "prime must be odd")
        let n = bigEndianPrime.count / 8
        limbCount = n
        constants = .allocate(capacity: 4 * n)
        constants.initialize(repeating: 0, count: 4 * n)

        let p = constants
        bigEndianPrime.withUnsafeBytes { Limbs.load(bigEndian: $0, into: p, count: n) }

        // p⁻¹ mod 2^64 by Newton's iteration: p·p ≡ 1 (mod 8), and each step doubles the
        // number of correct low bits (3, 6, 12, 24, 48, 96).
        var inverse = p[0]
        for _ in 0..<5 { inverse = inverse &* (2 &- p[0] &* inverse) }
        precondition(inverse &* p[0] == 1)
        negativeInverse = 0 &- inverse
        usesKernels16 = n == 16 && p[0] == UInt64.max

        // R mod p = R − p, because R/2 < p < R: 0 − p modulo R.
        let one = constants + 2 * n
        one.update(repeating: 0, count: n)
        Self.subtract(p, from: one, count: n)

        // R² mod p, the Montgomery form of R = 2^(64·n). Doubling R mod p t times gives the form
        // of 2^t; each Montgomery squaring then doubles the power: with 2^k the largest power of
        // two dividing n, t = 64·n / 2^k doublings and k squarings (64 and 4 for 16 limbs, where
        // doubling alone took 1,024 steps).
        let square = constants + n
        square.update(from: one, count: n)
        var squarings = 0
        while n % (2 << squarings) == 0 { squarings += 1 }
        for _ in 0..<(64 * n >> squarings) {
            var carry: UInt64 = 0
            for index in 0..<n {
                let word = square[index]
                square[index] = (word << 1) | carry
                carry = word >> 63
            }
            if carry == 1 || Limbs.compare(square, p, count: n) >= 0 {
                Self.subtract(p, from: square, count: n)
            }
        }
        if squarings > 0 {
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * n + 1)
            defer { scratch.deallocate() }
            for _ in 0..<squarings {
                if usesKernels16 {
                    Self.montgomerySquare16(square, square, modulus: p, scratch: scratch)
                } else {
                    Self.montgomerySquare(
                        square, square, modulus: p, negativeInverse: negativeInverse,
                        scratch: scratch, limbCount: n)
                }
            }
        }

        let pMinusOne = constants + 3 * n
        pMinusOne.update(from: p, count: n)
        pMinusOne[0] -= 1  // p is odd: no borrow
    }

    /// Sets `result = a² · R⁻¹ mod p`, with the fastest kernel for this modulus.
    ///
    /// - Parameters:
    ///   - result: destination, ``limbCount`` limbs; may alias `a`.
    ///   - a: ``limbCount`` limbs, below p.
    ///   - scratch: `2 · limbCount + 1` limbs of working space.
    @inline(__always)
    func square(_ result: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>) {
        if usesKernels16 {
            Self.montgomerySquare16(result, a, modulus: modulus, scratch: scratch)
        } else {
            Self.montgomerySquare(
                result, a, modulus: modulus, negativeInverse: negativeInverse,
                scratch: scratch, limbCount: limbCount)
        }
    }

    /// Sets `result = a · b · R⁻¹ mod p`, with the fastest kernel for this modulus.
    ///
    /// - Parameters:
    ///   - result: destination, ``limbCount`` limbs; may alias `a` or `b`.
    ///   - a: ``limbCount`` limbs, below R.
    ///   - b: ``limbCount`` limbs, below p.
    ///   - scratch: `2 · limbCount + 1` limbs of working space.
    @inline(__always)
    func multiply(
        _ result: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
        scratch: UnsafeMutablePointer<UInt64>
    ) {
        if usesKernels16 {
            Self.montgomeryMultiply16(result, a, b, modulus: modulus, scratch: scratch)
        } else {
            Self.montgomeryMultiply(
                result, a, b, modulus: modulus, negativeInverse: negativeInverse,
                scratch: scratch, limbCount: limbCount)
        }
    }

    deinit {
        constants.deinitialize(count: 4 * limbCount)
        constants.deallocate()
    }

    /// `value -= subtrahend` modulo W^count, dropping the final borrow.
    private static func subtract(_ subtrahend: UnsafePointer<UInt64>, from value: UnsafeMutablePointer<UInt64>, count: Int) {
        var borrow = false
        for index in 0..<count {
            let (partial, borrow1) = value[index].subtractingReportingOverflow(subtrahend[index])
            let (difference, borrow2) = partial.subtractingReportingOverflow(borrow ? 1 : 0)
            value[index] = difference
            borrow = borrow1 || borrow2
        }
    }
}
