internal import Glibc
internal import KeyringKit

/// A dotenv file (`.env`): `NAME=value` lines, as python-dotenv, docker compose and Node's
/// dotenv read them.
///
/// - Blank lines and lines starting with `#` are skipped; `export NAME=value` is `NAME=value`;
///   spaces around `=` are allowed.
/// - An unquoted value ends at the end of the line or at ` #` (a comment); spaces around it go.
/// - `'single quoted'` is taken as it is, and may span lines.
/// - `"double quoted"` may span lines and understands `\n`, `\r`, `\t`, `\\`, `\"`, `\'` and `\$`;
///   another backslash stays as it is.
/// - `${NAME}` (in an unquoted or double-quoted value) would be expanded by python-dotenv and
///   compose, so it is refused, never stored as it stands: single-quote the value to keep it.
/// - An empty value is an empty string. A name given twice, a name that is not `[A-Za-z_][A-Za-z0-9_]*`,
///   a line without `=`, an unclosed quote, text after a closing quote and a NUL byte are errors.
///
/// Values are bytes (not necessarily UTF-8); they are wiped by ``wipe()``. No message shows one.
struct DotenvFile {
    struct Entry {
        let name: String
        var value: [UInt8]
        /// The line the entry starts on, from 1.
        let line: Int
    }

    let path: String
    private(set) var entries: [Entry] = []

    /// Reads and parses `path`.
    /// - Throws: ``CommandExit`` naming the file, the line and the variable, never a value.
    init(reading path: String) throws(CommandExit) {
        var bytes = try Self.read(path)
        defer { bytes.wipe() }
        try self.init(parsing: bytes, path: path)
    }

    /// Parses dotenv text; `path` names it in messages.
    init(parsing bytes: [UInt8], path: String) throws(CommandExit) {
        self.path = path
        var scanner = Scanner(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.index = 3 }
        var seen: [String: Int] = [:]
        do throws(Scanner.Failure) {
            while var entry = try scanner.next() {
                if let first = seen[entry.name] {
                    entry.value.wipe()
                    throw Scanner.Failure(
                        line: entry.line, name: entry.name, reason: "set on line \(first) already; keep one of them")
                }
                seen[entry.name] = entry.line
                entries.append(entry)
            }
        } catch {
            wipe()
            let subject = error.name.map { " (\($0))" } ?? ""
            throw CommandExit.usage("\(path) line \(error.line)\(subject): \(error.reason)")
        }
    }

    /// Overwrites every value.
    mutating func wipe() {
        for index in entries.indices { entries[index].value.wipe() }
    }

    /// A value as a dotenv file writes it so that ``init(parsing:path:)`` reads it back: bare
    /// when nothing in it is special, else in single quotes, else in double quotes with escapes.
    static func quoted(_ value: String) -> String {
        let special: Set<Character> = [" ", "\t", "#", "'", "\"", "\\", "$", "`", "="]
        if !value.isEmpty,
            !value.contains(where: { special.contains($0) || $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true })
        {
            return value
        }
        if !value.contains("'") { return "'" + value + "'" }
        var out = "\""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "$": out += "\\$"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    /// The whole of a regular file of at most 16 MiB.
    private static func read(_ path: String) throws(CommandExit) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CommandExit(errno == ENOENT ? .usage : .failure, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { _ = close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw CommandExit(.usage, "\(path) is not a regular file")
        }
        do {
            return try DescriptorReading.read(descriptor, sizeHint: Int(status.st_size), limit: 16 << 20)
        } catch {
            throw CommandExit(.failure, "cannot read \(path): \(String(cString: strerror(error.errno)))")
        }
    }

    /// The parser: one entry at a time.
    private struct Scanner {
        struct Failure: Error {
            let line: Int
            let name: String?
            let reason: String
        }

        let bytes: [UInt8]
        var index = 0
        var line = 1

        func peek(_ offset: Int = 0) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

        /// Spaces, tabs, and a carriage return that ends no line (a stray one at the end of the file).
        mutating func skipBlanks() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || (byte == 0x0D && peek(1) != 0x0A) { index += 1 }
        }

        /// At the end of a line (`\n`, `\r\n`) or of the input; consumes the line break.
        mutating func endOfLine() -> Bool {
            switch peek() {
            case nil: return true
            case 0x0A:
                index += 1
                line += 1
                return true
            case 0x0D where peek(1) == 0x0A:
                index += 2
                line += 1
                return true
            default: return false
            }
        }

        mutating func skipRestOfLine() {
            while !endOfLine() { index += 1 }
        }

        static func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
            byte == UInt8(ascii: "_") || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || (!first && byte >= 0x30 && byte <= 0x39)
        }

        mutating func next() throws(Failure) -> Entry? {
            while true {
                skipBlanks()
                if peek() == nil { return nil }
                if endOfLine() { continue }
                if peek() == UInt8(ascii: "#") {
                    skipRestOfLine()
                    continue
                }
                break
            }
            let start = line
            // The key: everything up to '=', a blank or the end of the line.
            var keyEnd = index
            while keyEnd < bytes.count, ![0x3D, 0x20, 0x09, 0x0A, 0x0D].contains(bytes[keyEnd]) { keyEnd += 1 }
            var key = Array(bytes[index..<keyEnd])
            index = keyEnd
            if key == Array("export".utf8), peek() == 0x20 || peek() == 0x09 {
                skipBlanks()
                keyEnd = index
                while keyEnd < bytes.count, ![0x3D, 0x20, 0x09, 0x0A, 0x0D].contains(bytes[keyEnd]) { keyEnd += 1 }
                key = Array(bytes[index..<keyEnd])
                index = keyEnd
            }
            skipBlanks()
            guard peek() == UInt8(ascii: "=") else {
                // Without '=', the "name" may well be a value pasted on its own line: not shown.
                throw Failure(
                    line: start, name: nil,
                    reason: "not NAME=VALUE (the line is not shown); write NAME=VALUE, or # before a comment")
            }
            index += 1
            let isName = !key.isEmpty && key.enumerated().allSatisfy { Self.isNameByte($0.element, first: $0.offset == 0) }
            guard isName, let name = String(validating: key, as: UTF8.self) else {
                let shown =
                    String(validating: key, as: UTF8.self).map { "'\(DisplayText.sanitized($0, limit: 80))'" } ?? "the name"
                throw Failure(
                    line: start, name: nil,
                    reason: "\(shown) is not a variable name (letters, digits and _, not starting with a digit)")
            }
            skipBlanks()
            var value: [UInt8] = []
            func fail(_ reason: String) -> Failure {
                value.wipe()
                return Failure(line: start, name: name, reason: reason)
            }
            switch peek() {
            case UInt8(ascii: "'"):
                index += 1
                while true {
                    guard let byte = peek() else { throw fail("the single quote is not closed") }
                    index += 1
                    if byte == UInt8(ascii: "'") { break }
                    if byte == 0x0A { line += 1 }
                    value.append(byte)
                }
                try closeQuote(fail)
            case UInt8(ascii: "\""):
                index += 1
                while true {
                    guard let byte = peek() else { throw fail("the double quote is not closed") }
                    index += 1
                    if byte == UInt8(ascii: "\"") { break }
                    if byte == 0x0A { line += 1 }
                    if byte == UInt8(ascii: "$"), peek() == UInt8(ascii: "{") { throw fail(Self.expansion) }
                    guard byte == UInt8(ascii: "\\"), let escaped = peek() else {
                        value.append(byte)
                        continue
                    }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "n"): value.append(0x0A)
                    case UInt8(ascii: "r"): value.append(0x0D)
                    case UInt8(ascii: "t"): value.append(0x09)
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "$"): value.append(escaped)
                    default:
                        if escaped == 0x0A { line += 1 }
                        value += [byte, escaped]
                    }
                }
                try closeQuote(fail)
            default:
                while let byte = peek(), byte != 0x0A, !(byte == 0x0D && peek(1) == 0x0A) {
                    if byte == UInt8(ascii: "#"), value.last == 0x20 || value.last == 0x09 || value.isEmpty { break }
                    if byte == UInt8(ascii: "$"), peek(1) == UInt8(ascii: "{") { throw fail(Self.expansion) }
                    value.append(byte)
                    index += 1
                }
                while let last = value.last, last == 0x20 || last == 0x09 || last == 0x0D { value.removeLast() }
                skipRestOfLine()
            }
            guard !value.contains(0) else { throw fail("the value has a NUL byte, which an environment variable cannot hold") }
            return Entry(name: name, value: value, line: start)
        }

        static let expansion =
            "the value refers to another variable (${...}), which python-dotenv and compose would expand and this does not; "
            + "put the value in single quotes to keep it as it is, or write out what it stands for"

        /// After a closing quote: blanks, then a comment or the end of the line.
        mutating func closeQuote(_ fail: (String) -> Failure) throws(Failure) {
            skipBlanks()
            if peek() == UInt8(ascii: "#") {
                skipRestOfLine()
                return
            }
            guard endOfLine() else { throw fail("there is text after the closing quote") }
        }
    }
}
