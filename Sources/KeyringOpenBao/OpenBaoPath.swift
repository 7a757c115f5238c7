#if OpenBao
/// How service and account names become KV paths: one path segment each, so any name
/// round-trips (the server decodes `%2F` into `/` and collapses `//`, so a raw `/` would nest,
/// and it refuses a path with a character Go does not call printable, such as a zero-width
/// joiner or a no-break space, with 400).
///
/// A segment is the name with `%` and `/` written `%25` and `%2F`, a leading `.` as `%2E` (no
/// `.` or `..` segment), every character that is not a letter, mark, number, punctuation,
/// symbol or the ASCII space as the `%XX` of its UTF-8 bytes, and the empty name as `%` alone (a
/// `%` never stands alone otherwise). Everything else is kept: `api.example.com/alice` is stored
/// as such, which is what other tools expect. The server stores these characters literally; on
/// the wire, each segment is percent-encoded once more (``urlEncoded(_:)``).
enum OpenBaoPath {
    /// The segment for a name.
    static func segment(_ name: String) -> String {
        if name.isEmpty { return "%" }
        var segment = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            switch scalar {
            case "%": segment += "%25"
            case "/": segment += "%2F"
            case "." where index == 0: segment += "%2E"
            case " ": segment.unicodeScalars.append(scalar)
            default:
                if isPrintable(scalar) {
                    segment.unicodeScalars.append(scalar)
                } else {
                    for byte in String(scalar).utf8 { segment += hex(byte) }
                }
            }
        }
        return segment
    }

    /// The name of a segment, or `nil` when it is not one ``segment(_:)`` makes.
    static func name(_ segment: String) -> String? {
        if segment == "%" { return "" }
        var bytes: [UInt8] = []
        var utf8 = segment.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16), utf8.count >= 2 else {
                return nil
            }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        guard let name = String(validating: bytes, as: UTF8.self), self.segment(name) == segment else { return nil }
        return name
    }

    /// Go's `unicode.IsGraphic` without the spaces: letters, marks, numbers, punctuation, symbols.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
            .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return true
        default:
            return false
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return "%" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
    }

    /// Percent-encodes a path for the request URL: every byte but the unreserved ones
    /// (`A-Z a-z 0-9 - . _ ~`) and `/`.
    static func urlEncoded(_ path: String) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += hex(byte)
            }
        }
        return encoded
    }
}
#endif
