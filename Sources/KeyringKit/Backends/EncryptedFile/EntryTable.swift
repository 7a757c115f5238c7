internal import KeyringSystem

/// Every entry of one encrypted keyring file, as it is sealed into the file's body.
///
/// Serialized form (all integers big-endian `UInt32`, strings UTF-8):
/// ```
/// count
/// count × { service, account, label, contentType: len+bytes
///           attributeCount, attributeCount × { name: len+bytes, value: len+bytes }
///           secret: len+bytes }
/// ```
/// Services, accounts and labels are metadata and live in ordinary `String`s; secrets stay in
/// `SecureBytes`. Serialization writes straight into one `SecureBytes` buffer sized up front,
/// so no growing array leaves copies of secrets behind.
struct EntryTable: Sendable {
    struct Key: Hashable, Sendable {
        let service: String
        let account: String
    }

    struct Entry: Sendable {
        var label: String
        var attributes: [String: String]
        var secret: Secret
    }

    /// The entries by service and account: lookups and replacements are O(1).
    var entries: [Key: Entry] = [:]

    // MARK: Serializing

    func serialized() -> SecureBytes {
        var size = 4
        for (key, entry) in entries {
            size +=
                4 * 6 + key.service.utf8.count + key.account.utf8.count + entry.label.utf8.count
                + entry.secret.contentType.utf8.count + entry.secret.count
            for (name, value) in entry.attributes { size += 8 + name.utf8.count + value.utf8.count }
        }
        let output = SecureBytes(count: size)
        output.withUnsafeMutableBytes { buffer in
            var writer = Writer(buffer: buffer)
            writer.integer(entries.count)
            for (key, entry) in entries {
                writer.string(key.service)
                writer.string(key.account)
                writer.string(entry.label)
                writer.string(entry.secret.contentType)
                writer.integer(entry.attributes.count)
                for (name, value) in entry.attributes {
                    writer.string(name)
                    writer.string(value)
                }
                entry.secret.withUnsafeBytes { writer.bytes($0) }
            }
            precondition(writer.offset == buffer.count, "entry table size miscounted")
        }
        return output
    }

    private struct Writer {
        let buffer: UnsafeMutableRawBufferPointer
        var offset = 0

        mutating func integer(_ value: Int) {
            let big = UInt32(value).bigEndian
            withUnsafeBytes(of: big) { raw in
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + 4]).copyMemory(from: raw)
            }
            offset += 4
        }

        mutating func bytes(_ raw: UnsafeRawBufferPointer) {
            integer(raw.count)
            if raw.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + raw.count]).copyMemory(from: raw)
            }
            offset += raw.count
        }

        mutating func string(_ text: String) {
            var text = text
            text.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
        }
    }

    // MARK: Parsing

    /// Parses a decrypted body. Any inconsistency is ``KeyringError/Code/badDataFormat``.
    static func parse(_ plaintext: SecureBytes, path: String) throws(KeyringError) -> EntryTable {
        try plaintext.withUnsafeBytes { (buffer) throws(KeyringError) -> EntryTable in
            var reader = Reader(buffer: buffer)
            guard let count = reader.integer(), count <= buffer.count / 24 else { throw malformed(path, "bad entry count") }
            var table = EntryTable()
            table.entries.reserveCapacity(count)
            for _ in 0..<count {
                guard let service = reader.string(), let account = reader.string(), let label = reader.string(),
                    let contentType = reader.string(), let attributeCount = reader.integer(),
                    attributeCount <= buffer.count / 8
                else { throw malformed(path, "bad entry") }
                var attributes: [String: String] = [:]
                for _ in 0..<attributeCount {
                    guard let name = reader.string(), let value = reader.string() else {
                        throw malformed(path, "bad attribute")
                    }
                    attributes[name] = value
                }
                guard let secret = reader.secureBytes() else { throw malformed(path, "bad secret length") }
                let key = Key(service: service, account: account)
                guard table.entries[key] == nil else { throw malformed(path, "duplicate entry") }
                table.entries[key] = Entry(
                    label: label, attributes: attributes, secret: Secret(secureBytes: secret, contentType: contentType))
            }
            guard reader.offset == buffer.count else { throw malformed(path, "trailing bytes") }
            return table
        }
    }

    private static func malformed(_ path: String, _ what: String) -> KeyringError {
        KeyringError(
            .badDataFormat,
            "the keyring file \(path) decrypted but its entry table is malformed (\(what)); "
                + "it may come from a newer or broken writer. It was left untouched")
    }

    private struct Reader {
        let buffer: UnsafeRawBufferPointer
        var offset = 0

        mutating func integer() -> Int? {
            guard buffer.count - offset >= 4 else { return nil }
            var value: UInt32 = 0
            for index in 0..<4 { value = value << 8 | UInt32(buffer[offset + index]) }
            offset += 4
            return Int(value)
        }

        mutating func slice() -> UnsafeRawBufferPointer? {
            guard let length = integer(), buffer.count - offset >= length else { return nil }
            defer { offset += length }
            return UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
        }

        mutating func string() -> String? {
            guard let raw = slice() else { return nil }
            return String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self)
        }

        mutating func secureBytes() -> SecureBytes? {
            slice().map { SecureBytes(copying: $0) }
        }
    }
}
