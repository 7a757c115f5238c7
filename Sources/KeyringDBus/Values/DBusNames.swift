/// Validation of bus, interface, member and error names, so that nothing invalid reaches libdbus
/// (which aborts the process on some invalid arguments).
public enum DBusNames {
    static func isElementByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Whether `name` is a valid interface (or error) name: two or more dot-separated elements
    /// of `[A-Za-z0-9_]`, none starting with a digit, at most 255 bytes.
    public static func isValidInterface(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        var elements = 0
        var elementStart = true
        for b in bytes {
            if b == UInt8(ascii: ".") {
                if elementStart { return false }
                elementStart = true
            } else {
                guard isElementByte(b) else { return false }
                if elementStart {
                    if isDigit(b) { return false }
                    elements += 1
                    elementStart = false
                }
            }
        }
        return !elementStart && elements >= 2
    }

    /// Whether `name` is a valid error name (same rules as an interface name).
    public static func isValidErrorName(_ name: String) -> Bool { isValidInterface(name) }

    /// Whether `name` is a valid member (method or signal) name.
    public static func isValidMember(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= 255, !isDigit(first) else { return false }
        return bytes.allSatisfy(isElementByte)
    }

    /// Whether `name` is a valid bus name: a unique name (`:1.42`) or a well-known name
    /// (`org.freedesktop.secrets`; elements may contain `-`).
    public static func isValidBusName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 255 else { return false }
        let unique = bytes[0] == UInt8(ascii: ":")
        var elements = 0
        var elementStart = true
        for b in unique ? bytes.dropFirst() : bytes[...] {
            if b == UInt8(ascii: ".") {
                if elementStart { return false }
                elementStart = true
            } else {
                guard isElementByte(b) || b == UInt8(ascii: "-") else { return false }
                if elementStart {
                    if isDigit(b) && !unique { return false }
                    elements += 1
                    elementStart = false
                }
            }
        }
        return !elementStart && elements >= 2
    }
}
