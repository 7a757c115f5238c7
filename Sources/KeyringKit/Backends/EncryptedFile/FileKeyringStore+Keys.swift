// FileKeyringStore: choosing a password, deriving keys (Argon2id, never under the file lock), wrapping and unwrapping data keys.

internal import KeyringSystem

extension FileKeyringStore {
    func choosePassword(
        _ given: PasswordInput?, keyring: String, purpose: PasswordRequest.Purpose
    ) throws -> PasswordInput {
        if let given { return given }
        if let configuredPassword { return PasswordInput(bytes: configuredPassword, source: .configured) }
        if let environmentPassword { return PasswordInput(bytes: environmentPassword, source: .environment) }
        throw PasswordNeeded(keyring: keyring, purpose: purpose)
    }

    func deriveKey(_ password: PasswordInput, header: KeyringFileHeader) throws(KeyringError) -> SecureBytes {
        assert(!holdsLock, "Argon2id must run before the file lock is taken, not under it")
        let key = password.bytes.withUnsafeBytes { raw in
            Sodium.argon2id(
                password: raw, salt: header.salt, opsLimit: UInt64(header.kdf.operations),
                memLimit: header.kdf.memoryBytes, outputLength: Sodium.aeadKeyBytes)
        }
        guard let key else {
            throw KeyringError(.backendFailure, "Argon2id could not run with \(header.kdf): not enough memory?")
        }
        return key
    }

    func unwrapDataKey(
        _ header: KeyringFileHeader, password: PasswordInput, keyring: String, path: String
    ) throws(KeyringError) -> SecureBytes {
        let passwordKey = try deriveKey(password, header: header)
        let dataKey = header.wrappedKey.withUnsafeBytes { wrapped in
            Sodium.open(wrapped, associatedData: header.keyWrapAssociatedData, nonce: header.keyNonce, key: passwordKey)
        }
        guard let dataKey, dataKey.count == KeyringFileHeader.dataKeySize else {
            let what: String
            switch password.source {
            case .caller, .provider: what = "the password"
            case .configured: what = "the password the program was configured with"
            case .environment: what = "the password in KEYRING_FILE_PASSWORD"
            }
            throw KeyringError(.wrongPassword, "\(what) does not open the keyring '\(keyring)' (\(path)); check it and try again")
        }
        return dataKey
    }

    /// Makes a fresh data key wrapped under `password` (Argon2id), for a keyring to be created or
    /// re-keyed; it becomes the keyring's key when it is first written.
    func newKeyring(password: PasswordInput) throws(KeyringError) -> UnlockedKeyring {
        let dataKey = SecureBytes(count: KeyringFileHeader.dataKeySize)
        dataKey.withUnsafeMutableBytes { Sodium.fillRandom($0) }
        var header = KeyringFileHeader(
            kdf: kdf, salt: Sodium.randomBytes(Sodium.pwhashSaltBytes), keyNonce: Sodium.randomBytes(Sodium.aeadNonceBytes),
            wrappedKey: [], bodyNonce: [UInt8](repeating: 0, count: Sodium.aeadNonceBytes))
        let passwordKey = try deriveKey(password, header: header)
        header.wrappedKey = dataKey.withUnsafeBytes { raw in
            Sodium.seal(raw, associatedData: header.keyWrapAssociatedData, nonce: header.keyNonce, key: passwordKey)
        }
        return UnlockedKeyring(header: header, headerBytes: header.encoded(), dataKey: dataKey)
    }

    /// The held key of the keyring whose parsed header is `header`, unwrapped (Argon2id) and
    /// remembered when the held one is for another key block or none is held. Never called
    /// under the lock.
    func unlockedKeyring(
        _ keyring: String, header: KeyringFileHeader, headerBytes: [UInt8], path: String, password: PasswordInput?
    ) throws -> UnlockedKeyring {
        if let held = heldKeyring(keyring, headerBytes: headerBytes) { return held }
        let input = try choosePassword(password, keyring: keyring, purpose: .unlock)
        let dataKey = try unwrapDataKey(header, password: input, keyring: keyring, path: path)
        let state = UnlockedKeyring(header: header, headerBytes: headerBytes, dataKey: dataKey)
        unlocked[keyring] = state
        return state
    }

    /// The held key of the keyring if it is the key of this header's key block (a file too short
    /// to have one has no key).
    func heldKeyring(_ keyring: String, headerBytes: [UInt8]) -> UnlockedKeyring? {
        guard let held = unlocked[keyring], headerBytes.count >= KeyringFileHeader.keyBlockRange.upperBound,
            held.keyBlock.elementsEqual(headerBytes[KeyringFileHeader.keyBlockRange])
        else { return nil }
        return held
    }
}
