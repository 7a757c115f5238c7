internal import KeyringKit
import Synchronization

/// The variables that hold secrets of this program's own (``isSecretSetting(_:)``:
/// `KEYRING_FILE_PASSWORD`, the env backend's `KEYRING_SECRET_*`), taken out of the real
/// environment at start-up (``removeFromEnvironment()``): their bytes are overwritten where the
/// kernel shows them (`/proc/PID/environ`), they are not handed to `run`'s command, and
/// ``environment()`` still gives them to the backends from a private copy.
enum SecretSettings {
    /// The secret settings removed from `environ`, for ``environment()``.
    private static let removed = Mutex<[String: String]>([:])

    /// Whether a variable is a setting of this program that holds a secret.
    static func isSecretSetting(_ name: some StringProtocol) -> Bool {
        name == EncryptedFileBackend.passwordVariable || name.hasPrefix(EnvironmentBackend.variablePrefix)
    }

    /// The process environment plus the removed secret settings.
    static func environment() -> [String: String] {
        ProcessEnvironment.current().merging(removed.withLock { $0 }) { current, _ in current }
    }

    /// Takes the secret settings out of the environment (see the type's summary). Called once,
    /// first thing, before any other thread runs.
    static func removeFromEnvironment() {
        let secrets = ProcessEnvironment.current().filter { isSecretSetting($0.key) }
        removed.withLock { $0.merge(secrets) { kept, _ in kept } }
        for name in secrets.keys { ProcessEnvironment.remove(name) }
    }
}
