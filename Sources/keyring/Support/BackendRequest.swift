internal import KeyringKit

/// The backend asked for with `-b/--backend`: one of KeyringKit's names, `auto`, or the name of
/// a Python keyring backend class (pip's and uv's users may pass those), mapped onto ours.
enum BackendRequest: Equatable {
    /// KeyringKit's choice: `KEYRING_BACKEND`, the configuration file, then automatic.
    case automatic
    /// One backend by name: built-in, or added by this build (``BackendProviders``).
    case kind(BackendKind)
    /// Python's `keyring.backends.null.Keyring`: nothing is stored and nothing is found.
    case disabled(String)

    /// The names accepted besides Python class names, for messages and completion.
    static let names = BackendKind.allCases.map(\.rawValue) + BackendProviders.all.map(\.name) + ["auto"]

    /// Python keyring backend classes and what they become here. Names are compared without case.
    private static let pythonNames: [String: BackendRequest] = [
        "keyring.backends.secretservice.keyring": .kind(.secretService),
        "keyring.backends.libsecret.keyring": .kind(.secretService),
        "keyring.backends.kwallet.dbuskeyring": .kind(.secretService),
        "keyring.backends.kwallet.dbuskeyringkwallet4": .kind(.secretService),
        "keyrings.alt.file.encryptedkeyring": .kind(.file),
        "keyrings.alt.file.plaintextkeyring": .kind(.file),
        "keyrings.cryptfile.cryptfile.cryptfilekeyring": .kind(.file),
        "keyring.backends.chainer.chainerbackend": .automatic,
        "keyring.backends.null.keyring": .disabled("keyring.backends.null.Keyring"),
    ]

    /// Python backends that exist only on other systems.
    private static let otherSystems: [String: String] = [
        "keyring.backends.macos.keyring": "macOS",
        "keyring.backends.windows.winvaultkeyring": "Windows",
        "keyring.backends.fail.keyring": "no system (it always fails)",
    ]

    /// Parses a backend name.
    /// - Throws: ``CommandExit`` with status 2 for an unknown name, 4 for a backend of another system.
    init(parsing text: String) throws(CommandExit) {
        let name = text.trimmedWhitespace.lowercased()
        if name == "auto" {
            self = .automatic
        } else if let kind = BackendKind(rawValue: name) {
            self = .kind(kind)
        } else if let provider = BackendProviders.provider(named: name) {
            self = .kind(provider.kind)
        } else if let python = Self.pythonNames[name] {
            self = python
        } else if let system = Self.otherSystems[name] {
            throw CommandExit(
                .unavailable,
                "the backend '\(text)' is Python keyring's backend for \(system); on Linux use -b secret-service or -b file")
        } else {
            throw CommandExit.usage(
                "unknown backend '\(text)'; use one of \(Self.names.joined(separator: ", ")) "
                    + "(Python names such as keyring.backends.SecretService.Keyring are accepted too)")
        }
    }
}
