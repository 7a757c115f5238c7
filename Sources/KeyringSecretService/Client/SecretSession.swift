package import KeyringDBus
internal import KeyringSystem
package import KeyringDH

/// An open Secret Service session: its object path and, for the DH algorithm, the AES key that
/// encrypts every secret crossing the bus. Reused for all operations on a connection.
package final class SecretSession: Sendable {
    package let path: DBusObjectPath
    /// The AES key, derived off the caller's path (see ``open(_:on:)``); `nil` for the `plain`
    /// algorithm. The task's value is `nil` when the shared secret came out with a zero top
    /// byte: the session is then unusable everywhere (``SessionUnusable``).
    private let key: Task<SessionKey?, Never>?

    private init(path: DBusObjectPath, key: Task<SessionKey?, Never>?) {
        self.path = path
        self.key = key
    }

    /// Why a session cannot carry secrets and must be replaced by a new one (on a new connection):
    /// its shared secret has a zero top byte, which KWallet (5.x at least) hashes without the
    /// leading zero, unlike the specification and every other server (docs/secret-service-protocol.md,
    /// Session encryption). About one session in 256; the client opens another.
    package struct SessionUnusable: Error, Sendable {}

    /// A key pair for `OpenSession` that every server reads as the number it is.
    ///
    /// KWallet (5.x at least) reads the client's key as a signed number and takes one that
    /// starts with `0xFF` followed by a byte ≥ `0x80` for a negative one (about one key in 512),
    /// and the session fails. The client knows its key before it sends it, so such a key is
    /// simply drawn again: it costs nothing on any server, and the draw happens ahead of time
    /// (``SecretServicePreparation``, or while the connection is made).
    package static func makeKeyPair() -> DHKeyPair {
        while true {
            let pair = DHKeyPair(group: .ietf1024)
            if isAcceptedEverywhere(pair.publicKey) { return pair }
        }
    }

    /// Whether every server reads `publicKey` (128 bytes, left-padded) as the positive number it
    /// is: false for a key KWallet reads as negative (see ``makeKeyPair()``).
    package static func isAcceptedEverywhere(_ publicKey: [UInt8]) -> Bool {
        !(publicKey.count >= 2 && publicKey[0] == 0xFF && publicKey[1] >= 0x80)
    }

    /// Whether a shared secret can be used with every server: false when its top byte is zero,
    /// which KWallet hashes without that byte (see ``SessionUnusable``). This branches on one
    /// byte of a secret that is thrown away when the answer is false; what it tells an observer
    /// (that a new session was opened) is about a key that is never used.
    static func isUsableEverywhere(_ sharedSecret: SecureBytes) -> Bool {
        sharedSecret.withUnsafeBytes { $0.first != 0 }
    }

    /// An `OpenSession` on its way (``request(on:algorithm:keyPair:)``).
    package struct Request: Sendable {
        let reply: DBusPendingReply
        let algorithm: SecretServiceClient.SessionAlgorithm
        /// `nil` when `plain` was requested.
        let keyPair: DHKeyPair?
    }

    /// Opens a session (`OpenSession`): DH by default; `plain` only when asked for, or when the
    /// server answers `NotSupported` and the caller allows the fallback.
    /// - Parameter keyPair: a key pair made beforehand (replaced by a new one when some server
    ///   would misread it, ``isAcceptedEverywhere(_:)``); a new one otherwise.
    package static func open(
        on connection: DBusConnection, algorithm: SecretServiceClient.SessionAlgorithm, keyPair: DHKeyPair? = nil
    ) async throws -> SecretSession {
        let made = keyPair.map { pair in Task { pair } }
        return try await open(request(on: connection, algorithm: algorithm, keyPair: made), on: connection)
    }

    /// Sends `OpenSession` once the daemon is ready for it and the key pair is made, and returns
    /// without waiting for the answer, so that the caller knows what is on the wire before
    /// what it sends next: ``open(_:on:)`` completes it.
    ///
    /// Ready means: the daemon has answered a property read (`Collections`), sent first, while
    /// the key pair is computed. gnome-keyring (42 to 50 at least) exports its service object
    /// before it installs the message filter through which it learns of its clients; an
    /// `OpenSession` that arrives in between is handled for a client it does not know, and the
    /// daemon aborts (a NULL client in `aes_negotiate`): seen here on daemons less than a second
    /// old, about once in 25 fresh daemons hit by back-to-back `keyring get`s. Property reads
    /// are answered from the daemon's main loop, which runs only once that set-up is complete.
    /// The read's own answer is not looked at: an error (no daemon, say) is `OpenSession`'s to
    /// report.
    /// - Parameter keyPair: a key pair being made beforehand; a new one otherwise (DH only).
    package static func request(
        on connection: DBusConnection, algorithm: SecretServiceClient.SessionAlgorithm,
        keyPair: Task<DHKeyPair, Never>? = nil
    ) async throws -> Request {
        let service = ServiceProxy(connection: connection)
        let readiness = try? service.startCollectionsRead()
        let made = algorithm == .plain ? nil : await keyPair?.value
        _ = try? await readiness?.reply()
        if algorithm == .plain {
            let reply = try service.startOpenSession(algorithm: SecretServiceNames.plainAlgorithm, input: .string(""))
            return Request(reply: reply, algorithm: algorithm, keyPair: nil)
        }
        let keyPair = made.flatMap { isAcceptedEverywhere($0.publicKey) ? $0 : nil } ?? makeKeyPair()
        let reply = try service.startOpenSession(algorithm: SecretServiceNames.dhAlgorithm, input: .bytes(keyPair.publicKey))
        // While the server works on its key pair (milliseconds), not after.
        Task.detached(executorPreference: ThreadExecutor.sessionCrypto) { SessionKey.prepare() }
        return Request(reply: reply, algorithm: algorithm, keyPair: keyPair)
    }

    /// Waits for the answer to `request`.
    ///
    /// Returns as soon as the server has answered with a valid public key. The shared secret
    /// and the AES key are derived on another thread meanwhile, so the first call that uses the
    /// session is on the wire while they are computed; encoding and decoding wait for them.
    package static func open(_ request: Request, on connection: DBusConnection) async throws -> SecretSession {
        let service = ServiceProxy(connection: connection)
        guard let keyPair = request.keyPair else {
            let (_, path) = try ServiceProxy.openSessionResult(await request.reply.reply())
            return SecretSession(path: path, key: nil)
        }
        do {
            let (output, path) = try ServiceProxy.openSessionResult(await request.reply.reply())
            let peerKey: [UInt8]
            do {
                peerKey = try output.asBytes()
                try checkLength(ofPeerKey: peerKey, in: keyPair.group)
                try keyPair.check(peerPublicKey: peerKey)
            } catch {
                try? SessionProxy(connection: connection, path: path).closeNoReply()
                throw error
            }
            let key = Task.detached(executorPreference: ThreadExecutor.sessionCrypto) { () -> SessionKey? in
                let shared = keyPair.sharedSecret(checkedPeerPublicKey: peerKey)
                return isUsableEverywhere(shared) ? SessionKey(sharedSecret: shared) : nil
            }
            return SecretSession(path: path, key: key)
        } catch let error as DBusError where error.name == DBusError.Name.notSupported && request.algorithm == .automatic {
            let (_, path) = try await service.openSession(algorithm: SecretServiceNames.plainAlgorithm, input: .string(""))
            return SecretSession(path: path, key: nil)
        }
    }

    /// Refuses a server key whose length says it is no key of `group`, before its value is
    /// looked at: longer than the prime plus one zero byte (129 bytes, as old KWallet sent), or
    /// with fewer than three quarters of the prime's bytes significant. A real key is that
    /// short once in 2^256 sessions; a shorter one is a truncated or made-up key, which would
    /// only fail later, as garbled secrets (or, one time in 250, as a wrong secret that passes
    /// the padding check). Servers send 127 bytes about once in 256 sessions: that is fine.
    /// - Throws: ``SessionCryptoError/invalidPeerKeyLength(_:significant:)``.
    static func checkLength(ofPeerKey key: [UInt8], in group: DHGroup) throws(SessionCryptoError) {
        let significant = DHGroup.significantByteCount(of: key)
        guard key.count <= group.primeByteCount + 1, significant >= group.primeByteCount * 3 / 4 else {
            throw .invalidPeerKeyLength(key.count, significant: significant)
        }
    }

    /// Whether secrets are encrypted on the bus.
    var isEncrypted: Bool { key != nil }

    /// Waits until the session key is derived; for benchmarks that time a whole session opening.
    /// - Returns: false when the session cannot carry secrets (``SessionUnusable``).
    @discardableResult
    package func waitForKey() async -> Bool {
        guard let key else { return true }
        return await key.value != nil
    }

    /// The session key, `nil` for `plain`.
    /// - Throws: ``SessionUnusable`` when the session must be replaced.
    private func sessionKey() async throws(SessionUnusable) -> SessionKey? {
        guard let key else { return nil }
        guard let derived = await key.value else { throw SessionUnusable() }
        return derived
    }

    /// The `(oayays)` struct carrying `secret` in this session.
    /// - Throws: ``SessionUnusable`` when the session must be replaced (nothing was sent).
    func encode(_ secret: Secret) async throws(SessionUnusable) -> DBusValue {
        let parameters: [UInt8]
        let value: [UInt8]
        if let key = try await sessionKey() {
            (parameters, value) = secret.withUnsafeBytes { key.encrypt($0) }
        } else {
            parameters = []
            value = secret.bytes.unprotectedArray
        }
        return .structure([.objectPath(path), .bytes(parameters), .bytes(value), .string(secret.contentType)])
    }

    /// The secret inside an `(oayays)` struct received in this session.
    /// - Throws: ``SessionCryptoError`` for a bad IV, length or padding; ``DBusError`` for a
    ///   malformed struct; ``SessionUnusable`` when the session must be replaced.
    func decode(_ value: DBusValue) async throws -> Secret {
        let fields = try value.asStructure()
        guard fields.count == 4 else {
            throw DBusError(.typeMismatch, "a secret struct has 4 fields, got \(fields.count)")
        }
        // As libsecret does: a secret encoded for another session (another key, or none) is
        // not this session's to decode.
        guard try fields[0].asObjectPath() == path else {
            throw DBusError(.typeMismatch, "the secret was encoded for another session than \(path.rawValue)")
        }
        let parameters = try fields[1].asBytes()
        let contentType = try fields[3].asString()
        if let key = try await sessionKey() {
            let plain = try key.decrypt(iv: parameters, ciphertext: try fields[2].asBytes())
            return Secret(secureBytes: plain, contentType: contentType)
        }
        var bytes = try fields[2].asBytes()
        defer { bytes.wipe() }
        return Secret(bytes: bytes, contentType: contentType)
    }

    /// Closes the session without waiting (`Session.Close`).
    package func close(on connection: DBusConnection) {
        try? SessionProxy(connection: connection, path: path).closeNoReply()
    }
}
