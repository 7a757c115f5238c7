public import SecretService

// What the `keyring` command needs beyond the service/account API: storing bytes read from a
// pipe, terminal password providers, and git credentials kept the way git-credential-libsecret
// keeps them. Everything here works on every backend.

extension Keyring {
    /// A secret holding a copy of bytes read from a terminal or a pipe: `text/plain` when they
    /// are UTF-8, else `application/octet-stream`.
    /// - Parameter bytes: The secret bytes; the caller wipes its own copy.
    public static func secret(copying bytes: UnsafeRawBufferPointer) -> Secret {
        let isText = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) != nil
        return Secret(
            secureBytes: SecureBytes(copying: bytes),
            contentType: isText ? Secret.textContentType : Secret.binaryContentType)
    }

    /// Makes a ``PasswordProvider`` from a function that reads a password into an ordinary
    /// array (a terminal prompt): the array is copied into ``SecureBytes`` and wiped.
    /// - Parameter read: Returns the password bytes, or `nil` when the user gave none.
    public static func passwordProvider(
        _ read: @escaping @Sendable (PasswordRequest) throws -> [UInt8]?
    ) -> PasswordProvider {
        return { request in
            guard var bytes = try read(request) else { return nil }
            defer { bytes.wipe() }
            return SecureBytes(bytes)
        }
    }
}

// MARK: - Attribute stores

/// A backend whose entries can be stored and found by arbitrary attributes, as Secret Service
/// items are. The git credential helper uses it to write items exactly as
/// git-credential-libsecret does (`xdg:schema` = ``GitCredentialKey/schema``, `protocol`, `server`,
/// `port`, `user`, `object`), so either tool reads what the other stored. Backends that do not
/// conform keep git credentials under a service name instead (``GitCredentialKey/service``).
public protocol KeyringAttributeBackend: KeyringBackend {
    /// The first entry whose attributes include all of `attributes`, with its secret.
    /// - Parameters:
    ///   - attributes: Names and values that must all match.
    ///   - absent: Attribute names the entry must not have (a credential for `host:8443` does not
    ///     answer for `host`).
    ///   - keyring: The keyring, or `nil` for the default (a Secret Service backend may search all).
    /// - Returns: The entry's attributes and its secret, or `nil` when nothing matches.
    /// - Throws: ``KeyringError``.
    func firstSecret(
        matching attributes: [String: String], absent: Set<String>, keyring: String?
    ) async throws -> (attributes: [String: String], secret: Secret)?

    /// Stores a secret under exactly these attributes, replacing the entry that has exactly the
    /// same attribute set, if any.
    /// - Parameters:
    ///   - secret: The value.
    ///   - attributes: The entry's whole attribute set.
    ///   - label: Its label.
    ///   - keyring: The keyring, or `nil` for the default.
    /// - Throws: ``KeyringError``.
    func store(_ secret: Secret, attributes: [String: String], label: String, keyring: String?) async throws

    /// Deletes every entry whose attributes include all of `attributes`.
    /// - Parameters:
    ///   - attributes: Names and values that must all match; never empty.
    ///   - keyring: The keyring, or `nil` for the default.
    /// - Returns: How many entries were deleted.
    /// - Throws: ``KeyringError``.
    func deleteAll(matching attributes: [String: String], keyring: String?) async throws -> Int
}

// MARK: - Git credentials

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

extension Keyring {
    /// Finds a git credential: by git-credential-libsecret's attributes on backends that have
    /// them, else under ``GitCredentialKey/service`` (any account when the key has no user name).
    /// - Parameter key: What git asked for; must be ``GitCredentialKey/isComplete``.
    /// - Returns: The user name and the password, or `nil` when none is stored.
    /// - Throws: ``KeyringError``.
    public func gitCredential(_ key: GitCredentialKey) async throws -> (username: String?, password: Secret)? {
        guard key.isComplete else { return nil }
        if let backend = backend as? any KeyringAttributeBackend {
            guard let found = try await backend.firstSecret(
                matching: key.searchAttributes, absent: key.absentAttributes, keyring: keyring)
            else {
                return nil
            }
            return (found.attributes["user"] ?? key.username, found.secret)
        }
        let account: String
        if let username = key.username {
            account = username
        } else {
            guard let first = try await accounts(service: key.service).first else { return nil }
            account = first
        }
        guard let secret = try await get(service: key.service, account: account) else { return nil }
        return (account, secret)
    }

    /// Stores a git credential under git-credential-libsecret's attributes and label, or under
    /// ``GitCredentialKey/service`` on backends without attributes.
    /// - Parameters:
    ///   - key: Must be ``GitCredentialKey/isComplete`` and have a user name.
    ///   - password: The password (see ``secret(copying:)``).
    /// - Throws: ``KeyringError`` `invalidArgument` when the key is incomplete.
    public func storeGitCredential(_ key: GitCredentialKey, password: Secret) async throws {
        guard key.isComplete, let username = key.username else {
            throw KeyringError(
                .invalidArgument,
                "git sent too little to store a credential: it needs protocol, host (or path), username and password")
        }
        let secret = password
        if let backend = backend as? any KeyringAttributeBackend {
            try await backend.store(secret, attributes: key.storeAttributes, label: key.label, keyring: keyring)
        } else {
            try await set(secret, service: key.service, account: username, label: key.label)
        }
    }

    /// Erases git credentials matching the key. When `password` is given, only a credential
    /// whose stored password equals it is erased (git sends the password it just saw fail).
    /// - Parameters:
    ///   - key: What to match; must not be ``GitCredentialKey/isEmpty``.
    ///   - password: The rejected password, or `nil` to erase regardless.
    /// - Returns: How many entries were erased.
    /// - Throws: ``KeyringError`` `invalidArgument` for an empty key.
    @discardableResult
    public func eraseGitCredential(_ key: GitCredentialKey, password: Secret?) async throws -> Int {
        guard !key.isEmpty else {
            throw KeyringError(.invalidArgument, "git sent nothing to match; refusing to erase every git credential")
        }
        let rejected = password?.bytes
        if let backend = backend as? any KeyringAttributeBackend {
            var attributes = key.searchAttributes
            if let rejected {
                guard let found = try await backend.firstSecret(
                    matching: attributes, absent: key.absentAttributes, keyring: keyring)
                else { return 0 }
                guard found.secret.bytes.constantTimeEquals(rejected) else { return 0 }
                attributes = found.attributes
            }
            return try await backend.deleteAll(matching: attributes, keyring: keyring)
        }
        guard key.isComplete else { return 0 }
        let accounts: [String]
        if let username = key.username {
            accounts = [username]
        } else {
            accounts = try await self.accounts(service: key.service)
        }
        var erased = 0
        for account in accounts {
            if let rejected {
                guard let stored = try await get(service: key.service, account: account),
                      stored.bytes.constantTimeEquals(rejected) else { continue }
            }
            if try await delete(service: key.service, account: account) { erased += 1 }
        }
        return erased
    }
}
