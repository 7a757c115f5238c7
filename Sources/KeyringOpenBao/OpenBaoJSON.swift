#if OpenBao
import FoundationEssentials
import KeyringKit

/// The JSON of the API: requests written by hand (a few flat objects, so the secret goes
/// straight into the body's bytes), answers read with `JSONDecoder`.
enum OpenBaoJSON {
    /// A value of a request body.
    enum Value {
        case string(String)
        case int(Int)
        case strings([String])
        case object([(String, Value)])
    }

    /// The UTF-8 bytes of an object.
    static func encode(_ members: [(String, Value)]) -> [UInt8] {
        var out: [UInt8] = []
        write(.object(members), to: &out)
        return out
    }

    private static func write(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .string(let text): writeString(text, to: &out)
        case .int(let number): out += Array(String(number).utf8)
        case .strings(let texts):
            out.append(UInt8(ascii: "["))
            for (index, text) in texts.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(text, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (name, member)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(name, to: &out)
                out.append(UInt8(ascii: ":"))
                write(member, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case "\\": out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case "\n": out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case "\r": out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case "\t": out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case _ where scalar.value < 0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(scalar.value >> 4)], hex[Int(scalar.value & 15)]]
            default: out += Array(String(scalar).utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Decodes an answer.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// Base64 of bytes.
    static func base64(_ bytes: UnsafeRawBufferPointer) -> String {
        Data(bytes).base64EncodedString()
    }

    /// The bytes of base64 text, or `nil`.
    static func bytes(base64 text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }
}

/// A JSON value read only when it is a string (a secret's other fields may be anything).
struct LenientString: Decodable {
    let value: String?

    init(from decoder: any Decoder) throws {
        value = try? decoder.singleValueContainer().decode(String.self)
    }
}
#endif
