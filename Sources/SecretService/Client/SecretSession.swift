package import DBus

/// An open Secret Service session: its object path and, for the DH algorithm, the AES key that
/// encrypts every secret crossing the bus. Reused for all operations on a connection.
package final class SecretSession: Sendable {
    package let path: DBusObjectPath
    /// `nil` for the `plain` algorithm.
    let key: SessionKey?

    private init(path: DBusObjectPath, key: SessionKey?) {
        self.path = path
        self.key = key
    }

    /// Opens a session (`OpenSession`): DH by default; `plain` only when asked for, or when the
    /// server answers `NotSupported` and the caller allows the fallback.
    /// - Parameter keyPair: a key pair made beforehand (the client makes it while connecting).
    package static func open(
        on connection: DBusConnection, algorithm: SecretServiceClient.SessionAlgorithm, keyPair: DHKeyPair? = nil
    ) async throws -> SecretSession {
        let service = ServiceProxy(connection: connection)
        if algorithm == .plain {
            let (_, path) = try await service.openSession(algorithm: SecretServiceNames.plainAlgorithm, input: .string(""))
            return SecretSession(path: path, key: nil)
        }
        let keyPair = keyPair ?? DHKeyPair(group: .ietf1024)
        do {
            let (output, path) = try await service.openSession(
                algorithm: SecretServiceNames.dhAlgorithm, input: .bytes(keyPair.publicKey))
            do {
                let shared = try keyPair.sharedSecret(peerPublicKey: try output.asBytes())
                return SecretSession(path: path, key: SessionKey(sharedSecret: shared))
            } catch {
                try? SessionProxy(connection: connection, path: path).closeNoReply()
                throw error
            }
        } catch let error as DBusError where error.name == DBusError.Name.notSupported && algorithm == .automatic {
            let (_, path) = try await service.openSession(algorithm: SecretServiceNames.plainAlgorithm, input: .string(""))
            return SecretSession(path: path, key: nil)
        }
    }

    /// Whether secrets are encrypted on the bus.
    var isEncrypted: Bool { key != nil }

    /// The `(oayays)` struct carrying `secret` in this session.
    func encode(_ secret: Secret) -> DBusValue {
        let parameters: [UInt8]
        let value: [UInt8]
        if let key {
            (parameters, value) = secret.withUnsafeBytes { key.encrypt($0) }
        } else {
            parameters = []
            value = secret.bytes.unprotectedArray
        }
        return .structure([.objectPath(path), .bytes(parameters), .bytes(value), .string(secret.contentType)])
    }

    /// The secret inside an `(oayays)` struct received in this session.
    /// - Throws: ``SessionCryptoError`` for a bad IV, length or padding; ``DBusError`` for a malformed struct.
    func decode(_ value: DBusValue) throws -> Secret {
        let fields = try value.asStructure()
        guard fields.count == 4 else {
            throw DBusError(.typeMismatch, "a secret struct has 4 fields, got \(fields.count)")
        }
        let parameters = try fields[1].asBytes()
        let contentType = try fields[3].asString()
        if let key {
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
