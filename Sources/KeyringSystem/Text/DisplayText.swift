/// Text from outside the program made safe to show: in an error message, on a terminal, in a log.
///
/// A peer on the bus, a file or a user can put anything in a string: escape sequences that
/// rewrite the terminal, newlines and tabs that forge lines of output, bidirectional overrides
/// that reorder what is read, megabytes of text. Every error type of the package passes its
/// message through ``sanitized(_:limit:)``; programs that print names use ``escaped(_:)``.
package enum DisplayText {
    /// The longest error message, in UTF-8 bytes, before it is cut.
    package static let messageLimit = 2048
    /// The longest text a peer's error reply contributes to a message.
    package static let peerTextLimit = 512

    /// `text` with control characters escaped (`\n`, `\t`, `\x1b`, `\u{202e}`) and cut after
    /// `limit` UTF-8 bytes, saying how much was left out. Backslashes stay as they are, so the
    /// result is readable, not reversible; applying it twice changes nothing more.
    package static func sanitized(_ text: String, limit: Int = messageLimit) -> String {
        if text.utf8.count <= limit, !text.unicodeScalars.contains(where: needsEscape) { return text }
        // Cut early enough that the note fits too: the result is never longer than `limit`.
        let cutAt = max(limit - 48, 0)
        var out = ""
        var written = 0
        var consumed = 0
        var cut: (text: String, consumed: Int)?
        for scalar in text.unicodeScalars {
            let piece = needsEscape(scalar) ? escape(scalar) : String(scalar)
            if cut == nil, written + piece.utf8.count > cutAt { cut = (out, consumed) }
            written += piece.utf8.count
            if written > limit, let cut {
                return cut.text + "… (\(text.utf8.count - cut.consumed) more bytes not shown)"
            }
            if cut == nil || written <= limit { out += piece }
            consumed += UTF8.width(scalar)
        }
        return out
    }

    /// `text` for a line of plain output that a program may parse: control characters and the
    /// backslash escaped (`\\`), so one entry's name can never look like two lines or two columns.
    package static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0) || $0 == "\\" }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar == "\\" {
                out += "\\\\"
            } else if needsEscape(scalar) {
                out += escape(scalar)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// C0 and C1 controls, DEL, and the invisible characters that reorder or hide text (bidi
    /// embeddings, overrides and isolates, line and paragraph separators).
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            return true
        default:
            return false
        }
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        default:
            let hex = String(scalar.value, radix: 16)
            if scalar.value < 0x100 { return "\\x" + (hex.count < 2 ? "0" + hex : hex) }
            return "\\u{" + hex + "}"
        }
    }
}
