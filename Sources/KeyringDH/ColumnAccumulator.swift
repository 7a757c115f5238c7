// The three-word accumulator of product-scanning (column-wise) multiplication.

/// A 192-bit unsigned accumulator (`low`, `middle`, `high` words) for summing the 128-bit
/// products of one column of a multi-precision product.
///
/// The additions go through `UInt128`, which optimised builds turn into `add`/`adc` chains
/// with no branches on the values. `UInt128` is built and split with its `_low`/`_high`
/// members because they are `@_transparent`: the generic integer conversions would make the
/// debug build (the test suite) some 25 times slower.
struct ColumnAccumulator {
    /// Bits 0–63.
    var low: UInt64 = 0
    /// Bits 64–127.
    var middle: UInt64 = 0
    /// Bits 128–191.
    var high: UInt64 = 0

    /// Adds the full 128-bit product `x · y`.
    @_transparent
    mutating func addProduct(_ x: UInt64, _ y: UInt64) {
        let product = x.multipliedFullWidth(by: y)
        add(low: product.low, middle: product.high, high: 0)
    }

    /// Adds `2 · other`. `other` must be below 2^191.
    @_transparent
    mutating func addTwice(_ other: ColumnAccumulator) {
        add(
            low: other.low << 1,
            middle: (other.middle << 1) | (other.low >> 63),
            high: (other.high << 1) | (other.middle >> 63))
    }

    /// Adds a three-word value; the sum must stay below 2^192.
    @_transparent
    mutating func add(low addLow: UInt64, middle addMiddle: UInt64, high addHigh: UInt64) {
        let lowSum = Self.wide(low) &+ Self.wide(addLow)
        let middleSum = Self.wide(middle) &+ Self.wide(addMiddle) &+ Self.wide(lowSum._high)
        low = lowSum._low
        middle = middleSum._low
        high = high &+ addHigh &+ middleSum._high
    }

    /// Divides by 2^64, dropping the low word: moves on to the next column.
    @_transparent
    mutating func shiftWord() {
        low = middle
        middle = high
        high = 0
    }

    /// `word` zero-extended to 128 bits.
    @_transparent
    static func wide(_ word: UInt64) -> UInt128 {
        UInt128(_low: word, _high: 0)
    }
}
