// Modular exponentiation: fixed 5-bit windows, left to right, with a constant-time table
// lookup. The sequence of squarings and multiplications depends only on the exponent's
// length in bytes, never on its value.

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
        let workspaceCount = tableLimbs + n + n + (2 * n + 1) + n + exponentLimbs
        let workspace = UnsafeMutablePointer<UInt64>.allocate(capacity: workspaceCount)
        workspace.initialize(repeating: 0, count: workspaceCount)
        defer {
            Sodium.wipe(UnsafeMutableRawBufferPointer(start: workspace, count: workspaceCount * 8))
            workspace.deallocate()
        }
        let table = workspace
        let accumulator = table + tableLimbs
        let operand = accumulator + n
        let scratch = operand + n
        let baseLimbs = scratch + 2 * n + 1
        let exponentWords = baseLimbs + n

        Limbs.load(bigEndian: base, into: baseLimbs, count: n)
        Limbs.load(bigEndian: exponent, into: exponentWords, count: exponentLimbs)
        powerLoop(base: baseLimbs, exponent: exponentWords, exponentBits: exponent.count * 8,
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
            Self.constantTimeSelect(accumulator, from: table, entries: entries,
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
