// Modular exponentiation: fixed 5-bit windows, left to right, with a constant-time table
// lookup; and powers of two (public keys) by squaring and masked doubling. The sequence of
// operations depends only on the exponent's length in bytes, never on its value.

internal import KeyringSystem

extension MontgomeryModulus {
    /// Bits per exponent window.
    static let windowBits = 5
    /// Entries of the precomputed table: base⁰ … base³¹ in Montgomery form.
    static let tableEntries = 1 << windowBits

    /// Computes `base^exponent mod p` and writes it big-endian, left-padded to ``byteCount``.
    ///
    /// Allocates one working buffer per call, wiped before it is freed; nothing inside the
    /// loop allocates.
    ///
    /// - Parameters:
    ///   - base: unsigned big-endian, any length; its value must fit in ``byteCount`` bytes
    ///     (leading zero bytes are fine). Values ≥ p are reduced.
    ///   - exponent: unsigned big-endian, any length (empty means zero). Its length, not its
    ///     value, decides the running time.
    ///   - result: destination of exactly ``byteCount`` bytes.
    func power(base: UnsafeRawBufferPointer, exponent: UnsafeRawBufferPointer, into result: UnsafeMutableRawBufferPointer) {
        precondition(result.count == byteCount, "result must hold exactly \(byteCount) bytes")
        let n = limbCount
        let exponentLimbs = max((exponent.count + 7) / 8, 1)
        let tableLimbs = Self.tableEntries * n
        // table | accumulator | operand | scratch (2n + 1) | base | exponent
        let workspace = Self.workspace(limbs: tableLimbs + n + n + (2 * n + 1) + n + exponentLimbs)
        defer { Self.release(workspace) }
        let table = workspace.baseAddress!
        let accumulator = table + tableLimbs
        let operand = accumulator + n
        let scratch = operand + n
        let baseLimbs = scratch + 2 * n + 1
        let exponentWords = baseLimbs + n

        Limbs.load(bigEndian: base, into: baseLimbs, count: n)
        Limbs.load(bigEndian: exponent, into: exponentWords, count: exponentLimbs)
        powerLoop(
            base: baseLimbs, exponent: exponentWords, exponentBits: exponent.count * 8,
            exponentLimbs: exponentLimbs, table: table, accumulator: accumulator,
            operand: operand, scratch: scratch)
        Limbs.store(accumulator, count: n, bigEndianInto: result)
    }

    /// The exponentiation proper; leaves the plain (non-Montgomery) result in `accumulator`.
    ///
    /// - Parameters:
    ///   - base: `limbCount` limbs, below R.
    ///   - exponent: `exponentLimbs` little-endian limbs.
    ///   - exponentBits: how many low bits of `exponent` to process; decides the running time.
    ///   - table: ``tableEntries`` × `limbCount` limbs of working space.
    ///   - accumulator: `limbCount` limbs; receives the result.
    ///   - operand: `limbCount` limbs of working space.
    ///   - scratch: `2 · limbCount + 1` limbs of working space.
    private func powerLoop(
        base: UnsafePointer<UInt64>,
        exponent: UnsafePointer<UInt64>,
        exponentBits: Int,
        exponentLimbs: Int,
        table: UnsafeMutablePointer<UInt64>,
        accumulator: UnsafeMutablePointer<UInt64>,
        operand: UnsafeMutablePointer<UInt64>,
        scratch: UnsafeMutablePointer<UInt64>
    ) {
        let n = limbCount
        let w = Self.windowBits
        let entries = Self.tableEntries

        // table[i] = base^i · R mod p.
        table.update(from: one, count: n)
        multiply(table + n, base, rSquared, scratch: scratch)
        for entry in 2..<entries {
            multiply(table + entry * n, table + (entry - 1) * n, table + n, scratch: scratch)
        }

        // The w-bit window starting at bit `position`; branches on the position only.
        func window(at position: Int) -> UInt64 {
            let limb = position >> 6
            let shift = position & 63
            var bits = exponent[limb] >> UInt64(shift)
            if shift > 64 - w && limb + 1 < exponentLimbs {
                bits |= exponent[limb + 1] << UInt64(64 - shift)
            }
            return bits & UInt64(entries - 1)
        }

        let windows = (exponentBits + w - 1) / w
        if windows == 0 {
            accumulator.update(from: one, count: n)
        } else {
            Self.constantTimeSelect(
                accumulator, from: table, entries: entries,
                index: window(at: (windows - 1) * w), limbCount: n)
            var index = windows - 2
            while index >= 0 {
                for _ in 0..<w {
                    square(accumulator, accumulator, scratch: scratch)
                }
                Self.constantTimeSelect(operand, from: table, entries: entries, index: window(at: index * w), limbCount: n)
                multiply(accumulator, accumulator, operand, scratch: scratch)
                index -= 1
            }
        }

        // Leave Montgomery form: multiply by plain 1.
        operand.update(repeating: 0, count: n)
        operand[0] = 1
        multiply(accumulator, accumulator, operand, scratch: scratch)
    }
}

extension MontgomeryModulus {
    /// Computes `2^exponent mod p` and writes it big-endian, left-padded to ``byteCount``: what
    /// ``power(base:exponent:into:)`` computes for base 2, the generator of every group here.
    ///
    /// Left to right, one exponent bit at a time: a squaring, then a doubling (a shift and a
    /// subtraction of p) kept or dropped by a mask of the bit. A doubling costs a few percent of
    /// a multiplication, so this takes about three quarters of the windowed exponentiation's
    /// time, with no table. As there, the sequence of operations depends only on the exponent's
    /// length in bytes, never on its value.
    ///
    /// - Parameters:
    ///   - exponent: unsigned big-endian, any length (empty means zero).
    ///   - result: destination of exactly ``byteCount`` bytes.
    func powerOfTwo(exponent: UnsafeRawBufferPointer, into result: UnsafeMutableRawBufferPointer) {
        precondition(result.count == byteCount, "result must hold exactly \(byteCount) bytes")
        let n = limbCount
        let exponentLimbs = max((exponent.count + 7) / 8, 1)
        // accumulator | doubled (n + 1) | reduced | scratch (2n + 1) | exponent
        let workspace = Self.workspace(limbs: n + (n + 1) + n + (2 * n + 1) + exponentLimbs)
        defer { Self.release(workspace) }
        let accumulator = workspace.baseAddress!
        let doubled = accumulator + n
        let reduced = doubled + n + 1
        let scratch = reduced + n
        let exponentWords = scratch + 2 * n + 1
        Limbs.load(bigEndian: exponent, into: exponentWords, count: exponentLimbs)

        accumulator.update(from: one, count: n)  // 1, in Montgomery form
        var position = exponent.count * 8 - 1
        while position >= 0 {
            square(accumulator, accumulator, scratch: scratch)
            // reduced = 2 · accumulator mod p; below 2p before the subtraction.
            var carry: UInt64 = 0
            for j in 0..<n {
                let word = accumulator[j]
                doubled[j] = (word << 1) | carry
                carry = word >> 63
            }
            doubled[n] = carry
            Self.subtractModulusIfNeeded(reduced, doubled, modulus: modulus, limbCount: n)
            // All ones when the exponent bit is set.
            let bit = (exponentWords[position >> 6] >> UInt64(position & 63)) & 1
            let keepDoubled = valueBarrier(0 &- bit)
            for j in 0..<n {
                accumulator[j] = (reduced[j] & keepDoubled) | (accumulator[j] & ~keepDoubled)
            }
            position -= 1
        }

        // Leave Montgomery form: multiply by plain 1.
        reduced.update(repeating: 0, count: n)
        reduced[0] = 1
        multiply(accumulator, accumulator, reduced, scratch: scratch)
        Limbs.store(accumulator, count: n, bigEndianInto: result)
    }
}

extension MontgomeryModulus {
    /// Zeroed working space for one exponentiation; give it back with ``release(_:)``.
    static func workspace(limbs count: Int) -> UnsafeMutableBufferPointer<UInt64> {
        let workspace = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: count)
        workspace.initialize(repeating: 0)
        return workspace
    }

    /// Wipes and frees working space from ``workspace(limbs:)``: it held secret intermediates.
    static func release(_ workspace: UnsafeMutableBufferPointer<UInt64>) {
        Sodium.wipe(UnsafeMutableRawBufferPointer(workspace))
        workspace.deallocate()
    }
}
