// Hexadecimal helpers for the crypto tests.

/// Lower-case hexadecimal of `bytes`.
public func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// The bytes of an even-length hexadecimal string, or `nil` if it is not one.
public func bytes(fromHex hex: some StringProtocol) -> [UInt8]? {
    let utf8 = Array(hex.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(utf8.count / 2)
    var index = 0
    while index < utf8.count {
        guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
        out.append(high << 4 | low)
        index += 2
    }
    return out
}

/// `value` with its leading zero bytes removed.
public func strippingLeadingZeros(_ value: [UInt8]) -> [UInt8] {
    Array(value.drop(while: { $0 == 0 }))
}

/// `value` left-padded with zeros to `width` bytes (unchanged if already that long or longer).
public func leftPadded(_ value: [UInt8], to width: Int) -> [UInt8] {
    [UInt8](repeating: 0, count: max(0, width - value.count)) + value
}

/// Unsigned big-endian `value + delta` for a small signed delta, same width plus a carry byte
/// when it overflows; the tests use it to build p − 2, p − 1, p + 1 and friends.
public func adding(_ delta: Int, to value: [UInt8]) -> [UInt8] {
    var result = value
    var carry = delta
    var index = result.count - 1
    while carry != 0 && index >= 0 {
        let sum = Int(result[index]) + carry
        result[index] = UInt8(truncatingIfNeeded: sum)
        carry = sum >> 8  // arithmetic shift: -1 for a borrow
        index -= 1
    }
    if carry > 0 { result.insert(UInt8(carry), at: 0) }
    return result
}

/// `count` bytes from `generator`.
public func randomBytes(_ count: Int, using generator: inout some RandomNumberGenerator) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
