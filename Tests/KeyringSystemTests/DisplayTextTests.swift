@testable import KeyringSystem
import Testing

/// Text from peers, files and users, made safe to print.
@Suite("display text")
struct DisplayTextTests {
    @Test("control characters, DEL, C1 and bidi overrides are escaped; ordinary text is untouched")
    func escapesControls() {
        #expect(DisplayText.sanitized("plain ünïcødé 𝄞 text") == "plain ünïcødé 𝄞 text")
        #expect(DisplayText.sanitized("a\u{1b}[31mred\u{07}") == "a\\x1b[31mred\\x07")
        #expect(DisplayText.sanitized("line\nbreak\ttab\r") == "line\\nbreak\\ttab\\r")
        #expect(DisplayText.sanitized("\u{7f}\u{85}\u{9b}") == "\\x7f\\x85\\x9b")
        #expect(DisplayText.sanitized("abc\u{202e}cba\u{2066}") == "abc\\u{202e}cba\\u{2066}")
        #expect(DisplayText.sanitized("nul\u{0}here") == "nul\\x00here")
        #expect(DisplayText.sanitized("back\\slash") == "back\\slash", "sanitized leaves backslashes")
    }

    @Test("long text is cut to the limit, saying how much was left out; twice is the same as once")
    func bounded() {
        let huge = String(repeating: "x", count: 20_000_000)
        let cut = DisplayText.sanitized(huge)
        #expect(cut.utf8.count <= DisplayText.messageLimit)
        #expect(cut.hasSuffix("more bytes not shown)"))
        #expect(DisplayText.sanitized(cut) == cut)
        let escapes = String(repeating: "\u{1b}", count: 10_000)
        let escapedCut = DisplayText.sanitized(escapes, limit: 100)
        #expect(escapedCut.utf8.count <= 100)
        #expect(!escapedCut.unicodeScalars.contains("\u{1b}"))
        #expect(DisplayText.sanitized(escapedCut, limit: 100) == escapedCut)
        let exact = String(repeating: "y", count: DisplayText.messageLimit)
        #expect(DisplayText.sanitized(exact) == exact, "text at the limit is kept whole")
    }

    @Test("escaped: backslashes too, so a name can never look like two columns or two lines")
    func escapedForOutput() {
        #expect(DisplayText.escaped("a\tb\nc\\d") == "a\\tb\\nc\\\\d")
        #expect(DisplayText.escaped("plain") == "plain")
    }

}
