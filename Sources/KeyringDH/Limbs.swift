// Conversions and comparisons for fixed-width unsigned integers stored as little-endian
// arrays of 64-bit limbs (limb 0 is the least significant). Used by `MontgomeryModulus`
// and `DHGroup`; nothing here allocates.

/// Helpers for fixed-width integers held as little-endian `UInt64` limbs.
enum Limbs {
    /// The number of bytes of `bytes` after its leading zero bytes.
    ///
    /// - Parameter bytes: an unsigned big-endian integer.
    /// - Returns: the length of its minimal big-endian encoding (0 for zero).
    static func significantByteCount(_ bytes: UnsafeRawBufferPointer) -> Int {
        var start = 0
        while start < bytes.count && bytes[start] == 0 { start += 1 }
        return bytes.count - start
    }

    /// Loads an unsigned big-endian integer into `count` limbs, zero-filling the rest.
    ///
    /// - Parameters:
    ///   - bytes: the big-endian value; leading zero bytes are allowed, and only its last
    ///     `count * 8` bytes may be non-zero.
    ///   - limbs: destination of `count` limbs.
    ///   - count: the number of limbs to write.
    static func load(bigEndian bytes: UnsafeRawBufferPointer, into limbs: UnsafeMutablePointer<UInt64>, count: Int) {
        // Only an over-long input is scanned for leading zeros: an exponent that fits is loaded
        // without a loop whose length depends on its value.
        if bytes.count > count * 8 {
            precondition(significantByteCount(bytes) <= count * 8, "value wider than \(count) limbs")
        }
        limbs.update(repeating: 0, count: count)
        let used = min(bytes.count, count * 8)
        let last = bytes.count - 1
        for index in 0..<used {
            let byte = UInt64(bytes[last - index])
            limbs[index >> 3] |= byte << UInt64((index & 7) << 3)
        }
    }

    /// Stores `count` limbs as an unsigned big-endian integer of exactly `count * 8` bytes,
    /// left-padded with zeros.
    ///
    /// - Parameters:
    ///   - limbs: the value, `count` limbs.
    ///   - count: the number of limbs to read.
    ///   - bytes: destination; must hold exactly `count * 8` bytes.
    static func store(_ limbs: UnsafePointer<UInt64>, count: Int, bigEndianInto bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count == count * 8, "destination must hold exactly \(count * 8) bytes")
        let last = bytes.count - 1
        for index in 0..<bytes.count {
            bytes[last - index] = UInt8(truncatingIfNeeded: limbs[index >> 3] >> UInt64((index & 7) << 3))
        }
    }

    /// Compares two values of `count` limbs. Not constant-time: use on public values only.
    ///
    /// - Returns: a negative number, zero or a positive number as `a` is less than, equal to
    ///   or greater than `b`.
    static func compare(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, count: Int) -> Int {
        var index = count - 1
        while index >= 0 {
            if a[index] != b[index] { return a[index] < b[index] ? -1 : 1 }
            index -= 1
        }
        return 0
    }

    /// Whether a value of `count` limbs is greater than one. Not constant-time.
    static func isGreaterThanOne(_ a: UnsafePointer<UInt64>, count: Int) -> Bool {
        if a[0] > 1 { return true }
        for index in 1..<count where a[index] != 0 { return true }
        return false
    }
}
