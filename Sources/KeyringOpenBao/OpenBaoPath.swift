#if OpenBao
/// How service and account names become KV paths: one path segment each, so any name
/// round-trips (the server decodes `%2F` into `/` and collapses `//`, so a raw `/` would nest).
///
/// A segment is the name with `%` and `/` written `%25` and `%2F`, a leading `.` as `%2E` (no
/// `.` or `..` segment), and the empty name as `%` alone (a `%` never stands alone otherwise).
/// Everything else is kept: `api.example.com/alice` is stored as such, which is what other
/// tools expect. The server stores these characters literally; on the wire, each segment is
/// percent-encoded once more (``urlEncoded(_:)``).
enum OpenBaoPath {
    /// The segment for a name.
    static func segment(_ name: String) -> String {
        if name.isEmpty { return "%" }
        var segment = ""
        for (index, character) in name.enumerated() {
            switch character {
            case "%": segment += "%25"
            case "/": segment += "%2F"
            case "." where index == 0: segment += "%2E"
            default: segment.append(character)
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
            let code = String(decoding: utf8.prefix(2), as: UTF8.self).uppercased()
            utf8 = utf8.dropFirst(2)
            switch code {
            case "25": bytes.append(UInt8(ascii: "%"))
            case "2F": bytes.append(UInt8(ascii: "/"))
            case "2E" where bytes.isEmpty: bytes.append(UInt8(ascii: "."))
            default: return nil
            }
        }
        return String(validating: bytes, as: UTF8.self)
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
                let hex = Array("0123456789ABCDEF".utf8)
                encoded += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return encoded
    }
}
#endif
