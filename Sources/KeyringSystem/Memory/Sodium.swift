// The one file in the package that calls libsodium.
//
// Everything above works with `SecureBytes` and Swift arrays. KeyringKit's encrypted file
// uses the password hashing and AEAD entry points through `package` access.

internal import CKeyringSodium

/// Thin, checked wrappers over the libsodium functions the package uses.
package enum Sodium {
    /// `sodium_init()`: safe to call many times; evaluated once.
    private static let initialized: Bool = sodium_init() >= 0

    /// Makes sure libsodium is initialised; every entry point calls it.
    @inline(__always)
    package static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialise")
    }

    // MARK: Memory

    /// Overwrites `buffer` with zeros in a way the compiler cannot elide (`sodium_memzero`).
    package static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        sodium_memzero(base, buffer.count)
    }

    /// Constant-time comparison (`sodium_memcmp`).
    package static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard a.count > 0 else { return true }
        return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }

    // MARK: Randomness

    /// Fills `buffer` from the system CSPRNG (`randombytes_buf`).
    package static func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        ensureInitialized()
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        randombytes_buf(base, buffer.count)
    }

    /// `count` random bytes from the system CSPRNG.
    package static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { fillRandom($0) }
        return bytes
    }

    // MARK: BLAKE2b (crypto_generichash)

    /// A `length`-byte BLAKE2b digest of `data` (16 to 64 bytes), for names derived from
    /// public data such as a keyring file's key block.
    package static func hash(_ data: UnsafeRawBufferPointer, length: Int) -> [UInt8] {
        ensureInitialized()
        precondition(length >= Int(crypto_generichash_BYTES_MIN) && length <= Int(crypto_generichash_BYTES_MAX))
        var digest = [UInt8](repeating: 0, count: length)
        _ = digest.withUnsafeMutableBytes { out in
            crypto_generichash(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), length,
                data.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(data.count), nil, 0)
        }
        return digest
    }

    // MARK: Argon2id (crypto_pwhash)

    package static let pwhashSaltBytes = Int(crypto_pwhash_SALTBYTES)
    package static let pwhashOpsLimitMin = UInt64(crypto_pwhash_OPSLIMIT_MIN)
    package static let pwhashOpsLimitMax = UInt64(crypto_pwhash_OPSLIMIT_MAX)
    package static let pwhashMemLimitMin = Int(crypto_pwhash_MEMLIMIT_MIN)
    package static let pwhashOpsLimitInteractive = UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE)
    package static let pwhashMemLimitInteractive = Int(crypto_pwhash_MEMLIMIT_INTERACTIVE)
    package static let pwhashOpsLimitModerate = UInt64(crypto_pwhash_OPSLIMIT_MODERATE)
    package static let pwhashMemLimitModerate = Int(crypto_pwhash_MEMLIMIT_MODERATE)

    /// Derives `outputLength` bytes from `password` with Argon2id v1.3 (`crypto_pwhash`).
    /// - Returns: the key in locked, self-wiping memory, or `nil` when libsodium fails
    ///   (out of memory, or parameters out of its range).
    package static func argon2id(
        password: UnsafeRawBufferPointer,
        salt: [UInt8],
        opsLimit: UInt64,
        memLimit: Int,
        outputLength: Int
    ) -> SecureBytes? {
        ensureInitialized()
        precondition(salt.count == pwhashSaltBytes, "Argon2id salt must be \(pwhashSaltBytes) bytes")
        let key = SecureBytes(count: outputLength)
        // An empty password still needs a valid pointer.
        let passwordCopy = SecureBytes(copying: password)
        let status = key.withUnsafeMutableBytes { out in
            passwordCopy.withUnsafeBytes { pw in
                salt.withUnsafeBufferPointer { saltPointer in
                    crypto_pwhash(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(out.count),
                        pw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(pw.count),
                        saltPointer.baseAddress!, opsLimit, memLimit, crypto_pwhash_ALG_ARGON2ID13)
                }
            }
        }
        return status == 0 ? key : nil
    }

    // MARK: XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf)

    package static let aeadKeyBytes = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    package static let aeadNonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    package static let aeadTagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// Encrypts and authenticates `plaintext`, binding `associatedData`.
    /// - Returns: ciphertext followed by the 16-byte tag.
    package static func seal(
        _ plaintext: UnsafeRawBufferPointer,
        associatedData: [UInt8],
        nonce: [UInt8],
        key: SecureBytes
    ) -> [UInt8] {
        ensureInitialized()
        precondition(nonce.count == aeadNonceBytes && key.count == aeadKeyBytes)
        var out = [UInt8](repeating: 0, count: plaintext.count + aeadTagBytes)
        var outLength: UInt64 = 0
        out.withUnsafeMutableBufferPointer { o in
            key.withUnsafeBytes { k in
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    o.baseAddress!, &outLength,
                    plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                    associatedData, UInt64(associatedData.count),
                    nil, nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return out
    }

    /// Verifies and decrypts `ciphertext` (ciphertext followed by tag).
    /// - Returns: the plaintext in self-wiping memory, or `nil` if authentication fails.
    package static func open(
        _ ciphertext: UnsafeRawBufferPointer,
        associatedData: [UInt8],
        nonce: [UInt8],
        key: SecureBytes
    ) -> SecureBytes? {
        ensureInitialized()
        guard ciphertext.count >= aeadTagBytes, nonce.count == aeadNonceBytes, key.count == aeadKeyBytes else {
            return nil
        }
        let plain = SecureBytes(count: ciphertext.count - aeadTagBytes)
        var plainLength: UInt64 = 0
        let status = plain.withUnsafeMutableBytes { p in
            key.withUnsafeBytes { k in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    p.baseAddress!.assumingMemoryBound(to: UInt8.self), &plainLength, nil,
                    ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(ciphertext.count),
                    associatedData, UInt64(associatedData.count),
                    nonce, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return status == 0 ? plain : nil
    }
}
