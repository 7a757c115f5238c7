internal import KeyringSystem

/// The fixed 136-byte header of an encrypted keyring file; `docs/FILE-FORMAT.md` has the layout.
///
/// ```
///   0   8  magic "SWKEYRNG"
///   8   1  format version (1)
///   9   1  KDF id (1 = Argon2id v1.3)
///  10   1  AEAD id (1 = XChaCha20-Poly1305-IETF)
///  11   1  reserved, 0
///  12   4  Argon2id opslimit, big-endian
///  16   4  Argon2id memlimit in KiB, big-endian
///  20  16  Argon2id salt
///  36  24  key-wrap nonce
///  60  48  data key wrapped under the password key (32 + 16-byte tag), AD = bytes 0..<36
/// 108  24  body nonce, fresh for every write
/// 132   4  CRC-32 of bytes 0..<132, big-endian
/// 136   …  body: entry table sealed under the data key (+ 16-byte tag), AD = bytes 0..<136
/// ```
struct KeyringFileHeader: Sendable {
    static let magic: [UInt8] = Array("SWKEYRNG".utf8)
    static let version: UInt8 = 1
    static let kdfArgon2id13: UInt8 = 1
    static let aeadXChaCha20Poly1305: UInt8 = 1

    static let saltRange = 20..<36
    static let keyNonceRange = 36..<60
    static let wrappedKeyRange = 60..<108
    static let bodyNonceRange = 108..<132
    static let checksumRange = 132..<136
    /// Bytes bound to the wrapped data key: everything the password key depends on.
    static let keyWrapAssociatedRange = 0..<36
    /// Bytes identifying the password and data key: unchanged by ordinary writes.
    static let keyBlockRange = 0..<108
    static let size = 136
    static let dataKeySize = 32

    var kdf: KDFParameters
    var salt: [UInt8]
    var keyNonce: [UInt8]
    var wrappedKey: [UInt8]
    var bodyNonce: [UInt8]

    /// Bytes 0..<36: magic, version, algorithms, KDF parameters and salt. The associated data
    /// of the key wrap, so the wrapped key opens only with the parameters it was made with.
    var keyWrapAssociatedData: [UInt8] {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.size)
        bytes += [Self.version, Self.kdfArgon2id13, Self.aeadXChaCha20Poly1305, 0]
        bytes += Self.bigEndian(kdf.operations)
        bytes += Self.bigEndian(UInt32(kdf.memoryBytes / 1024))
        bytes += salt
        return bytes
    }

    /// The 136 header bytes, with the checksum.
    func encoded() -> [UInt8] {
        precondition(keyNonce.count == 24 && wrappedKey.count == 48 && bodyNonce.count == 24)
        var bytes = keyWrapAssociatedData
        bytes += keyNonce + wrappedKey + bodyNonce
        bytes += Self.bigEndian(CRC32.checksum(bytes))
        precondition(bytes.count == Self.size)
        return bytes
    }

    /// Parses and checks a header: length, magic, version, algorithms, checksum, KDF bounds.
    /// - Parameters:
    ///   - file: The file's first bytes (all of them when it is shorter than a header).
    ///   - fileSize: The whole file's size.
    /// - Throws: ``KeyringError`` `badDataFormat` with a message naming `path`.
    static func parse(_ file: [UInt8], path: String, fileSize: Int) throws(KeyringError) -> KeyringFileHeader {
        guard file.count >= size, fileSize >= size + Sodium.aeadTagBytes else {
            if file.count >= magic.count, Array(file[0..<magic.count]) != magic {
                throw corrupt(path, "it is not a swift-keyring file (wrong magic bytes)")
            }
            throw corrupt(path, "it is truncated (\(fileSize) bytes, at least \(size + Sodium.aeadTagBytes) expected)")
        }
        guard Array(file[0..<magic.count]) == magic else {
            throw corrupt(path, "it is not a swift-keyring file (wrong magic bytes)")
        }
        guard readBigEndian(file, at: checksumRange.lowerBound) == CRC32.checksum(file[0..<checksumRange.lowerBound]) else {
            throw corrupt(path, "its header is damaged (checksum mismatch)")
        }
        guard file[8] == version else {
            guard file[8] > version else {
                throw corrupt(path, "its header names format version \(file[8]), which no swift-keyring writes")
            }
            throw KeyringError(
                .badDataFormat,
                "the keyring file \(path) has format version \(file[8]); this swift-keyring reads version \(version): upgrade swift-keyring"
            )
        }
        guard file[9] == kdfArgon2id13, file[10] == aeadXChaCha20Poly1305, file[11] == 0 else {
            throw corrupt(path, "its header names an unknown algorithm (\(file[9]), \(file[10]), \(file[11]))")
        }
        let operations = readBigEndian(file, at: 12)
        let memoryKiB = Int(readBigEndian(file, at: 16))
        let kdf: KDFParameters
        do {
            kdf = try KDFParameters(operations: operations, memoryBytes: memoryKiB * 1024)
        } catch {
            throw KeyringError(
                .badDataFormat,
                "the keyring file \(path) asks for Argon2id with \(operations) passes over \(memoryKiB) KiB, outside the accepted "
                    + "\(KDFParameters.operationsRange) passes and 8 MiB to 1 GiB; it was refused before hashing. "
                    + "Restore the file from a backup",
                underlying: error)
        }
        return KeyringFileHeader(
            kdf: kdf,
            salt: Array(file[saltRange]),
            keyNonce: Array(file[keyNonceRange]),
            wrappedKey: Array(file[wrappedKeyRange]),
            bodyNonce: Array(file[bodyNonceRange]))
    }

    static func corrupt(_ path: String, _ what: String) -> KeyringError {
        KeyringError(
            .badDataFormat,
            "the keyring file \(path) is corrupt: \(what); it was left untouched. Restore it from a backup or delete it")
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
