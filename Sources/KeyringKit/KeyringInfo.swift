/// One keyring of a backend: a Secret Service collection, an encrypted file, a memory keyring.
public struct KeyringInfo: Sendable, Hashable, CustomStringConvertible {
    /// The keyring's name, as accepted by the `keyring:` parameters.
    public var name: String
    /// Whether the keyring is locked (its secrets cannot be read without unlocking it).
    public var isLocked: Bool
    /// Whether this is the keyring used when `keyring:` is `nil`.
    public var isDefault: Bool

    /// Creates keyring information.
    /// - Parameters:
    ///   - name: The keyring's name.
    ///   - isLocked: Whether it is locked.
    ///   - isDefault: Whether it is the backend's default keyring.
    public init(name: String, isLocked: Bool, isDefault: Bool) {
        self.name = name
        self.isLocked = isLocked
        self.isDefault = isDefault
    }

    /// `name (locked, default)`.
    public var description: String {
        var flags: [String] = [isLocked ? "locked" : "unlocked"]
        if isDefault { flags.append("default") }
        return "\(name) (\(flags.joined(separator: ", ")))"
    }
}
