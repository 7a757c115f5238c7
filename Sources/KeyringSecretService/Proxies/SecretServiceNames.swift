public import KeyringDBus

/// Bus names, paths and interfaces of the Secret Service API (docs/secret-service-protocol.md, The API).
public enum SecretServiceNames {
    public static let busName = "org.freedesktop.secrets"
    public static let servicePath: DBusObjectPath = "/org/freedesktop/secrets"
    public static let serviceInterface = "org.freedesktop.Secret.Service"
    public static let collectionInterface = "org.freedesktop.Secret.Collection"
    public static let itemInterface = "org.freedesktop.Secret.Item"
    public static let sessionInterface = "org.freedesktop.Secret.Session"
    public static let promptInterface = "org.freedesktop.Secret.Prompt"
    /// gnome-keyring's prompt-free extension.
    public static let gnomeInternalInterface = "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"
    /// `/org/freedesktop/secrets/aliases/default`.
    public static let defaultAliasPath: DBusObjectPath = "/org/freedesktop/secrets/aliases/default"
    /// `/org/freedesktop/secrets/collection/login`.
    public static let loginCollectionPath: DBusObjectPath = "/org/freedesktop/secrets/collection/login"
    /// `/org/freedesktop/secrets/collection/session`: gnome-keyring's in-memory collection.
    public static let sessionCollectionPath: DBusObjectPath = "/org/freedesktop/secrets/collection/session"

    /// The session algorithms.
    public static let dhAlgorithm = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
    public static let plainAlgorithm = "plain"
}
