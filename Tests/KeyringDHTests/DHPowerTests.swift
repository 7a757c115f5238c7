// Our Montgomery exponentiation against an independent one: Python's pow(b, e, p).

@testable import KeyringDH
import KeyringSystem
import TestSupport
import Testing

@Suite("modular exponentiation against Python's pow")
struct DHPowerTests {
    /// Random cases per group. Most exponents are short, to keep the debug-build test quick
    /// while still driving every multiplication with fresh random operands; one in sixteen is
    /// full-size.
    static let randomCases = 2000

    /// Edge-case bases and exponents, combined pairwise.
    static func edgeCases(_ group: DHGroup) -> [ModPowInput] {
        let p = group.prime
        let width = group.primeByteCount
        var generator = SystemRandomNumberGenerator()
        let bases: [[UInt8]] = [
            [], [0], [1], [2], [3], adding(-1, to: p), adding(-2, to: p), p, adding(1, to: p),
            [UInt8](repeating: 0xff, count: width),  // 2^(8·width) − 1 > p
            [0, 0, 0] + randomBytes(width, using: &generator),  // leading zeros
            randomBytes(width - 1, using: &generator),
        ]
        let exponents: [[UInt8]] = [
            [], [0], [1], [2], [31], [32], [0xff, 0xff],
            adding(-1, to: p), adding(-2, to: p), p,
            [UInt8](repeating: 0xff, count: width),
            [UInt8](repeating: 0, count: 7) + [5],  // leading zeros, one window
            randomBytes(width + 72, using: &generator),  // wider than the prime
            randomBytes(1 + Int.random(in: 0..<40, using: &generator), using: &generator),
        ]
        return bases.flatMap { base in exponents.map { ModPowInput(modulus: p, base: base, exponent: $0) } }
    }

    /// `randomCases` random bases below 2^(8·width) and random exponents.
    static func randomInputs(_ group: DHGroup) -> [ModPowInput] {
        var generator = SystemRandomNumberGenerator()
        let width = group.primeByteCount
        return (0..<randomCases).map { index in
            let base = randomBytes(width, using: &generator)
            let exponentLength = index % 16 == 0 ? width : Int.random(in: 0...24, using: &generator)
            return ModPowInput(modulus: group.prime, base: base, exponent: randomBytes(exponentLength, using: &generator))
        }
    }

    @Test("edge cases and random pairs agree with pow(b, e, p)", arguments: [DHGroup.ietf1024, DHGroup.modp1536])
    func agreesWithPython(group: DHGroup) throws {
        let inputs = Self.edgeCases(group) + Self.randomInputs(group)
        let expected = try pythonModPow(inputs)
        try #require(expected.count == inputs.count)
        var mismatches = 0
        for (input, want) in zip(inputs, expected) {
            let got = group.power(base: input.base, exponent: input.exponent)
            #expect(got.count == group.primeByteCount)
            if got != want {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record(
                        """
                        \(group.name): \(hexString(input.base))^\(hexString(input.exponent)) mod p
                        got  \(hexString(got))
                        want \(hexString(want))
                        """)
                }
            }
        }
        #expect(mismatches == 0, "\(mismatches) of \(inputs.count) results differ from Python")
    }

    /// Moduli that send the arithmetic down its other paths: 16 limbs without p ≡ −1 (mod 2^64)
    /// use the generic loops, a random 16-limb modulus with p ≡ −1 uses the unrolled kernels
    /// with other constants, and 8 limbs the generic loops at another width.
    static func otherModuli() -> [DHGroup] {
        var generator = SystemRandomNumberGenerator()
        func modulus(bytes: Int, lowLimbAllOnes: Bool) -> [UInt8] {
            var value = randomBytes(bytes, using: &generator)
            value[0] |= 0x80
            value[bytes - 1] |= 1
            if lowLimbAllOnes {
                for index in (bytes - 8)..<bytes { value[index] = 0xff }
            } else {
                value[bytes - 2] &= 0x7f  // low limb not all ones
            }
            return value
        }
        return [
            DHGroup(name: "random1024-generic", prime: modulus(bytes: 128, lowLimbAllOnes: false), generator: 2),
            DHGroup(name: "random1024-kernels", prime: modulus(bytes: 128, lowLimbAllOnes: true), generator: 2),
            DHGroup(name: "random512", prime: modulus(bytes: 64, lowLimbAllOnes: false), generator: 2),
        ]
    }

    @Test("other odd moduli agree with pow(b, e, p) too")
    func otherModuliAgreeWithPython() throws {
        var inputs: [(DHGroup, ModPowInput)] = []
        var generator = SystemRandomNumberGenerator()
        for group in Self.otherModuli() {
            for input in Self.edgeCases(group) { inputs.append((group, input)) }
            for index in 0..<300 {
                let exponentLength = index % 16 == 0 ? group.primeByteCount : Int.random(in: 0...24, using: &generator)
                let input = ModPowInput(
                    modulus: group.prime, base: randomBytes(group.primeByteCount, using: &generator),
                    exponent: randomBytes(exponentLength, using: &generator))
                inputs.append((group, input))
            }
        }
        let expected = try pythonModPow(inputs.map(\.1))
        try #require(expected.count == inputs.count)
        var mismatches: [String: Int] = [:]
        for ((group, input), want) in zip(inputs, expected)
        where group.power(base: input.base, exponent: input.exponent) != want {
            mismatches[group.name, default: 0] += 1
        }
        #expect(mismatches.isEmpty, "results that differ from Python, by modulus: \(mismatches)")
    }

    @Test("powers of the generator (the key pair's shortcut) agree with pow(2, e, p)")
    func powersOfTheGeneratorAgreeWithPython() throws {
        var generator = SystemRandomNumberGenerator()
        var inputs: [(DHGroup, ModPowInput)] = []
        for group in [DHGroup.ietf1024, DHGroup.modp1536] + Self.otherModuli() {
            #expect(group.generator == 2)
            // The edge-case exponents: empty, zero, one, p − 1, wider than the prime, ...
            let exponents = Set(Self.edgeCases(group).map(\.exponent))
            for exponent in exponents { inputs.append((group, ModPowInput(modulus: group.prime, base: [2], exponent: exponent))) }
            for index in 0..<200 {
                let length = index % 4 == 0 ? group.primeByteCount : Int.random(in: 0...24, using: &generator)
                inputs.append(
                    (
                        group,
                        ModPowInput(
                            modulus: group.prime, base: [2], exponent: randomBytes(length, using: &generator))
                    ))
            }
        }
        let expected = try pythonModPow(inputs.map(\.1))
        try #require(expected.count == inputs.count)
        var mismatches: [String: Int] = [:]
        for ((group, input), want) in zip(inputs, expected) {
            var got = [UInt8](repeating: 0, count: group.primeByteCount)
            input.exponent.withUnsafeBytes { exponent in
                got.withUnsafeMutableBytes { group.powerOfGenerator(exponent: exponent, into: $0) }
            }
            if got != want { mismatches[group.name, default: 0] += 1 }
        }
        #expect(mismatches.isEmpty, "powers of 2 that differ from Python, by modulus: \(mismatches)")
    }

    @Test("a few values worked by hand", arguments: [DHGroup.ietf1024, DHGroup.modp1536])
    func smallValues(group: DHGroup) {
        let width = group.primeByteCount
        #expect(group.power(base: [2], exponent: [10]) == leftPadded([0x04, 0x00], to: width))
        #expect(group.power(base: [0], exponent: []) == leftPadded([1], to: width))  // 0^0 = 1
        #expect(group.power(base: [0], exponent: [3]) == [UInt8](repeating: 0, count: width))
        // Fermat: a^(p−1) = 1 for a not divisible by p.
        #expect(group.power(base: [7], exponent: adding(-1, to: group.prime)) == leftPadded([1], to: width))
        // (p − 1)^2 = 1.
        #expect(group.power(base: adding(-1, to: group.prime), exponent: [2]) == leftPadded([1], to: width))
    }
}
