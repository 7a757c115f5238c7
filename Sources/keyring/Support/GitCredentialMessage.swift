internal import KeyringKit

/// One message of git's credential protocol: `key=value` lines ending at a blank line or end
/// of input. Keys this helper does not know are ignored; the password stays bytes.
struct GitCredentialMessage {
    var `protocol`: String?
    var host: String?
    var path: String?
    var username: String?
    /// The password's bytes; wiped by ``wipe()``.
    var password: [UInt8]?

    /// Parses the protocol's text.
    init(parsing bytes: [UInt8]) throws(CommandExit) {
        for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty { break }
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else {
                throw CommandExit.usage("git sent a line without '=' (not shown); expected key=value lines")
            }
            let key = String(decoding: line[..<equals], as: UTF8.self)
            let value = line[(equals + 1)...]
            // Names become keys of stored entries: decoded strictly, never with replacement
            // characters that would make two different names one.
            func text() throws(CommandExit) -> String {
                guard let text = String(validating: value, as: UTF8.self) else {
                    throw CommandExit.usage("git sent a \(key) that is not valid UTF-8 (not shown); nothing was read or stored")
                }
                return text
            }
            switch key {
            case "protocol": `protocol` = try text()
            case "host": host = try text()
            case "path": path = try text()
            case "username": username = try text()
            case "password":
                // In place: binding the array to another variable would wipe a copy.
                if password != nil { password!.wipe() }
                password = Array(value)
            default: continue
            }
        }
    }

    /// The key KeyringKit stores the credential under.
    var key: GitCredentialKey {
        GitCredentialKey(protocol: `protocol`, host: host, path: path, username: username)
    }

    /// Overwrites the password.
    mutating func wipe() {
        if password != nil { password!.wipe() }
        password = nil
    }
}
