/// The JSON of Docker's credential-helper protocol, without Foundation, the secret kept in bytes
/// the caller wipes.
///
/// `store` reads one object with the members `ServerURL`, `Username` and `Secret`, matched
/// without regard to case as Go's `encoding/json` matches them; other members are skipped, and
/// anything after the object is ignored, as docker-credential-helpers ignores it. `get` writes
/// the object compactly, escaped as Go escapes (`<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`).
struct DockerCredentialMessage {
    var serverURL = ""
    var username = ""
    /// The secret's bytes (UTF-8); wiped by ``wipe()``.
    var secret: [UInt8] = []

    /// Parses what `docker-credential-* store` reads on standard input.
    /// - Throws: ``CommandExit`` naming what is wrong, never what was sent.
    init(parsing bytes: [UInt8]) throws(CommandExit) {
        var parser = Parser(bytes: bytes)
        defer { parser.wipe() }
        try parser.skipSpace()
        try parser.expect(UInt8(ascii: "{"))
        try parser.skipSpace()
        if parser.peek() == UInt8(ascii: "}") { return }
        while true {
            try parser.skipSpace()
            var key = try parser.string()
            let name = String(decoding: key, as: UTF8.self).lowercased()
            key.wipe()
            try parser.skipSpace()
            try parser.expect(UInt8(ascii: ":"))
            try parser.skipSpace()
            switch name {
            case "serverurl", "username", "secret":
                if parser.peek() == UInt8(ascii: "n") {
                    try parser.literal("null")
                } else {
                    guard parser.peek() == UInt8(ascii: "\"") else {
                        throw CommandExit(.failure, "the member \(name) of the credentials is not a string")
                    }
                    var value = try parser.string()
                    if name == "secret" {
                        secret.wipe()
                        secret = value
                    } else {
                        guard let text = String(validating: value, as: UTF8.self) else {
                            throw CommandExit(.failure, "the \(name) sent is not valid UTF-8 (not shown)")
                        }
                        value.wipe()
                        if name == "serverurl" { serverURL = text } else { username = text }
                    }
                }
            default:
                try parser.skipValue(depth: 0)
            }
            try parser.skipSpace()
            if parser.peek() == UInt8(ascii: ",") {
                parser.index += 1
                continue
            }
            try parser.expect(UInt8(ascii: "}"))
            return
        }
    }

    /// Overwrites the secret.
    mutating func wipe() {
        secret.wipe()
        secret = []
    }

    /// `{"ServerURL":"...","Username":"...","Secret":"..."}` and a newline, in bytes the caller
    /// wipes.
    static func encode(serverURL: String, username: String, secret: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + serverURL.utf8.count + username.utf8.count + secret.count * 2)
        out += Array("{\"ServerURL\":".utf8)
        quote(Array(serverURL.utf8)[...], into: &out)
        out += Array(",\"Username\":".utf8)
        quote(Array(username.utf8)[...], into: &out)
        out += Array(",\"Secret\":".utf8)
        quote(secret.bindMemory(to: UInt8.self)[...], into: &out)
        out += Array("}\n".utf8)
        return out
    }

    /// `list`'s answer: `{"SERVER":"USER",...}` sorted by server, and a newline.
    static func encodeList(_ credentials: [(server: String, username: String)]) -> String {
        var out: [UInt8] = Array("{".utf8)
        var seen = Set<String>()
        for credential in credentials where seen.insert(credential.server).inserted {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            quote(Array(credential.server.utf8)[...], into: &out)
            out.append(UInt8(ascii: ":"))
            quote(Array(credential.username.utf8)[...], into: &out)
        }
        out += Array("}\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string as Go's encoder writes it; `bytes` must be UTF-8.
    private static func quote<Bytes: Collection<UInt8>>(_ bytes: Bytes, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var iterator = bytes.makeIterator()
        var pending: [UInt8] = []
        func unicode(_ value: UInt32) {
            out += Array("\\u".utf8)
            for shift in stride(from: 12, through: 0, by: -4) { out.append(hex[Int((value >> UInt32(shift)) & 0xF)]) }
        }
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"): unicode(UInt32(byte))
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
                pending = [byte]
                if let second = iterator.next() {
                    pending.append(second)
                    if second == 0x80, let third = iterator.next() {
                        pending.append(third)
                        if third == 0xA8 || third == 0xA9 {
                            unicode(third == 0xA8 ? 0x2028 : 0x2029)
                            pending.wipe()
                            pending = []
                            continue
                        }
                    }
                }
                out += pending
                pending.wipe()
                pending = []
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A reader over the input, just far enough to take the three strings out.
    private struct Parser {
        var bytes: [UInt8]
        var index = 0

        mutating func wipe() { bytes.wipe() }

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        static let malformed = CommandExit(.failure, "the credentials sent are not a JSON object (not shown)")

        mutating func skipSpace() throws(CommandExit) {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(CommandExit) {
            guard peek() == byte else { throw Self.malformed }
            index += 1
        }

        mutating func literal(_ word: String) throws(CommandExit) {
            for byte in word.utf8 { try expect(byte) }
        }

        /// A string's decoded UTF-8 bytes (escapes resolved; a lone surrogate becomes U+FFFD, as in Go).
        mutating func string() throws(CommandExit) -> [UInt8] {
            try expect(UInt8(ascii: "\""))
            var out: [UInt8] = []
            while true {
                guard let byte = peek() else {
                    out.wipe()
                    throw Self.malformed
                }
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return out
                case 0x00..<0x20:
                    out.wipe()
                    throw Self.malformed
                case UInt8(ascii: "\\"):
                    guard let escape = peek() else {
                        out.wipe()
                        throw Self.malformed
                    }
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else {
                            out.wipe()
                            throw Self.malformed
                        }
                        if (0xD800..<0xDC00).contains(scalar), peek() == UInt8(ascii: "\\"),
                            index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u")
                        {
                            let saved = index
                            index += 2
                            if let low = hex4(), (0xDC00..<0xE000).contains(low) {
                                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                index = saved
                            }
                        }
                        let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                        out += Array(String(value).utf8)
                    default:
                        out.wipe()
                        throw Self.malformed
                    }
                default: out.append(byte)
                }
            }
        }

        private mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for byte in bytes[index..<(index + 4)] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }

        /// Skips any JSON value (a member docker-credential-keyring does not use).
        mutating func skipValue(depth: Int) throws(CommandExit) {
            guard depth < 64 else { throw Self.malformed }
            try skipSpace()
            switch peek() {
            case UInt8(ascii: "\""):
                var skipped = try string()
                skipped.wipe()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = peek() == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                let isObject = close == UInt8(ascii: "}")
                index += 1
                try skipSpace()
                if peek() == close {
                    index += 1
                    return
                }
                while true {
                    if isObject {
                        try skipSpace()
                        var key = try string()
                        key.wipe()
                        try skipSpace()
                        try expect(UInt8(ascii: ":"))
                    }
                    try skipValue(depth: depth + 1)
                    try skipSpace()
                    if peek() == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect(close)
                    return
                }
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte):
                index += 1
                while let next = peek(),
                    (0x30...0x39).contains(next)
                        || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")]
                            .contains(next)
                {
                    index += 1
                }
            default: throw Self.malformed
            }
        }
    }
}
