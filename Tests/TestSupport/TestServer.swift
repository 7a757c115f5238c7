import Foundation

/// A Secret Service server the integration tests can run against, started headless on a
/// private bus by `dbus-fixtures/start-bus --server NAME` (dbus-fixtures/servers.sh says how).
///
/// The suites that test the protocol and the interoperability with other clients run against
/// ``current``: `KEYRING_TEST_SERVER`, gnome-keyring when unset. `scripts/test` runs every suite on
/// gnome-keyring, then those suites once more on each other server. What a server does
/// differently is written down in its ``profile`` and asserted by the tests, never skipped.
public enum TestServer: String, CaseIterable, Sendable, CustomStringConvertible {
    /// gnome-keyring-daemon 42 (`--components=secrets`), with a test prompter.
    case gnomeKeyring = "gnome-keyring"
    /// kwalletd5 (KDE Frameworks 5.103), wallets with the empty password.
    case kwallet
    /// KeePassXC 2.7, two databases opened with their password on stdin.
    case keepassxc
    /// libsecret 0.20's own test double (`libsecret/mock/service.py`), in memory.
    case libsecretMock = "libsecret-mock"
    /// pass-secret-service 0.1a0 over pass and GnuPG.
    case passSecretService = "pass-secret-service"

    /// The server named by `KEYRING_TEST_SERVER`, or gnome-keyring. An unknown name stops the
    /// test run with the list of known ones: a typo must not test gnome-keyring in disguise.
    public static let current: TestServer = {
        guard let name = ProcessInfo.processInfo.environment["KEYRING_TEST_SERVER"], !name.isEmpty else {
            return .gnomeKeyring
        }
        guard let server = TestServer(rawValue: name) else {
            fatalError(
                "KEYRING_TEST_SERVER=\(name) is not a server the tests know: "
                    + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return server
    }()

    public var description: String { rawValue }

    /// What this server does, and does differently.
    public var profile: ServerProfile { ServerProfile(self) }

    /// The size of the largest secret the tests give this server: 1 MiB, or 16 KiB for the
    /// libsecret mock and pass-secret-service (``ServerProfile/takesLargeSecretsQuickly``).
    public var largeSecretSize: Int { profile.takesLargeSecretsQuickly ? 1 << 20 : 1 << 14 }
}

/// How a prompt of one kind ends on a headless server with nobody to answer it.
public enum HeadlessPrompt: Sendable, Equatable {
    /// No prompt at all: the server does it at once (a client that may not show prompts gets
    /// it done too: the libsecret mock and pass-secret-service unlock when asked).
    case none
    /// A prompt that completes by itself.
    case completes
    /// Completes at once as dismissed (gnome-keyring without a prompter: gcr-prompter cannot
    /// open a display).
    case dismissed
    /// Opens a dialog nobody can answer: the prompt never completes (the client's deadline ends it).
    case neverCompletes
}

/// The facts about one server that the tests assert, one place per server.
///
/// Each `false` or non-default value is a difference a user of that server meets; the tests
/// check that the server still behaves so (a server that starts to behave like the others makes
/// them fail, and the entry goes). Differences that swift-keyring works around are not here:
/// those tests expect the same result on every server.
public struct ServerProfile: Sendable {
    public let server: TestServer

    /// The object path of the collection the `default` alias names when the server starts;
    /// nil when it differs from run to run (pass-secret-service names collections by UUID).
    public let defaultCollection: String?
    /// Another unlocked collection, not the default one; nil when the server starts with only
    /// one (the tests then create it: pass-secret-service creates collections without a prompt).
    public let secondCollection: String?

    /// A secret's content type comes back as it was stored. gnome-keyring 42 and
    /// pass-secret-service answer `text/plain` for every secret.
    public let keepsContentType: Bool
    /// A text content type comes back with its parameters (`text/plain; charset=utf8`).
    /// KeePassXC answers `text/plain` for it.
    public let keepsContentTypeParameters: Bool
    /// `CreateItem`, `Item.Delete` and `Lock` answer with a prompt (KeePassXC's, which completes
    /// without a window when its confirmations are off). swift-keyring completes these even when
    /// it may not prompt (in an unlocked collection they ask nobody, and they run within the call
    /// timeout), so the `keyring` command writes there headless too.
    public let promptsForWrites: Bool
    /// Every item carries attributes of the server's own besides the ones it was given
    /// (KeePassXC: `Title`, `UserName`, `URL`, `Notes`, `Uuid`, `Path`).
    public let addsAttributes: Bool
    /// Secrets may be any bytes. pass-secret-service stores secrets as UTF-8 text: a secret that
    /// is not valid UTF-8 fails to store.
    public let storesAnyBytes: Bool
    /// Whether the server takes a secret of 1 MiB within the tests' deadlines: the libsecret
    /// mock decrypts in pure Python (AES in `mock/aes.py`): 67 s to store 1 MiB, 72 s to read
    /// it; pass-secret-service took more than the 10 s call deadline to read 1 MiB back.
    public let takesLargeSecretsQuickly: Bool
    /// `SetAlias` works.
    public let setsAliases: Bool
    /// The collection's `Label` can be written.
    public let relabelsCollections: Bool
    /// Items and collections keep `Created`/`Modified` times. pass-secret-service answers 0.
    public let hasItemTimes: Bool
    /// What `Unlock` of a locked collection does headless.
    public let unlockPrompt: HeadlessPrompt
    /// What `CreateCollection` does headless.
    public let createCollectionPrompt: HeadlessPrompt
    /// How long after a change the server may take to have it on disk, so that a crash (SIGKILL)
    /// loses nothing: kwalletd5 writes a wallet 5 s after a change; KeePassXC saves its database
    /// after each change in the background (a key derivation, most of a second on a busy machine).
    public let savesWithin: Duration
    /// What is stored survives a restart of the server. The libsecret mock keeps everything in memory.
    public let keepsItemsAcrossRestarts: Bool
    /// gnome-keyring's private interface for master passwords
    /// (`org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface`) is there.
    public let hasMasterPasswordInterface: Bool

    init(_ server: TestServer) {
        self.server = server
        let collections = "/org/freedesktop/secrets/collection/"
        switch server {
        case .gnomeKeyring:
            defaultCollection = collections + "login"
            secondCollection = collections + "session"
            keepsContentType = false
            keepsContentTypeParameters = false
            promptsForWrites = false
            addsAttributes = false
            storesAnyBytes = true
            takesLargeSecretsQuickly = true
            setsAliases = true
            relabelsCollections = true
            hasItemTimes = true
            unlockPrompt = .dismissed
            createCollectionPrompt = .dismissed
            savesWithin = .zero
            keepsItemsAcrossRestarts = true
            hasMasterPasswordInterface = true
        case .kwallet:
            defaultCollection = collections + "kdewallet"
            secondCollection = collections + "second"
            keepsContentType = true
            keepsContentTypeParameters = true
            promptsForWrites = false
            addsAttributes = false
            storesAnyBytes = true
            takesLargeSecretsQuickly = true
            setsAliases = true
            relabelsCollections = true
            hasItemTimes = true
            unlockPrompt = .completes
            createCollectionPrompt = .neverCompletes
            savesWithin = .seconds(6)
            keepsItemsAcrossRestarts = true
            hasMasterPasswordInterface = false
        case .keepassxc:
            defaultCollection = collections + "second"
            secondCollection = collections + "ci"
            keepsContentType = true
            keepsContentTypeParameters = false
            promptsForWrites = true
            addsAttributes = true
            storesAnyBytes = true
            takesLargeSecretsQuickly = true
            setsAliases = false
            relabelsCollections = true
            hasItemTimes = true
            unlockPrompt = .neverCompletes
            createCollectionPrompt = .neverCompletes
            savesWithin = .seconds(3)
            keepsItemsAcrossRestarts = true
            hasMasterPasswordInterface = false
        case .libsecretMock:
            defaultCollection = collections + "default"
            secondCollection = collections + "second"
            keepsContentType = true
            keepsContentTypeParameters = true
            promptsForWrites = false
            addsAttributes = false
            storesAnyBytes = true
            takesLargeSecretsQuickly = false
            setsAliases = true
            relabelsCollections = true
            hasItemTimes = true
            unlockPrompt = .none
            createCollectionPrompt = .completes
            savesWithin = .zero
            keepsItemsAcrossRestarts = false
            hasMasterPasswordInterface = false
        case .passSecretService:
            defaultCollection = nil
            secondCollection = nil
            keepsContentType = false
            keepsContentTypeParameters = false
            promptsForWrites = false
            addsAttributes = false
            storesAnyBytes = false
            takesLargeSecretsQuickly = false
            setsAliases = true
            relabelsCollections = true
            hasItemTimes = false
            unlockPrompt = .none
            createCollectionPrompt = .completes
            savesWithin = .zero
            keepsItemsAcrossRestarts = true
            hasMasterPasswordInterface = false
        }
    }
}
