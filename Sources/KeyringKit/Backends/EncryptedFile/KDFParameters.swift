/// Argon2id cost parameters of an encrypted keyring file: how much work turns the password into
/// the key that unwraps the file's data key.
///
/// Stored in each file's header, so files made with other parameters stay readable. On open,
/// parameters outside ``operationsRange`` and ``memoryRange`` are refused before any hashing, so
/// a crafted file cannot make the program allocate 64 GiB or accept a trivially cheap hash.
public struct KDFParameters: Sendable, Hashable, CustomStringConvertible {
    /// Argon2id passes over memory (libsodium's `opslimit`).
    public let operations: UInt32
    /// Memory used, in bytes (libsodium's `memlimit`); a whole number of KiB.
    public let memoryBytes: Int

    /// Accepted passes: 2 (libsodium's "interactive") to 10.
    public static let operationsRange: ClosedRange<UInt32> = 2...10
    /// Accepted memory: 8 MiB to 1 GiB (libsodium's "sensitive").
    public static let memoryRange: ClosedRange<Int> = (8 << 20)...(1 << 30)

    /// The parameters for new files: 3 passes over 128 MiB.
    ///
    /// Between libsodium's "interactive" (2 passes, 64 MiB, about 0.12 s on the 2-core build
    /// machine) and "moderate" (3 passes, 256 MiB, about 1.15 s there). The file can be copied
    /// and attacked offline, so it gets three times the work of "interactive" and twice its
    /// memory (well above OWASP's 19 MiB, 2 passes); but until the unwrapped key is cached per
    /// login session, every command-line call pays the KDF once, and "moderate" would add more
    /// than a second to each `keyring get`. About 0.5 s there. Files record their parameters, so
    /// a later default (or a password change) can raise them without breaking old files.
    public static let `default` = KDFParameters(uncheckedOperations: 3, memoryBytes: 128 << 20)

    /// libsodium's "moderate" parameters: 3 passes over 256 MiB.
    public static let moderate = KDFParameters(uncheckedOperations: 3, memoryBytes: 256 << 20)

    /// libsodium's "interactive" parameters: 2 passes over 64 MiB.
    public static let interactive = KDFParameters(uncheckedOperations: 2, memoryBytes: 64 << 20)

    /// The cheapest accepted parameters (2 passes over 8 MiB), for tests. Do not use for real secrets.
    public static let minimum = KDFParameters(uncheckedOperations: 2, memoryBytes: 8 << 20)

    /// Creates parameters, checking the bounds.
    /// - Parameters:
    ///   - operations: Passes, within ``operationsRange``.
    ///   - memoryBytes: Bytes, a multiple of 1024 within ``memoryRange``.
    /// - Throws: ``KeyringError`` `invalidArgument` when out of bounds.
    public init(operations: UInt32, memoryBytes: Int) throws(KeyringError) {
        guard Self.operationsRange.contains(operations) else {
            throw KeyringError(.invalidArgument, "Argon2id passes must be within \(Self.operationsRange), not \(operations)")
        }
        guard Self.memoryRange.contains(memoryBytes), memoryBytes % 1024 == 0 else {
            throw KeyringError(
                .invalidArgument,
                "Argon2id memory must be a multiple of 1 KiB from 8 MiB to 1 GiB, not \(memoryBytes) bytes")
        }
        self.init(uncheckedOperations: operations, memoryBytes: memoryBytes)
    }

    private init(uncheckedOperations: UInt32, memoryBytes: Int) {
        self.operations = uncheckedOperations
        self.memoryBytes = memoryBytes
    }

    /// `Argon2id(ops=3, mem=128 MiB)`.
    public var description: String {
        memoryBytes % (1 << 20) == 0
            ? "Argon2id(ops=\(operations), mem=\(memoryBytes >> 20) MiB)"
            : "Argon2id(ops=\(operations), mem=\(memoryBytes >> 10) KiB)"
    }
}
