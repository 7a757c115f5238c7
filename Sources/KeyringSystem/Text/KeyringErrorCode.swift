/// The stable code of one of the package's error types (`DBusError.Code`,
/// `SecretServiceError.Code`, `KeyringError.Code`): a struct with one static member per code,
/// matched like enum cases, so that a later version can add codes without breaking a caller's
/// `switch` (which needs a `default:`).
public protocol KeyringErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The stable text of the code, safe to match on and to print.
    var rawValue: String { get }
    /// Every code this version knows. Later versions may add more.
    static var known: [Self] { get }
}

extension KeyringErrorCode {
    public var description: String { rawValue }

    /// The known code with this text, or `nil`: for reading back a code a program printed or sent.
    public init?(rawValue: String) {
        guard let code = Self.known.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = code
    }
}
