/// A complete D-Bus type, as written in a signature.
///
/// `DBusType` is the parsed form of one complete type in a ``DBusSignature``: `s`, `ay`,
/// `a{sv}`, `(oayays)` and so on. Parsing enforces the specification's rules (dictionary keys
/// are basic types, dictionary entries appear only inside arrays, structs are not empty, nesting
/// stays within 32 arrays and 32 structs), so a `DBusType` can always be handed to libdbus.
public indirect enum DBusType: Sendable, Hashable {
    case byte, boolean, int16, uint16, int32, uint32, int64, uint64, double
    case string, objectPath, signature, unixFD
    case variant
    /// `aT`: an array whose elements have the given type.
    case array(DBusType)
    /// `a{KV}`: a dictionary; `key` is a basic type.
    case dictionary(key: DBusType, value: DBusType)
    /// `(T...)`: a struct of one or more fields.
    case structure([DBusType])

    /// The signature text of this type (`"a{sv}"`).
    public var signature: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .byte: out += "y"
        case .boolean: out += "b"
        case .int16: out += "n"
        case .uint16: out += "q"
        case .int32: out += "i"
        case .uint32: out += "u"
        case .int64: out += "x"
        case .uint64: out += "t"
        case .double: out += "d"
        case .string: out += "s"
        case .objectPath: out += "o"
        case .signature: out += "g"
        case .unixFD: out += "h"
        case .variant: out += "v"
        case .array(let element):
            out += "a"
            element.write(to: &out)
        case .dictionary(let key, let value):
            out += "a{"
            key.write(to: &out)
            value.write(to: &out)
            out += "}"
        case .structure(let fields):
            out += "("
            for field in fields { field.write(to: &out) }
            out += ")"
        }
    }

    /// Whether this is a basic (non-container) type, the only kind allowed as a dictionary key.
    public var isBasic: Bool {
        switch self {
        case .variant, .array, .dictionary, .structure: return false
        default: return true
        }
    }

    /// Parses a signature into its complete types.
    /// - Throws: ``DBusError`` with code `.invalidArgument` when the text is not a valid signature.
    public static func parse(_ signature: String) throws(DBusError) -> [DBusType] {
        let bytes = Array(signature.utf8)
        guard bytes.count <= 255 else {
            throw DBusError(.invalidArgument, "signature longer than 255 bytes")
        }
        var parser = Parser(bytes: bytes)
        var types: [DBusType] = []
        while parser.index < bytes.count {
            types.append(try parser.completeType(arrayDepth: 0, structDepth: 0))
        }
        return types
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        func fail(_ reason: String) -> DBusError {
            DBusError(.invalidArgument, "invalid signature '\(String(decoding: bytes, as: UTF8.self))': \(reason)")
        }

        mutating func completeType(arrayDepth: Int, structDepth: Int) throws(DBusError) -> DBusType {
            guard index < bytes.count else { throw fail("ends inside a type") }
            let c = bytes[index]
            index += 1
            switch c {
            case UInt8(ascii: "y"): return .byte
            case UInt8(ascii: "b"): return .boolean
            case UInt8(ascii: "n"): return .int16
            case UInt8(ascii: "q"): return .uint16
            case UInt8(ascii: "i"): return .int32
            case UInt8(ascii: "u"): return .uint32
            case UInt8(ascii: "x"): return .int64
            case UInt8(ascii: "t"): return .uint64
            case UInt8(ascii: "d"): return .double
            case UInt8(ascii: "s"): return .string
            case UInt8(ascii: "o"): return .objectPath
            case UInt8(ascii: "g"): return .signature
            case UInt8(ascii: "h"): return .unixFD
            case UInt8(ascii: "v"): return .variant
            case UInt8(ascii: "a"):
                guard arrayDepth < 32 else { throw fail("more than 32 nested arrays") }
                if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
                    index += 1
                    let key = try completeType(arrayDepth: arrayDepth + 1, structDepth: structDepth)
                    guard key.isBasic else { throw fail("dictionary key must be a basic type") }
                    let value = try completeType(arrayDepth: arrayDepth + 1, structDepth: structDepth)
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "}") else {
                        throw fail("dictionary entry must have exactly two types")
                    }
                    index += 1
                    return .dictionary(key: key, value: value)
                }
                return .array(try completeType(arrayDepth: arrayDepth + 1, structDepth: structDepth))
            case UInt8(ascii: "("):
                guard structDepth < 32 else { throw fail("more than 32 nested structs") }
                var fields: [DBusType] = []
                while true {
                    guard index < bytes.count else { throw fail("unterminated struct") }
                    if bytes[index] == UInt8(ascii: ")") {
                        index += 1
                        break
                    }
                    fields.append(try completeType(arrayDepth: arrayDepth, structDepth: structDepth + 1))
                }
                guard !fields.isEmpty else { throw fail("empty struct") }
                return .structure(fields)
            default:
                throw fail("unexpected '\(Character(Unicode.Scalar(c)))'")
            }
        }
    }
}

extension DBusType: CustomStringConvertible {
    public var description: String { signature }
}
