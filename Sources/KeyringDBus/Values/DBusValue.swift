/// One D-Bus value of any type, in both directions.
///
/// Containers carry their element types so that empty arrays and dictionaries keep a signature.
/// Byte arrays (`ay`) are `.bytes`, one contiguous buffer: secrets travel this way. Decoding
/// always produces `.bytes` for `ay`; encoding also accepts `.array(.byte, ...)`.
public indirect enum DBusValue: Sendable, Hashable {
    case byte(UInt8)
    case boolean(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(DBusObjectPath)
    case signature(DBusSignature)
    /// A Unix file descriptor (`h`). A received descriptor is a new one owned by the receiver,
    /// who must close it.
    case unixFD(Int32)
    /// `ay`, contiguous.
    case bytes([UInt8])
    /// `aT`: elements, each of the given element type.
    case array(DBusType, [DBusValue])
    /// `a{KV}`: entries in wire order.
    case dictionary(key: DBusType, value: DBusType, [DBusDictionaryEntry])
    /// `(...)`: one or more fields.
    case structure([DBusValue])
    /// `v`: a value that carries its own type.
    case variant(DBusValue)

    /// The type of this value.
    public var type: DBusType {
        switch self {
        case .byte: return .byte
        case .boolean: return .boolean
        case .int16: return .int16
        case .uint16: return .uint16
        case .int32: return .int32
        case .uint32: return .uint32
        case .int64: return .int64
        case .uint64: return .uint64
        case .double: return .double
        case .string: return .string
        case .objectPath: return .objectPath
        case .signature: return .signature
        case .unixFD: return .unixFD
        case .bytes: return .array(.byte)
        case .array(let element, _): return .array(element)
        case .dictionary(let key, let value, _): return .dictionary(key: key, value: value)
        case .structure(let fields): return .structure(fields.map(\.type))
        case .variant: return .variant
        }
    }
}

/// One entry of a ``DBusValue/dictionary(key:value:_:)``.
public struct DBusDictionaryEntry: Sendable, Hashable {
    public var key: DBusValue
    public var value: DBusValue

    public init(key: DBusValue, value: DBusValue) {
        self.key = key
        self.value = value
    }
}

// MARK: - Building common shapes

extension DBusValue {
    /// `a{ss}` from a Swift dictionary, with keys sorted so the wire form is deterministic.
    public static func stringDictionary(_ dictionary: [String: String]) -> DBusValue {
        .dictionary(
            key: .string, value: .string,
            dictionary.sorted { $0.key < $1.key }.map { DBusDictionaryEntry(key: .string($0.key), value: .string($0.value)) })
    }

    /// `a{sv}` from a Swift dictionary; each value is wrapped in a variant.
    public static func variantDictionary(_ dictionary: [String: DBusValue]) -> DBusValue {
        .dictionary(
            key: .string, value: .variant,
            dictionary.sorted { $0.key < $1.key }.map { DBusDictionaryEntry(key: .string($0.key), value: .variant($0.value)) })
    }

    /// `ao`.
    public static func objectPaths(_ paths: [DBusObjectPath]) -> DBusValue {
        .array(.objectPath, paths.map { .objectPath($0) })
    }

    /// `as`.
    public static func strings(_ strings: [String]) -> DBusValue {
        .array(.string, strings.map { .string($0) })
    }
}

// MARK: - Reading values with type checks

extension DBusValue {
    private func mismatch(_ expected: String) -> DBusError {
        DBusError(.typeMismatch, "expected a value of type '\(expected)', got '\(type.signature)'")
    }

    /// The value inside any number of variant wrappers.
    public var unwrappedVariant: DBusValue {
        var value = self
        while case .variant(let inner) = value { value = inner }
        return value
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `s`.
    public func asString() throws(DBusError) -> String {
        guard case .string(let v) = self else { throw mismatch("s") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `b`.
    public func asBool() throws(DBusError) -> Bool {
        guard case .boolean(let v) = self else { throw mismatch("b") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `y`.
    public func asByte() throws(DBusError) -> UInt8 {
        guard case .byte(let v) = self else { throw mismatch("y") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `i`.
    public func asInt32() throws(DBusError) -> Int32 {
        guard case .int32(let v) = self else { throw mismatch("i") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `u`.
    public func asUInt32() throws(DBusError) -> UInt32 {
        guard case .uint32(let v) = self else { throw mismatch("u") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `x`.
    public func asInt64() throws(DBusError) -> Int64 {
        guard case .int64(let v) = self else { throw mismatch("x") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `t`.
    public func asUInt64() throws(DBusError) -> UInt64 {
        guard case .uint64(let v) = self else { throw mismatch("t") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `d`.
    public func asDouble() throws(DBusError) -> Double {
        guard case .double(let v) = self else { throw mismatch("d") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `o`.
    public func asObjectPath() throws(DBusError) -> DBusObjectPath {
        guard case .objectPath(let v) = self else { throw mismatch("o") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `g`.
    public func asSignature() throws(DBusError) -> DBusSignature {
        guard case .signature(let v) = self else { throw mismatch("g") }
        return v
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `ay`.
    public func asBytes() throws(DBusError) -> [UInt8] {
        switch self {
        case .bytes(let v): return v
        case .array(.byte, let items): return try items.map { v throws(DBusError) in try v.asByte() }
        default: throw mismatch("ay")
        }
    }

    /// The elements of any array (`ay` gives `.byte` elements).
    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an array.
    public func asArray() throws(DBusError) -> [DBusValue] {
        switch self {
        case .array(_, let items): return items
        case .bytes(let bytes): return bytes.map { .byte($0) }
        default: throw mismatch("a*")
        }
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `ao`.
    public func asObjectPaths() throws(DBusError) -> [DBusObjectPath] {
        guard case .array(.objectPath, let items) = self else { throw mismatch("ao") }
        return try items.map { v throws(DBusError) in try v.asObjectPath() }
    }

    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `as`.
    public func asStrings() throws(DBusError) -> [String] {
        guard case .array(.string, let items) = self else { throw mismatch("as") }
        return try items.map { v throws(DBusError) in try v.asString() }
    }

    /// The entries of any dictionary, in wire order.
    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a dictionary.
    public func asDictionaryEntries() throws(DBusError) -> [DBusDictionaryEntry] {
        guard case .dictionary(_, _, let entries) = self else { throw mismatch("a{**}") }
        return entries
    }

    /// An `a{ss}` as a Swift dictionary (a repeated key keeps its last value).
    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `a{ss}`.
    public func asStringDictionary() throws(DBusError) -> [String: String] {
        guard case .dictionary(.string, .string, let entries) = self else { throw mismatch("a{ss}") }
        var out: [String: String] = [:]
        out.reserveCapacity(entries.count)
        for entry in entries { out[try entry.key.asString()] = try entry.value.asString() }
        return out
    }

    /// An `a{sv}` as a Swift dictionary of the values inside the variants.
    /// - Throws: ``DBusError`` `.typeMismatch` unless this is an `a{sv}`.
    public func asVariantDictionary() throws(DBusError) -> [String: DBusValue] {
        guard case .dictionary(.string, .variant, let entries) = self else { throw mismatch("a{sv}") }
        var out: [String: DBusValue] = [:]
        for entry in entries {
            guard case .variant(let inner) = entry.value else { throw mismatch("v") }
            out[try entry.key.asString()] = inner
        }
        return out
    }

    /// The fields of a struct.
    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a struct.
    public func asStructure() throws(DBusError) -> [DBusValue] {
        guard case .structure(let fields) = self else { throw mismatch("(...)") }
        return fields
    }

    /// The value inside a variant (one level).
    /// - Throws: ``DBusError`` `.typeMismatch` unless this is a `v`.
    public func asVariant() throws(DBusError) -> DBusValue {
        guard case .variant(let inner) = self else { throw mismatch("v") }
        return inner
    }
}

extension DBusValue: CustomStringConvertible {
    /// A readable rendering, for logs and test failures. Byte arrays show only their length,
    /// because secrets travel as `ay`.
    public var description: String {
        switch self {
        case .byte(let v): return "byte \(v)"
        case .boolean(let v): return "\(v)"
        case .int16(let v): return "int16 \(v)"
        case .uint16(let v): return "uint16 \(v)"
        case .int32(let v): return "int32 \(v)"
        case .uint32(let v): return "uint32 \(v)"
        case .int64(let v): return "int64 \(v)"
        case .uint64(let v): return "uint64 \(v)"
        case .double(let v): return "double \(v)"
        case .string(let v): return "\"\(v)\""
        case .objectPath(let v): return "path \(v)"
        case .signature(let v): return "signature \(v)"
        case .unixFD(let v): return "fd \(v)"
        case .bytes(let v): return "bytes[\(v.count)]"
        case .array(_, let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .dictionary(_, _, let entries):
            return "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .structure(let fields): return "(" + fields.map(\.description).joined(separator: ", ") + ")"
        case .variant(let inner): return "<\(inner)>"
        }
    }
}

// MARK: - Validation before anything reaches libdbus

extension DBusValue {
    /// Checks what libdbus would otherwise reject by aborting: element types that match their
    /// container, basic dictionary keys, strings without NUL, nesting and length limits.
    /// - Throws: ``DBusError`` `.invalidArgument`.
    public func validate() throws(DBusError) {
        try validate(depth: 0)
    }

    private func validate(depth: Int) throws(DBusError) {
        guard depth <= 64 else { throw DBusError(.invalidArgument, "value nested more than 64 levels deep") }
        switch self {
        case .string(let s):
            if s.utf8.contains(0) { throw DBusError(.invalidArgument, "a D-Bus string cannot contain a NUL character") }
        case .bytes(let b):
            if b.count > DBusValue.maximumArrayBytes {
                throw DBusError(.invalidArgument, "byte array of \(b.count) bytes exceeds the D-Bus limit of 64 MiB")
            }
        case .array(let element, let items):
            _ = try DBusSignature(element.signature)  // depth limits
            for item in items {
                guard item.type == element else {
                    throw DBusError(.invalidArgument, "array of '\(element)' holds a value of type '\(item.type)'")
                }
                try item.validate(depth: depth + 1)
            }
        case .dictionary(let key, let value, let entries):
            guard key.isBasic else { throw DBusError(.invalidArgument, "dictionary key type '\(key)' is not basic") }
            _ = try DBusSignature(DBusType.dictionary(key: key, value: value).signature)
            for entry in entries {
                guard entry.key.type == key, entry.value.type == value else {
                    throw DBusError(
                        .invalidArgument,
                        "dictionary of '{\(key)\(value)}' holds an entry of '{\(entry.key.type)\(entry.value.type)}'")
                }
                try entry.key.validate(depth: depth + 1)
                try entry.value.validate(depth: depth + 1)
            }
        case .structure(let fields):
            guard !fields.isEmpty else { throw DBusError(.invalidArgument, "a struct needs at least one field") }
            for field in fields { try field.validate(depth: depth + 1) }
        case .variant(let inner):
            try inner.validate(depth: depth + 1)
        case .unixFD(let fd):
            if fd < 0 { throw DBusError(.invalidArgument, "invalid file descriptor \(fd)") }
        default:
            break
        }
    }

    /// libdbus's largest array, in bytes.
    static let maximumArrayBytes = 64 * 1024 * 1024
}
