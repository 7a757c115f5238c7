/// What a backend knows about one stored entry, without its secret value.
///
/// Returned by ``KeyringBackend/search(attributes:keyring:)``. The built-in memory and file
/// backends give every entry the attributes `service` and `username`, the names other Secret
/// Service clients (Python keyring, go-keyring, keyring-rs) use, so one search works everywhere.
public struct KeyringEntry: Sendable, Hashable, CustomStringConvertible {
    /// The service (application, host, or URL) the secret belongs to.
    public var service: String
    /// The account (user name) within the service.
    public var account: String
    /// A human-readable label.
    public var label: String
    /// Attributes the entry can be searched by.
    public var attributes: [String: String]
    /// The keyring (collection, file) holding the entry.
    public var keyring: String

    /// Creates entry metadata.
    /// - Parameters:
    ///   - service: The service the secret belongs to.
    ///   - account: The account within the service.
    ///   - label: A human-readable label.
    ///   - attributes: Searchable attributes.
    ///   - keyring: The keyring holding the entry.
    public init(service: String, account: String, label: String, attributes: [String: String], keyring: String) {
        self.service = service
        self.account = account
        self.label = label
        self.attributes = attributes
        self.keyring = keyring
    }

    /// `keyring/service/account`.
    public var description: String { "\(keyring)/\(service)/\(account)" }

    /// The label used when a caller gives none: `Password for 'ACCOUNT' on 'SERVICE'`, the label
    /// Python keyring and go-keyring write, so entries look alike in every keyring viewer.
    /// - Parameters:
    ///   - service: The service.
    ///   - account: The account.
    public static func defaultLabel(service: String, account: String) -> String {
        "Password for '\(account)' on '\(service)'"
    }

    /// The attributes the built-in backends give an entry: `service` and `username`.
    /// - Parameters:
    ///   - service: The service.
    ///   - account: The account.
    public static func standardAttributes(service: String, account: String) -> [String: String] {
        ["service": service, "username": account]
    }
}
