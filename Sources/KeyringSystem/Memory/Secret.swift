/// A secret value: bytes plus a MIME content type.
///
/// The bytes live in ``SecureBytes``: locked in memory where the system allows it, wiped when the
/// last copy is released, and never printed (`description` is `<redacted>`).
public struct Secret: Sendable {
    /// The secret bytes.
    public let bytes: SecureBytes
    /// The MIME type the Secret Service stores with the value (`text/plain`, `application/octet-stream`, ...).
    public let contentType: String

    /// A text secret, stored as UTF-8 with content type `text/plain; charset=utf8`.
    public init(_ string: String, contentType: String = Secret.textContentType) {
        self.bytes = SecureBytes(utf8: string)
        self.contentType = contentType
    }

    /// A byte secret; `application/octet-stream` unless told otherwise.
    public init<Bytes: Collection>(bytes: Bytes, contentType: String = Secret.binaryContentType) where Bytes.Element == UInt8 {
        self.bytes = SecureBytes(bytes)
        self.contentType = contentType
    }

    /// Wraps existing secure storage without copying it.
    public init(secureBytes: SecureBytes, contentType: String) {
        self.bytes = secureBytes
        self.contentType = contentType
    }

    /// The content type libsecret and secret-tool use for text.
    public static let textContentType = "text/plain"
    /// The content type for arbitrary bytes.
    public static let binaryContentType = "application/octet-stream"

    /// Number of secret bytes.
    public var count: Int { bytes.count }

    /// The secret decoded as UTF-8, or `nil` when the bytes are not valid UTF-8.
    /// The returned `String` is ordinary memory: prefer ``withUnsafeBytes(_:)`` where possible.
    public var stringValue: String? {
        bytes.withUnsafeBytes { raw in
            String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self)
        }
    }

    /// Calls `body` with the secret bytes, without copying them.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try bytes.withUnsafeBytes(body)
    }
}

extension Secret: Equatable {
    /// Equal when content types match and bytes compare equal in constant time.
    public static func == (lhs: Secret, rhs: Secret) -> Bool {
        lhs.contentType == rhs.contentType && lhs.bytes.constantTimeEquals(rhs.bytes)
    }
}

extension Secret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted>" }
    public var debugDescription: String { "Secret(<redacted>, \(count) bytes, \(contentType))" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
