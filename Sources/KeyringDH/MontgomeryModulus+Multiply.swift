// Montgomery multiplication and squaring by finely integrated product scanning (FIPS):
// column by column, the product words and the reduction words go into one three-word
// accumulator, so each 64×64-bit product costs one `mul` and an `add`/`adc`/`adc` chain.
// Built for baseline x86-64 (no BMI2 `mulx`), the `mul` throughput is the limit, so squaring
// computes each cross product once and doubles the sum. Everything is branch-free in the
// values of the operands; loops depend on the limb count only.
//
// Tried and measured slower on this design's target (Zen 4, Swift 6.3, -O): row-wise CIOS,
// separated operand scanning, 52-bit limbs, and specialising the loops for 16 or 24 limbs.
// Faster: the same algorithm fully unrolled, MontgomeryModulus+Kernels16.swift, which the
// 1024-bit group uses; these loops serve every other width and are the reference.

extension MontgomeryModulus {
    /// Sets `result = a · b · R⁻¹ mod p`, fully reduced (< p).
    ///
    /// - Parameters:
    ///   - result: destination, `n` limbs; may alias `a` or `b`.
    ///   - a: `n` limbs, any value below R.
    ///   - b: `n` limbs, below p.
    ///   - p: the modulus, `n` limbs.
    ///   - negativeInverse: `-p⁻¹ mod 2^64`.
    ///   - scratch: `2n + 1` limbs of working space, overwritten.
    ///   - n: the limb count.
    @inline(__always)
    static func montgomeryMultiply(
        _ result: UnsafeMutablePointer<UInt64>,
        _ a: UnsafePointer<UInt64>,
        _ b: UnsafePointer<UInt64>,
        modulus p: UnsafePointer<UInt64>,
        negativeInverse: UInt64,
        scratch: UnsafeMutablePointer<UInt64>,
        limbCount n: Int
    ) {
        let m = scratch  // n reduction multipliers
        let t = scratch + n  // n + 1 words of the unreduced result
        var column = ColumnAccumulator()
        // Columns 0..<n: choose m[i] so that column i becomes zero.
        for i in 0..<n {
            for j in 0..<i {
                column.addProduct(a[j], b[i - j])
                column.addProduct(m[j], p[i - j])
            }
            column.addProduct(a[i], b[0])
            let multiplier = column.low &* negativeInverse
            m[i] = multiplier
            column.addProduct(multiplier, p[0])  // low word becomes zero
            column.shiftWord()
        }
        // Columns n..<2n: the words of (a·b + m·p) / R.
        for i in n..<(2 * n) {
            for j in (i - n + 1)..<n {
                column.addProduct(a[j], b[i - j])
                column.addProduct(m[j], p[i - j])
            }
            t[i - n] = column.low
            column.shiftWord()
        }
        t[n] = column.low
        subtractModulusIfNeeded(result, t, modulus: p, limbCount: n)
    }

    /// Sets `result = a² · R⁻¹ mod p`, fully reduced (< p); cheaper than
    /// ``montgomeryMultiply(_:_:_:modulus:negativeInverse:scratch:limbCount:)``.
    ///
    /// - Parameters:
    ///   - result: destination, `n` limbs; may alias `a`.
    ///   - a: `n` limbs, below p.
    ///   - p: the modulus, `n` limbs.
    ///   - negativeInverse: `-p⁻¹ mod 2^64`.
    ///   - scratch: `2n + 1` limbs of working space, overwritten.
    ///   - n: the limb count.
    @inline(__always)
    static func montgomerySquare(
        _ result: UnsafeMutablePointer<UInt64>,
        _ a: UnsafePointer<UInt64>,
        modulus p: UnsafePointer<UInt64>,
        negativeInverse: UInt64,
        scratch: UnsafeMutablePointer<UInt64>,
        limbCount n: Int
    ) {
        let m = scratch
        let t = scratch + n
        var column = ColumnAccumulator()
        for i in 0..<n {
            // a[j]·a[i−j] for j < i−j counts twice; the middle term a[i/2]² once.
            var cross = ColumnAccumulator()
            var j = 0
            var k = i
            while j < k {
                cross.addProduct(a[j], a[k])
                j += 1
                k -= 1
            }
            column.addTwice(cross)
            if j == k { column.addProduct(a[j], a[j]) }
            for j in 0..<i { column.addProduct(m[j], p[i - j]) }
            let multiplier = column.low &* negativeInverse
            m[i] = multiplier
            column.addProduct(multiplier, p[0])
            column.shiftWord()
        }
        for i in n..<(2 * n) {
            var cross = ColumnAccumulator()
            var j = i - n + 1
            var k = n - 1
            while j < k {
                cross.addProduct(a[j], a[k])
                j += 1
                k -= 1
            }
            column.addTwice(cross)
            if j == k { column.addProduct(a[j], a[j]) }
            for j in (i - n + 1)..<n { column.addProduct(m[j], p[i - j]) }
            t[i - n] = column.low
            column.shiftWord()
        }
        t[n] = column.low
        subtractModulusIfNeeded(result, t, modulus: p, limbCount: n)
    }

    /// Sets `result = t − p` when `t ≥ p`, else `t`, choosing by mask rather than branch.
    ///
    /// - Parameters:
    ///   - result: destination, `n` limbs.
    ///   - t: `n + 1` limbs, below 2p.
    ///   - p: the modulus, `n` limbs.
    ///   - n: the limb count.
    @inline(__always)
    static func subtractModulusIfNeeded(
        _ result: UnsafeMutablePointer<UInt64>,
        _ t: UnsafePointer<UInt64>,
        modulus p: UnsafePointer<UInt64>,
        limbCount n: Int
    ) {
        var borrow: UInt64 = 0
        for j in 0..<n {
            let difference = ColumnAccumulator.wide(t[j]) &- ColumnAccumulator.wide(p[j]) &- ColumnAccumulator.wide(borrow)
            result[j] = difference._low
            borrow = difference._high & 1
        }
        // Keep t when it has no top word and the subtraction borrowed, that is when t < p.
        let keepMask = valueBarrier(0 &- ((1 &- t[n]) & borrow))
        for j in 0..<n {
            result[j] = (t[j] & keepMask) | (result[j] & ~keepMask)
        }
    }

    /// Copies entry `index` of a table of `entries` values of `n` limbs into `destination`,
    /// reading every entry so that the memory access pattern does not depend on `index`.
    @inline(__always)
    static func constantTimeSelect(
        _ destination: UnsafeMutablePointer<UInt64>,
        from table: UnsafePointer<UInt64>,
        entries: Int,
        index: UInt64,
        limbCount n: Int
    ) {
        destination.update(repeating: 0, count: n)
        for entry in 0..<entries {
            // All ones when entry == index, else zero, without a comparison.
            let difference = UInt64(truncatingIfNeeded: entry) ^ index
            let mask = valueBarrier(((difference | (0 &- difference)) >> 63) &- 1)
            let row = table + entry * n
            for j in 0..<n {
                destination[j] |= row[j] & mask
            }
        }
    }
}
