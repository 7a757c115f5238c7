public import KeyringSystem

/// Why a backend needs a password, given to a ``PasswordProvider``.
public struct PasswordRequest: Sendable, Hashable {
    /// What the password is for.
    public enum Purpose: String, Sendable, Hashable {
        /// Opening an existing keyring.
        case unlock
        /// Protecting a keyring that is being created: a prompt should ask twice.
        case create
    }

    /// The backend asking (`file`).
    public var backend: String
    /// The keyring the password is for.
    public var keyring: String
    /// Unlock an existing keyring, or protect a new one.
    public var purpose: Purpose
    /// 1 for the first request; higher after a wrong password.
    public var attempt: Int

    /// Creates a request.
    /// - Parameters:
    ///   - backend: The backend asking.
    ///   - keyring: The keyring the password is for.
    ///   - purpose: Unlock or create.
    ///   - attempt: 1 for the first request.
    public init(backend: String, keyring: String, purpose: Purpose, attempt: Int) {
        self.backend = backend
        self.keyring = keyring
        self.purpose = purpose
        self.attempt = attempt
    }
}

/// Supplies a keyring password on demand, for example by prompting on a terminal without echo.
///
/// Return `nil` when no password is available (the user cancelled); the backend then throws
/// ``KeyringError/Code/locked``. A thrown error is passed on unchanged.
public typealias PasswordProvider = @Sendable (PasswordRequest) async throws -> SecureBytes?

extension Keyring {
    /// Makes a ``PasswordProvider`` from a function that reads a password into an ordinary
    /// array (a terminal prompt): the array is copied into `SecureBytes` and wiped.
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
