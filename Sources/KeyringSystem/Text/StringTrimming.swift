extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (what configuration lines and
    /// environment values may carry). Keeps the libraries off full Foundation, which would add
    /// ICU's tens of megabytes to every program's start-up.
    package var trimmedWhitespace: String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
