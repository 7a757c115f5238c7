import Foundation
import Glibc
@testable import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

/// Damages a valid keyring file in every cheap way and in seeded samples of the costly ones, and
/// checks what each operation makes of every damaged file: the precise ``KeyringError`` code
/// (a damaged file is `badDataFormat`; `wrongPassword` only where the header was edited with its
/// checksum fixed, so the key wrap's tag cannot tell the edit from a wrong password), a message
/// that names the file and holds no secret and no control character, a file left byte for byte
/// as it was (after `set`, `delete` and a password change too), nothing else written to the
/// directory, and a bounded cost. KDF fields out of bounds must be refused before Argon2id runs:
/// those files are opened by a child process whose peak memory is checked.
///
/// Each damaged file is tried with a fresh backend (which must unwrap the key) and with a warm
/// one that had opened the intact file (which holds its key and its table).
@Suite("Encrypted file fuzzing")
struct EncryptedFileFuzzTests {
    // MARK: Fixture

    static let secrets = ["hunter2", "s3cr3t-fuzz", "fuzz-new-secret", "fuzz-new-password"]

    /// A keyring directory with a default keyring of three entries, and its bytes.
    final class Fixture: @unchecked Sendable {
        let directory: TemporaryDirectory
        let path: String
        let original: [UInt8]
        /// A backend that opened the intact file: it holds its key and its table.
        let warm: EncryptedFileBackend

        init() async throws {
            directory = try TemporaryDirectory()
            path = try await EncryptedFileBackendTests.populated(directory)
            let writer = EncryptedFileBackendTests.backend(directory)
            try await writer.set(Secret("s3cr3t-fuzz"), service: "fuzz.example", account: "carol", keyring: nil, label: "Carol's")
            original = try Files.read(path)
            warm = EncryptedFileBackendTests.backend(directory)
            #expect(try await warm.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
        }

        /// A backend that has opened nothing.
        func fresh() -> EncryptedFileBackend { EncryptedFileBackendTests.backend(directory) }
    }

    // MARK: Damage and what it must cause

    /// What every operation must make of a damaged file.
    enum Expected: Sendable {
        /// `badDataFormat`, with a message containing this.
        case corrupt(String)
        /// `wrongPassword`: the header was edited and its checksum fixed, so the password key (or
        /// the wrapped key, or its associated data) changed.
        case wrongPassword
        /// The body is authentic and its table may still parse (a flipped bit inside a string or
        /// a secret); if it does not, `badDataFormat` "malformed".
        case malformedOrValid
    }

    /// One damaged file.
    struct Damage: Sendable {
        let name: String
        let bytes: [UInt8]
        let expected: Expected
        /// Whether a fresh backend runs Argon2id on it (then fewer operations are tried).
        let derivesKey: Bool

        /// Whether the damage is found only in the body: the header parsed.
        var isInBody: Bool {
            switch expected {
            case .corrupt(let text): return ["fail authentication", "malformed", "duplicate entry"].contains(text)
            case .wrongPassword: return false
            case .malformedOrValid: return true
            }
        }
    }

    /// The operations tried on each damaged file.
    enum Operation: String, CaseIterable, Sendable {
        case get, accounts, search, set, delete, changePassword = "change-password", unlock

        static let reads: [Operation] = [.get, .accounts, .search]

        func run(on backend: EncryptedFileBackend) async throws {
            switch self {
            case .get: _ = try await backend.get(service: "mail.example", account: "alice", keyring: nil)
            case .accounts: _ = try await backend.accounts(service: "mail.example", keyring: nil)
            case .search: _ = try await backend.search(attributes: [:], keyring: nil)
            case .set:
                try await backend.set(Secret("fuzz-new-secret"), service: "fuzz.example", account: "x", keyring: nil, label: nil)
            case .delete: _ = try await backend.delete(service: "mail.example", account: "alice", keyring: nil)
            case .changePassword: try await backend.changePassword(keyring: nil, to: SecureBytes(utf8: "fuzz-new-password"))
            case .unlock: try await backend.unlock(keyring: nil, password: nil)
            }
        }
    }

    /// What one operation came to: `code` is `nil` when it succeeded.
    struct Outcome {
        var code: KeyringError.Code?
        var message = ""
        var description = ""
    }

    /// A case in this process may take this long. It is a guard against hangs only: a case costs
    /// milliseconds to three minimum-cost derivations, but the whole suite run in parallel on a
    /// busy 2-core machine has stretched that to 6 s. The precise bounds, which the load does not
    /// move, are checked in the child process: CPU time and peak memory.
    static let caseTimeLimit = Duration.seconds(30)
    /// CPU time one operation of the child may take: a few minimum-cost derivations at most
    /// (about 20 ms each on the 2-core development machine); a pass count or memory size that
    /// slipped past validation costs far more.
    static let operationCPULimit = 1000
    /// Peak memory of the child, in KiB: about 25 MiB with the minimum KDF; Argon2id over the
    /// largest memory that validation accepts would show as 1 GiB.
    static let childMemoryLimitKiB = 200 << 10

    /// Checks one operation's outcome against what the damage must cause.
    static func check(
        _ outcome: Outcome, _ operation: Operation, _ damage: Damage, path: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let context = "\(damage.name), \(operation.rawValue): \(outcome.code?.rawValue ?? "ok") \(outcome.message)"
        switch damage.expected {
        case .corrupt(let text):
            #expect(outcome.code == .badDataFormat, "\(context)", sourceLocation: sourceLocation)
            #expect(outcome.message.contains(text), "\(context); expected '\(text)'", sourceLocation: sourceLocation)
        case .wrongPassword:
            #expect(outcome.code == .wrongPassword, "\(context)", sourceLocation: sourceLocation)
        case .malformedOrValid:
            if outcome.code != nil {
                #expect(outcome.code == .badDataFormat, "\(context)", sourceLocation: sourceLocation)
                #expect(outcome.message.contains("malformed"), "\(context)", sourceLocation: sourceLocation)
            }
        }
        guard outcome.code != nil else { return }
        #expect(outcome.message.contains(path), "\(context): the message does not name the file", sourceLocation: sourceLocation)
        let texts = outcome.message + "\n" + outcome.description
        let control = (outcome.message + outcome.description).unicodeScalars.filter { $0.properties.generalCategory == .control }
        #expect(control.isEmpty, "\(context): control characters \(control.map(\.value))", sourceLocation: sourceLocation)
        let leaked = (secrets + [EncryptedFileBackendTests.password]).filter { texts.contains($0) }
        #expect(leaked.isEmpty, "\(context): the message holds a secret", sourceLocation: sourceLocation)
    }

    /// Writes the damaged file in place, runs `operations` with `backend`, and checks each
    /// outcome, that the file and the directory are unchanged after each, and the time taken.
    static func attempt(
        _ damage: Damage, with backend: EncryptedFileBackend, _ operations: [Operation], fixture: Fixture,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try Files.overwrite(fixture.path, with: damage.bytes)
        let clock = ContinuousClock()
        let started = clock.now
        for operation in operations {
            var outcome = Outcome()
            do { try await operation.run(on: backend) } catch let error as KeyringError {
                outcome = Outcome(code: error.code, message: error.message, description: error.description)
            } catch {
                Issue.record(
                    "\(damage.name), \(operation.rawValue): not a KeyringError: \(error)", sourceLocation: sourceLocation)
            }
            check(outcome, operation, damage, path: fixture.path, sourceLocation: sourceLocation)
            if outcome.code == nil, case .malformedOrValid = damage.expected { continue }
            let unchanged = try Files.read(fixture.path) == damage.bytes
            #expect(unchanged, "\(damage.name), \(operation.rawValue): the file changed", sourceLocation: sourceLocation)
            if !unchanged { try Files.overwrite(fixture.path, with: damage.bytes) }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.keyrings).sorted()
        #expect(names == ["default.keyring", "default.keyring.lock"], "\(damage.name): \(names)", sourceLocation: sourceLocation)
        let elapsed = clock.now - started
        #expect(elapsed < caseTimeLimit, "\(damage.name) took \(elapsed)", sourceLocation: sourceLocation)
    }

    /// Tries every damage with a fresh backend and with the warm one.
    static func attemptAll(_ damages: [Damage], fixture: Fixture) async throws {
        for damage in damages {
            let fresh: [Operation] = damage.derivesKey ? [.get, .set] : Operation.allCases
            try await attempt(damage, with: fixture.fresh(), fresh, fixture: fixture)
            let intactKeyBlock = damage.bytes.count >= 108 && damage.bytes[0..<108] == fixture.original[0..<108]
            if case .wrongPassword = damage.expected {
                // The warm backend's key is for another key block: it derives like a fresh one.
                try await attempt(damage, with: fixture.warm, [.search], fixture: fixture)
            } else if damage.isInBody && intactKeyBlock {
                // It holds the key of this header, so `unlock` has nothing to check.
                try await attempt(damage, with: fixture.warm, Operation.allCases.filter { $0 != .unlock }, fixture: fixture)
            } else {
                try await attempt(damage, with: fixture.warm, Operation.allCases, fixture: fixture)
            }
            // Whatever it read, the warm backend can say whether it is locked: it holds a key for
            // this file when the key block is the intact one.
            #expect(try await fixture.warm.isLocked(keyring: nil) == !intactKeyBlock, "\(damage.name)")
        }
        try Files.overwrite(fixture.path, with: fixture.original)
    }

    // MARK: Building damaged files

    /// The header with its CRC-32 recomputed (the test's own CRC, not the code's).
    static func withChecksum(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        bytes.replaceSubrange(132..<136, with: bigEndian(crc32(bytes[0..<132])))
        return bytes
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The header's fields, by where a changed byte (checksum fixed) is first noticed.
    static func expectedForEdit(at offset: Int, of bytes: [UInt8]) -> Expected {
        switch offset {
        case 0..<8: return .corrupt("wrong magic")
        case 8: return .corrupt("format version")
        case 9..<12: return .corrupt("unknown algorithm")
        case 12..<20:
            let operations = readBigEndian(bytes, at: 12)
            let memoryKiB = Int(readBigEndian(bytes, at: 16))
            let accepted =
                KDFParameters.operationsRange.contains(operations) && KDFParameters.memoryRange.contains(memoryKiB * 1024)
            return accepted ? .wrongPassword : .corrupt("refused before hashing")
        case 20..<108: return .wrongPassword  // salt, key-wrap nonce, wrapped key
        default: return .corrupt("fail authentication")  // the body nonce, or the body's associated data
        }
    }

    // MARK: Tests

    @Test("every single-bit flip in the header is corrupt (checksum or magic), never a wrong password")
    func headerBitFlips() async throws {
        let fixture = try await Fixture()
        var damages: [Damage] = []
        for offset in 0..<KeyringFileHeader.size {
            for bit in 0..<8 {
                var bytes = fixture.original
                bytes[offset] ^= 1 << bit
                let expected: Expected = offset < 8 ? .corrupt("wrong magic") : .corrupt("checksum mismatch")
                damages.append(Damage(name: "header bit \(offset).\(bit)", bytes: bytes, expected: expected, derivesKey: false))
            }
        }
        try await Self.attemptAll(damages, fixture: fixture)
    }

    @Test("header edits with the checksum fixed: refused by field, or a wrong password; never read as data")
    func headerEditsWithChecksum() async throws {
        let fixture = try await Fixture()
        var generator = SeededGenerator(seed: 0x5EED_0001)
        var damages: [Damage] = []
        func add(_ offset: Int, _ bit: Int) {
            var bytes = fixture.original
            bytes[offset] ^= 1 << bit
            bytes = Self.withChecksum(bytes)
            let expected = Self.expectedForEdit(at: offset, of: bytes)
            let derives: Bool
            if case .corrupt(let text) = expected { derives = text == "fail authentication" } else { derives = true }
            damages.append(
                Damage(name: "edited header bit \(offset).\(bit)", bytes: bytes, expected: expected, derivesKey: derives))
        }
        // Every bit of the magic, version, algorithms and KDF fields (cheap: most are refused
        // before hashing) except the memory bits that ask for 72 MiB to 520 MiB, which are in
        // bounds and only cost time; `kdfBoundEdges` checks that they are accepted.
        for offset in 0..<20 {
            for bit in 0..<8 where !(offset == 17 && (0..<4).contains(bit)) {
                add(offset, bit)
            }
        }
        // A seeded sample of the salt, the key-wrap nonce and the wrapped key (each costs a
        // derivation per operation), and one seeded bit of every body-nonce byte.
        for _ in 0..<24 { add(Int.random(in: 20..<108, using: &generator), Int.random(in: 0..<8, using: &generator)) }
        for offset in 108..<132 { add(offset, Int.random(in: 0..<8, using: &generator)) }
        try await Self.attemptAll(damages, fixture: fixture)
    }

    @Test("a file cut short anywhere in the header, or at sampled body offsets, is corrupt")
    func truncations() async throws {
        let fixture = try await Fixture()
        var generator = SeededGenerator(seed: 0x5EED_0002)
        let minimum = KeyringFileHeader.size + Sodium.aeadTagBytes
        var lengths = Array(0..<minimum)
        lengths += (0..<24).map { _ in Int.random(in: minimum..<fixture.original.count, using: &generator) }
        lengths.append(fixture.original.count - 1)
        let damages = Set(lengths).sorted().map { length in
            Damage(
                name: "cut to \(length) bytes", bytes: Array(fixture.original.prefix(length)),
                expected: length < minimum ? .corrupt("truncated") : .corrupt("fail authentication"),
                derivesKey: length >= minimum)
        }
        try await Self.attemptAll(damages, fixture: fixture)
    }

    @Test("garbage appended to the file is corrupt")
    func extensions() async throws {
        let fixture = try await Fixture()
        var generator = SeededGenerator(seed: 0x5EED_0003)
        var damages = [1, 15, 16, 17, 100, 4096, 65536].map { count in
            Damage(
                name: "\(count) random bytes appended",
                bytes: fixture.original + (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) },
                expected: .corrupt("fail authentication"), derivesKey: true)
        }
        damages.append(
            Damage(
                name: "16 zero bytes appended", bytes: fixture.original + [UInt8](repeating: 0, count: 16),
                expected: .corrupt("fail authentication"), derivesKey: true))
        try await Self.attemptAll(damages, fixture: fixture)
    }

    @Test("sampled bit flips in the body fail authentication; a warm backend serves its cached table but writes nothing")
    func bodyBitFlips() async throws {
        let fixture = try await Fixture()
        var generator = SeededGenerator(seed: 0x5EED_0004)
        var damages: [Damage] = []
        var offsets = [KeyringFileHeader.size, fixture.original.count - Sodium.aeadTagBytes, fixture.original.count - 1]
        offsets += (0..<40).map { _ in Int.random(in: KeyringFileHeader.size..<fixture.original.count, using: &generator) }
        for offset in offsets {
            var bytes = fixture.original
            bytes[offset] ^= 1 << Int.random(in: 0..<8, using: &generator)
            damages.append(
                Damage(name: "body bit at \(offset)", bytes: bytes, expected: .corrupt("fail authentication"), derivesKey: true))
        }
        // Same header, same size: the warm backend's cached table is, by design, what it reads
        // (the header and size show whether another writer replaced the file). But it must not
        // write over a body that does not authenticate.
        for damage in damages {
            try await Self.attempt(damage, with: fixture.fresh(), [.get, .set], fixture: fixture)
            try await Self.attempt(damage, with: fixture.warm, [.set, .delete, .changePassword], fixture: fixture)
            #expect(try await fixture.warm.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
        }
        try Files.overwrite(fixture.path, with: fixture.original)
    }

    @Test("authentic bodies holding malformed tables are corrupt, and no length field allocates before it is checked")
    func resealedTables() async throws {
        let fixture = try await Fixture()
        let sealed = try Unsealed(fixture.original, password: EncryptedFileBackendTests.password)
        let plaintext = sealed.plaintext
        let layout = TableLayout(plaintext)
        #expect(layout.entries.count == 3)
        var generator = SeededGenerator(seed: 0x5EED_0005)
        var tables: [(name: String, plaintext: [UInt8], expected: Expected)] = []
        let malformed = Expected.corrupt("malformed")
        for length in 0..<plaintext.count {
            tables.append(("table cut to \(length) bytes", Array(plaintext.prefix(length)), malformed))
        }
        for extra in [[0], [0, 0, 0, 0], (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }] {
            tables.append(("\(extra.count) bytes after the table", plaintext + extra, malformed))
        }
        for field in layout.fields {
            let remaining = UInt32(plaintext.count - field.offset - 4)
            for value in [UInt32.max, 0x8000_0000, remaining + 1] {
                var bytes = plaintext
                bytes.replaceSubrange(field.offset..<field.offset + 4, with: bigEndian(value))
                tables.append(("\(field.kind) at \(field.offset) = \(value)", bytes, malformed))
            }
        }
        for value in [UInt32(0), UInt32(layout.entries.count + 1)] {
            var bytes = plaintext
            bytes.replaceSubrange(0..<4, with: bigEndian(value))
            tables.append(("entry count \(value)", bytes, malformed))
        }
        for field in layout.fields where field.kind == "string length" && Self.readBigEndian(plaintext, at: field.offset) > 0 {
            var bytes = plaintext
            bytes[field.offset + 4] = 0xFF  // never valid UTF-8
            tables.append(("invalid UTF-8 at \(field.offset + 4)", bytes, malformed))
        }
        let first = layout.entries[0]
        var duplicated = bigEndian(UInt32(layout.entries.count + 1)) + plaintext[4...]
        duplicated += plaintext[first]
        tables.append(("first entry twice", duplicated, .corrupt("duplicate entry")))
        for _ in 0..<64 {
            var bytes = plaintext
            bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= 1 << Int.random(in: 0..<8, using: &generator)
            tables.append(("table bit flip", bytes, .malformedOrValid))
        }

        for (index, table) in tables.enumerated() {
            let nonce = (0..<Sodium.aeadNonceBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let damage = Damage(
                name: table.name, bytes: sealed.resealed(table.plaintext, nonce: nonce), expected: table.expected,
                derivesKey: true)
            // One operation per path the table takes: a read, a change, a password change (the
            // others share them); only reads where the table may still be valid.
            let operations: [Operation]
            if case .malformedOrValid = table.expected {
                operations = Operation.reads
            } else {
                operations = [.get, .set, .changePassword]
            }
            try await Self.attempt(damage, with: fixture.warm, operations, fixture: fixture)
            if index.isMultiple(of: 25) { try await Self.attempt(damage, with: fixture.fresh(), [.get, .set], fixture: fixture) }
        }
        try Files.overwrite(fixture.path, with: fixture.original)
    }

    @Test("extreme KDF and algorithm fields are refused before Argon2id runs (checked in a child: CPU time and peak memory)")
    func extremeHeaderFields() async throws {
        let fixture = try await Fixture()
        let refused = Expected.corrupt("refused before hashing")
        let memory = Self.readBigEndian(fixture.original, at: 16)
        var damages: [Damage] = []
        func kdf(_ operations: UInt32, _ memoryKiB: UInt32, _ expected: Expected) {
            var bytes = fixture.original
            bytes.replaceSubrange(12..<16, with: bigEndian(operations))
            bytes.replaceSubrange(16..<20, with: bigEndian(memoryKiB))
            let derives: Bool
            if case .wrongPassword = expected { derives = true } else { derives = false }
            damages.append(
                Damage(
                    name: "KDF \(operations) passes, \(memoryKiB) KiB", bytes: Self.withChecksum(bytes), expected: expected,
                    derivesKey: derives))
        }
        // The header holds 32-bit passes and KiB (no 64-bit field, no parallelism: libsodium's is 1).
        for operations: UInt32 in [0, 1, 11, 12, 100, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, .max] {
            kdf(operations, memory, refused)
        }
        for memoryKiB: UInt32 in [0, 1, 1023, 8191, 1_048_577, 1_048_580, 64 << 20, 0x7FFF_FFFF, .max] {
            kdf(2, memoryKiB, refused)
        }
        for (operations, memoryKiB): (UInt32, UInt32) in [(0, 0), (.max, .max), (11, 1_048_577), (10, 1_048_577), (1, 1_048_576)]
        {
            kdf(operations, memoryKiB, refused)
        }
        // In bounds and cheap: the hash runs, with parameters the wrapped key was not made with.
        kdf(10, 8192, .wrongPassword)
        kdf(3, 8193, .wrongPassword)
        for (offset, values, text) in [
            (8, [0, 2, 0x7F, 0x80, 0xFF], "format version"), (9, [0, 2, 0xFF], "unknown algorithm"),
            (10, [0, 2, 0xFF], "unknown algorithm"), (11, [1, 0x80, 0xFF], "unknown algorithm"),
        ] {
            for value in values {
                var bytes = fixture.original
                bytes[offset] = UInt8(value)
                damages.append(
                    Damage(
                        name: "header byte \(offset) = \(value)", bytes: Self.withChecksum(bytes), expected: .corrupt(text),
                        derivesKey: false))
            }
        }

        // One directory per file, and one more holding a sparse file past the size limit: it
        // must be refused from its size, without reading it.
        let directories = try damages.map { damage in try Self.keyringDirectory(holding: damage.bytes) }
        let oversized = try Self.keyringDirectory(holding: fixture.original)
        let oversizedPath = oversized.keyrings + "/default.keyring"
        #expect(truncate(oversizedPath, off_t(FileKeyringStore.maximumFileSize + 1)) == 0)
        let oversizedBefore = try Self.identity(oversizedPath)

        let child = try StressChild(arguments: ["probe"] + directories.map(\.keyrings) + [oversized.keyrings])
        try await child.waitForExit(timeout: .seconds(120))
        #expect(child.process.terminationStatus == 0)
        #expect(child.lines.last == "done")

        var outcomes: [Int: [(Operation, Outcome, Int)]] = [:]
        var peakKiB: Int?
        for line in child.lines {
            let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            if fields.first == "rss", fields.count == 2 { peakKiB = Int(fields[1]) }
            guard fields.first == "result", fields.count >= 5, let index = Int(fields[1]),
                let operation = Operation(rawValue: fields[2]), let milliseconds = Int(fields[3])
            else { continue }
            var outcome = Outcome()
            if fields[4] != "ok" {
                #expect(fields.count == 7, "\(line)")
                outcome.code = KeyringError.Code(rawValue: fields[4])
                #expect(outcome.code != nil, "\(line)")
                outcome.message = Self.fromHex(fields.count > 5 ? fields[5] : "")
                outcome.description = Self.fromHex(fields.count > 6 ? fields[6] : "")
            }
            outcomes[index, default: []].append((operation, outcome, milliseconds))
        }
        let all =
            damages + [Damage(name: "sparse file past 1 GiB", bytes: [], expected: .corrupt("larger than"), derivesKey: false)]
        for (index, damage) in all.enumerated() {
            let results = outcomes[index] ?? []
            #expect(results.map(\.0) == Operation.allCases, "\(damage.name)")
            let path = (index < directories.count ? directories[index].keyrings : oversized.keyrings) + "/default.keyring"
            for (operation, outcome, milliseconds) in results {
                Self.check(outcome, operation, damage, path: path)
                #expect(milliseconds < Self.operationCPULimit, "\(damage.name), \(operation.rawValue): \(milliseconds) ms of CPU")
            }
            if index < directories.count {
                let unchanged = try Files.read(path) == damage.bytes
                #expect(unchanged, "\(damage.name): the file changed")
                let names = try FileManager.default.contentsOfDirectory(atPath: directories[index].keyrings)
                #expect(names == ["default.keyring"], "\(damage.name): \(names)")
            }
        }
        #expect(try Self.identity(oversizedPath) == oversizedBefore)
        // Argon2id over 1 GiB (the memory bound plus one KiB) or anything past it would show here.
        let peak = try #require(peakKiB)
        #expect(peak > 0 && peak < Self.childMemoryLimitKiB, "the probe peaked at \(peak) KiB")
    }

    @Test("the KDF bounds accept exactly their edges (parsed only: in bounds, the hash would run)")
    func kdfBoundEdges() {
        let header = KeyringFileHeader(
            kdf: .minimum, salt: [UInt8](repeating: 7, count: 16), keyNonce: [UInt8](repeating: 8, count: 24),
            wrappedKey: [UInt8](repeating: 9, count: 48), bodyNonce: [UInt8](repeating: 10, count: 24)
        ).encoded()
        for operations: UInt32 in [1, 2, 10, 11] {
            for memoryKiB: UInt32 in [8191, 8192, 72 << 10, 520 << 10, 1 << 20, (1 << 20) + 1] {
                var bytes = header
                bytes.replaceSubrange(12..<16, with: bigEndian(operations))
                bytes.replaceSubrange(16..<20, with: bigEndian(memoryKiB))
                bytes = Self.withChecksum(bytes)
                let accepted = (2...10).contains(operations) && (8192...(1 << 20)).contains(memoryKiB)
                let what = "\(operations) passes over \(memoryKiB) KiB"
                let outcome = Result { () throws(KeyringError) in
                    try KeyringFileHeader.parse(bytes, path: "/k", fileSize: 200)
                }
                switch outcome {
                case .success(let parsed):
                    #expect(accepted, "\(what) was accepted")
                    #expect(parsed.kdf.operations == operations && parsed.kdf.memoryBytes == Int(memoryKiB) * 1024)
                case .failure(let error):
                    #expect(!accepted, "\(what) was refused: \(error)")
                    #expect(error.code == .badDataFormat && error.message.contains("refused before hashing"))
                }
            }
        }
    }

    // MARK: Helpers

    /// A new keyring directory (mode 0700) whose default keyring (mode 0600) holds `bytes`.
    static func keyringDirectory(holding bytes: [UInt8]) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.keyrings, withIntermediateDirectories: false)
        Files.chmod(directory.keyrings, 0o700)
        let path = directory.keyrings + "/default.keyring"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        Files.chmod(path, 0o600)
        return directory
    }

    /// Inode, size, modification time and first 4 KiB: enough to see that a file too large to
    /// compare was neither replaced nor written.
    static func identity(_ path: String) throws -> [UInt64] {
        var status = stat()
        #expect(lstat(path, &status) == 0)
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let head = try handle.read(upToCount: 4096) ?? Data()
        return [UInt64(status.st_ino), UInt64(status.st_size), UInt64(status.st_mtim.tv_sec), UInt64(status.st_mtim.tv_nsec)]
            + head.map { UInt64($0) }
    }

    static func fromHex(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            bytes.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) ?? 0x3F)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A keyring file opened with the test's own reading of the format (docs/FILE-FORMAT.md), not
/// the code under test: its header, data key and entry table, to seal other tables under it.
struct Unsealed {
    let header: [UInt8]
    let dataKey: SecureBytes
    let plaintext: [UInt8]

    struct Failure: Error {}

    init(_ file: [UInt8], password: String) throws {
        header = Array(file[0..<136])
        let operations = EncryptedFileFuzzTests.readBigEndian(header, at: 12)
        let memory = Int(EncryptedFileFuzzTests.readBigEndian(header, at: 16)) * 1024
        let passwordKey = try Array(password.utf8).withUnsafeBytes { raw in
            guard
                let key = Sodium.argon2id(
                    password: raw, salt: Array(file[20..<36]), opsLimit: UInt64(operations), memLimit: memory, outputLength: 32)
            else { throw Failure() }
            return key
        }
        guard
            let dataKey = Array(file[60..<108]).withUnsafeBytes({ raw in
                Sodium.open(raw, associatedData: Array(file[0..<36]), nonce: Array(file[36..<60]), key: passwordKey)
            })
        else { throw Failure() }
        self.dataKey = dataKey
        guard
            let plaintext = Array(file[136...]).withUnsafeBytes({ raw in
                Sodium.open(raw, associatedData: Array(file[0..<136]), nonce: Array(file[108..<132]), key: dataKey)
            })
        else { throw Failure() }
        self.plaintext = plaintext.unprotectedArray
    }

    /// A file holding `plaintext` sealed under the same data key, with a new body nonce.
    func resealed(_ plaintext: [UInt8], nonce: [UInt8]) -> [UInt8] {
        var header = self.header
        header.replaceSubrange(108..<132, with: nonce)
        header = EncryptedFileFuzzTests.withChecksum(header)
        let body = plaintext.withUnsafeBytes { raw in Sodium.seal(raw, associatedData: header, nonce: nonce, key: dataKey) }
        return header + body
    }
}

/// Where the length and count fields of a serialized entry table are, read by the test's own
/// walk of the format.
struct TableLayout {
    struct Field {
        let offset: Int
        let kind: String
    }

    var fields: [Field] = []
    /// Each entry's bytes.
    var entries: [Range<Int>] = []

    init(_ table: [UInt8]) {
        func integer(_ offset: Int) -> Int { Int(EncryptedFileFuzzTests.readBigEndian(table, at: offset)) }
        fields.append(Field(offset: 0, kind: "entry count"))
        var offset = 4
        func string() {
            fields.append(Field(offset: offset, kind: "string length"))
            offset += 4 + integer(offset)
        }
        for _ in 0..<integer(0) {
            let start = offset
            for _ in 0..<4 { string() }  // service, account, label, content type
            fields.append(Field(offset: offset, kind: "attribute count"))
            let attributes = integer(offset)
            offset += 4
            for _ in 0..<attributes * 2 { string() }
            fields.append(Field(offset: offset, kind: "secret length"))
            offset += 4 + integer(offset)
            entries.append(start..<offset)
        }
        precondition(offset == table.count, "the fixture's table did not parse")
    }
}

/// SplitMix64: a seeded generator, so every run damages the same bytes.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D1_049B_1330_11EB
        return z ^ (z >> 31)
    }
}
