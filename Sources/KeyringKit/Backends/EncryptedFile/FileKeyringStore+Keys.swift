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

    /// The data key, unwrapped with the key Argon2id derives from `password`, and that key.
    func unwrapDataKey(
        _ header: KeyringFileHeader, password: PasswordInput, keyring: String, path: String
    ) throws(KeyringError) -> (dataKey: SecureBytes, passwordKey: SecureBytes) {
        let passwordKey = try deriveKey(password, header: header)
        guard let dataKey = unwrapDataKey(header, passwordKey: passwordKey) else {
            let what: String
            switch password.source {
            case .caller, .provider: what = "the password"
            case .configured: what = "the password the program was configured with"
            case .environment: what = "the password in KEYRING_FILE_PASSWORD"
            }
            throw KeyringError(.wrongPassword, "\(what) does not open the keyring '\(keyring)' (\(path)); check it and try again")
        }
        return (dataKey, passwordKey)
    }

    /// The data key, when `passwordKey` unwraps it (the AEAD tag checks it); `nil` otherwise.
    func unwrapDataKey(_ header: KeyringFileHeader, passwordKey: SecureBytes) -> SecureBytes? {
        let dataKey = header.wrappedKey.withUnsafeBytes { wrapped in
            Sodium.open(wrapped, associatedData: header.keyWrapAssociatedData, nonce: header.keyNonce, key: passwordKey)
        }
        guard let dataKey, dataKey.count == KeyringFileHeader.dataKeySize else { return nil }
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
        return UnlockedKeyring(header: header, headerBytes: header.encoded(), dataKey: dataKey, passwordKey: passwordKey)
    }

    /// The held key of the keyring whose parsed header is `header`, unwrapped (Argon2id) and
    /// remembered when the held one is for another key block or none is held. Never called
    /// under the lock.
    func unlockedKeyring(
        _ keyring: String, header: KeyringFileHeader, headerBytes: [UInt8], path: String, password: PasswordInput?
    ) throws -> UnlockedKeyring {
        if let held = heldKeyring(keyring, headerBytes: headerBytes) { return held }
        if password == nil, let state = sessionKeyring(header: header, headerBytes: headerBytes) {
            unlocked[keyring] = state
            return state
        }
        let input = try choosePassword(password, keyring: keyring, purpose: .unlock)
        let (dataKey, passwordKey) = try unwrapDataKey(header, password: input, keyring: keyring, path: path)
        if input.source == .provider, let remember = session.rememberPrompted {
            // As sudo remembers a password: a failing holder only means the next command asks again.
            try? holdForSession(passwordKey, headerBytes: headerBytes, timeout: remember)
        }
        let state = UnlockedKeyring(header: header, headerBytes: headerBytes, dataKey: dataKey)
        unlocked[keyring] = state
        return state
    }

    // MARK: The session holder

    func noSessionHolder() -> KeyringError {
        KeyringError(
            .unsupported,
            "there is nowhere to keep the keyring unlocked for the session here (KEYRING_SESSION_HOLDER=none, "
                + "or no directory for the key agent)")
    }

    /// The name the session holder keeps this file's key under, or `nil` for a file too short to have a key block.
    func sessionName(headerBytes: [UInt8]) -> String? {
        guard headerBytes.count >= KeyringFileHeader.keyBlockRange.upperBound else { return nil }
        return SessionKeyHolder.name(forKeyBlock: headerBytes[KeyringFileHeader.keyBlockRange])
    }

    /// The keyring opened with the key the session holder keeps for this key block, when it
    /// holds one that unwraps the data key; a held key that does not is dropped.
    func sessionKeyring(header: KeyringFileHeader, headerBytes: [UInt8]) -> UnlockedKeyring? {
        guard let holder = session.holder, let name = sessionName(headerBytes: headerBytes),
            let passwordKey = holder.load(named: name)
        else { return nil }
        guard let dataKey = unwrapDataKey(header, passwordKey: passwordKey) else {
            _ = try? holder.release(named: name)
            return nil
        }
        return UnlockedKeyring(header: header, headerBytes: headerBytes, dataKey: dataKey)
    }

    /// Gives the session holder the key derived for this key block, for `timeout`.
    func holdForSession(_ passwordKey: SecureBytes, headerBytes: [UInt8], timeout: Duration) throws(KeyringError) {
        guard let holder = session.holder else { throw noSessionHolder() }
        guard let name = sessionName(headerBytes: headerBytes) else { return }
        try holder.hold(passwordKey, named: name, timeout: timeout)
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
