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

    /// The parameters for new files: 3 passes over 256 MiB, libsodium's "moderate".
    ///
    /// The file can be copied and attacked offline, so it deserves more than the 64 MiB
    /// "interactive" setting; a process pays the cost once per keyring (the data key then stays
    /// in locked memory), which keeps well under a second for a command-line call. See
    /// `docs/FILE-FORMAT.md` for measured times.
    public static let `default` = KDFParameters(uncheckedOperations: 3, memoryBytes: 256 << 20)

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

    /// `Argon2id(ops=3, mem=256 MiB)`.
    public var description: String {
        memoryBytes % (1 << 20) == 0
            ? "Argon2id(ops=\(operations), mem=\(memoryBytes >> 20) MiB)"
            : "Argon2id(ops=\(operations), mem=\(memoryBytes >> 10) KiB)"
    }
}
