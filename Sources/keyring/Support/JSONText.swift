/// Just enough JSON for `--output json`, without Foundation: objects of strings, booleans and
/// integers and arrays, written the way Python's `json.dumps` writes them (`", "` and `": "` between items,
/// non-ASCII as `\uXXXX`), so output matches Python keyring's byte for byte.
enum JSONValue {
    case string(String)
    case bool(Bool)
    case integer(Int)
    case array([JSONValue])
    /// Keys in the order given.
    case object([(String, JSONValue)])

    /// The JSON text.
    var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .string(let value): Self.quote(value, into: &out)
        case .bool(let value): out += value ? "true" : "false"
        case .integer(let value): out += String(value)
        case .array(let values):
            out += "["
            for (index, value) in values.enumerated() {
                if index > 0 { out += ", " }
                value.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += ", " }
                Self.quote(key, into: &out)
                out += ": "
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static let hex: [Character] = Array("0123456789abcdef")

    private static func quote(_ value: String, into out: inout String) {
        out += "\""
        for unit in value.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                out += "\\u"
                for shift in stride(from: 12, through: 0, by: -4) {
                    out.append(hex[Int((unit >> UInt16(shift)) & 0xF)])
                }
            }
        }
        out += "\""
    }
}
