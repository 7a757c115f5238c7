/// What identifies a git credential: the fields of git's credential protocol (`protocol`,
/// `host`, `path`, `username`), and the ways a keyring keeps it.
public struct GitCredentialKey: Sendable, Hashable {
    /// `https`, `http`, `smtp`, `cert`, ...
    public var `protocol`: String?
    /// The host name without the port; `nil` when git sent no host.
    public var server: String?
    /// The port, when `host` had one.
    public var port: UInt16?
    /// The path (only sent with `credential.useHttpPath`, or for `cert`).
    public var path: String?
    /// The user name, when known.
    public var username: String?

    /// The `xdg:schema` written with git credentials: libsecret's network-password schema, which
    /// git-credential-libsecret used before it named its own (`org.git.Password`). Older helpers
    /// (Debian 12's git 2.39) search *with* the schema name, newer ones ignore it when searching,
    /// so items under this name are found by both, and switching either way loses nothing.
    public static let schema = "org.gnome.keyring.NetworkPassword"
    /// The prefix of service names used by backends without attributes.
    public static let servicePrefix = "git:"

    /// Creates a key from the protocol's fields.
    /// - Parameters:
    ///   - protocol: The `protocol` value.
    ///   - host: The `host` value, which may end in `:PORT` (`[::1]:8080` for IPv6).
    ///   - path: The `path` value.
    ///   - username: The `username` value.
    public init(protocol: String?, host: String?, path: String?, username: String?) {
        self.protocol = `protocol`.flatMap { $0.isEmpty ? nil : $0 }
        self.path = path.flatMap { $0.isEmpty ? nil : $0 }
        self.username = username
        if let host, !host.isEmpty {
            (server, port) = Self.split(host: host)
        }
    }

    /// Whether there is enough to find or store a credential: a protocol, and a host or a path.
    public var isComplete: Bool { `protocol` != nil && (server != nil || path != nil) }

    /// Whether there is anything to match when erasing.
    public var isEmpty: Bool { `protocol` == nil && server == nil && path == nil && username == nil }

    /// `PROTO://HOST[:PORT][/PATH]`.
    public var url: String {
        var text = (`protocol` ?? "") + "://" + (server ?? "")
        if let port { text += ":" + String(port) }
        if let path { text += "/" + path }
        return text
    }

    /// `Git: PROTO://HOST[:PORT]/PATH`, the label git-credential-libsecret gives its items.
    public var label: String {
        var text = "Git: " + (`protocol` ?? "") + "://" + (server ?? "")
        if let port { text += ":" + String(port) }
        return text + "/" + (path ?? "")
    }

    /// `git:PROTO://HOST[:PORT][/PATH]`: the service under which backends without attributes
    /// keep the credential, with the user name as the account.
    public var service: String { Self.servicePrefix + url }

    /// The attributes to search by, as git-credential-libsecret does: only the fields that are
    /// set, and no `xdg:schema`, so items written by older versions (schema
    /// `org.gnome.keyring.NetworkPassword`) are found too.
    public var searchAttributes: [String: String] {
        var attributes: [String: String] = [:]
        if let username { attributes["user"] = username }
        if let `protocol` { attributes["protocol"] = `protocol` }
        if let server { attributes["server"] = server }
        if let port { attributes["port"] = String(port) }
        if let path { attributes["object"] = path }
        return attributes
    }

    /// Attributes a stored credential must not have for this key to find it: the port and the
    /// path, when git sent none (another port or path is another credential).
    public var absentAttributes: Set<String> {
        Set(["port", "object"]).subtracting(searchAttributes.keys)
    }

    /// The attributes of a stored item: ``searchAttributes`` plus `xdg:schema`.
    public var storeAttributes: [String: String] {
        searchAttributes.merging(["xdg:schema": Self.schema]) { $1 }
    }

    /// Splits `HOST:PORT`; a colon inside `[...]` (IPv6) or followed by anything but digits is
    /// part of the host.
    static func split(host: String) -> (String, UInt16?) {
        guard let colon = host.lastIndex(of: ":") else { return (host, nil) }
        if let bracket = host.lastIndex(of: "]"), bracket > colon { return (host, nil) }
        if host.hasPrefix("["), !host[..<colon].hasSuffix("]") { return (host, nil) }
        let digits = host[host.index(after: colon)...]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let port = UInt16(digits) else {
            return (host, nil)
        }
        return (String(host[..<colon]), port)
    }
}
