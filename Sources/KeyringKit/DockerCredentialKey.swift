/// What identifies a Docker registry credential: the server URL docker names
/// (`https://index.docker.io/v1/`, `registry.example.com:5000`), and the ways a keyring keeps it.
///
/// In the Secret Service, the items are the ones Debian's `docker-credential-secretservice`
/// (golang-docker-credential-helpers) writes and reads: `xdg:schema` ``schema``, the attributes
/// `label` (``labelAttribute``), `server`, `username` and `docker_cli` = `1`, and the server URL
/// as the item's label. Either helper finds what the other stored.
public struct DockerCredentialKey: Sendable, Hashable {
    /// The server URL, exactly as docker sent it.
    public var server: String

    /// The `xdg:schema` of Docker credentials.
    public static let schema = "io.docker.Credentials"
    /// The value of the `label` attribute that marks Docker credentials (docker-credential-helpers'
    /// `CredsLabel`); `list` finds them by it.
    public static let labelAttribute = "Docker Credentials"
    /// The prefix of service names used by backends without attributes.
    public static let servicePrefix = "docker:"

    /// Creates a key.
    /// - Parameter server: The server URL.
    public init(server: String) {
        self.server = server
    }

    /// `docker:SERVER`: the service under which backends without attributes keep the credential,
    /// with the user name as the account.
    public var service: String { Self.servicePrefix + server }

    /// The item's label: the server URL, as docker-credential-secretservice labels its items.
    public var label: String { server }

    /// The attributes to find the credential by (docker-credential-secretservice's `get` and
    /// `erase`): `server`, `docker_cli` and the schema.
    public var searchAttributes: [String: String] {
        ["server": server, "docker_cli": "1", "xdg:schema": Self.schema]
    }

    /// The attributes of a stored credential.
    /// - Parameter username: The registry user name.
    public func storeAttributes(username: String) -> [String: String] {
        searchAttributes.merging(["label": Self.labelAttribute, "username": username]) { $1 }
    }
}
