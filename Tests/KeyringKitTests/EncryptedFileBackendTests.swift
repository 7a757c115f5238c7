import Foundation
import Glibc
import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

@Suite("Encrypted file backend")
struct EncryptedFileBackendTests {
    static let password = "correct horse battery staple"

    static func backend(
        _ directory: TemporaryDirectory, password: String? = EncryptedFileBackendTests.password,
        environment: [String: String] = [:], provider: PasswordProvider? = nil
    ) -> EncryptedFileBackend {
        EncryptedFileBackend(
            directory: directory.keyrings, password: password.map { SecureBytes(utf8: $0) }, passwordProvider: provider,
            kdf: .minimum, environment: environment)
    }

    /// A directory holding a default keyring with two entries; returns the file's path.
    static func populated(_ directory: TemporaryDirectory) async throws -> String {
        let backend = backend(directory)
        try await backend.set(Secret("hunter2"), service: "mail.example", account: "alice", keyring: nil, label: nil)
        try await backend.set(Secret(bytes: [0, 1, 2, 255]), service: "api.example", account: "bot", keyring: nil, label: nil)
        return try backend.path(ofKeyring: nil)
    }

    @Test("entries persist across backends; nothing is readable in the file")
    func persistsEncrypted() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let fresh = Self.backend(directory)
        #expect(try await fresh.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
        #expect(
            try await fresh.get(service: "api.example", account: "bot", keyring: nil)?.bytes.unprotectedArray == [0, 1, 2, 255])

        let bytes = try Files.read(path)
        #expect(Array(bytes[0..<8]) == Array("SWKEYRNG".utf8))
        let text = String(decoding: bytes, as: UTF8.self)
        for visible in ["mail.example", "alice", "hunter2", "api.example", "Password for"] {
            #expect(!text.contains(visible), "'\(visible)' is visible in the file")
        }
        #expect(Files.mode(path) == 0o600)
        #expect(Files.mode(directory.keyrings) == 0o700)
        #expect(Files.mode(path + ".lock") == 0o600)
    }

    @Test("each write uses a fresh body nonce")
    func freshNonce() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let first = try Files.read(path)
        try await Self.backend(directory).set(
            Secret("hunter2"), service: "mail.example", account: "alice", keyring: nil, label: nil)
        let second = try Files.read(path)
        #expect(first.count == second.count)
        #expect(first[0..<108] == second[0..<108])  // same password key block
        #expect(first[108..<132] != second[108..<132])  // new nonce
        #expect(first[136...] != second[136...])
    }

    @Test("KEYRING_FILE_PASSWORD from the environment opens the file")
    func environmentPassword() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Self.populated(directory)
        let backend = Self.backend(directory, password: nil, environment: ["KEYRING_FILE_PASSWORD": Self.password])
        #expect(try await backend.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
    }

    @Test("a truncated file is corrupt and stays untouched", arguments: [0, 7, 20, 135, 136, 151, 152, -1, -17])
    func truncated(keep: Int) async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let original = try Files.read(path)
        let damaged = Array(original.prefix(keep >= 0 ? keep : original.count + keep))
        try Files.overwrite(path, with: damaged)
        let backend = Self.backend(directory)
        let error = await expectKeyringError(.badDataFormat) {
            _ = try await backend.get(service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(error?.message.contains(path) == true)
        await expectKeyringError(.badDataFormat) {
            try await backend.set(Secret("x"), service: "mail.example", account: "alice", keyring: nil, label: nil)
        }
        #expect(try Files.read(path) == damaged)
    }

    @Test(
        "a flipped bit in the header is corrupt, not a wrong password",
        arguments: [0, 8, 9, 11, 12, 17, 25, 40, 70, 107, 110, 133])
    func headerBitFlip(offset: Int) async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        var damaged = try Files.read(path)
        damaged[offset] ^= 0x10
        try Files.overwrite(path, with: damaged)
        let backend = Self.backend(directory)
        let error = await expectKeyringError(.badDataFormat) {
            _ = try await backend.get(service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(error?.message.contains("corrupt") == true || error?.message.contains("version") == true)
        await expectKeyringError(.badDataFormat) {
            _ = try await backend.delete(service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(try Files.read(path) == damaged)
    }

    @Test("a flipped bit in the body fails authentication", arguments: [136, 150, -1, -16, -17])
    func bodyBitFlip(offset: Int) async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        var damaged = try Files.read(path)
        damaged[offset >= 0 ? offset : damaged.count + offset] ^= 0x01
        try Files.overwrite(path, with: damaged)
        let backend = Self.backend(directory)
        let error = await expectKeyringError(.badDataFormat) {
            _ = try await backend.get(service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(error?.message.contains("authentication") == true)
        await expectKeyringError(.badDataFormat) {
            try await backend.set(Secret("x"), service: "new.example", account: "x", keyring: nil, label: nil)
        }
        #expect(try Files.read(path) == damaged)
    }

    @Test("a wrong password is wrongPassword, and names its source")
    func wrongPassword() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let original = try Files.read(path)
        let error = await expectKeyringError(.wrongPassword) {
            _ = try await Self.backend(directory, password: "Correct horse battery staple").get(
                service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(error?.description.contains("horse") == false)
        let fromEnvironment = await expectKeyringError(.wrongPassword) {
            _ = try await Self.backend(directory, password: nil, environment: ["KEYRING_FILE_PASSWORD": "nope"]).set(
                Secret("x"), service: "a", account: "b", keyring: nil, label: nil)
        }
        #expect(fromEnvironment?.message.contains("KEYRING_FILE_PASSWORD") == true)
        #expect(try Files.read(path) == original)
    }

    @Test("a file readable by others is refused")
    func groupReadableFile() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        Files.chmod(path, 0o644)
        let original = try Files.read(path)
        let error = await expectKeyringError(.permissionDenied) {
            _ = try await Self.backend(directory).get(service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(error?.message.contains("chmod 600") == true)
        await expectKeyringError(.permissionDenied) {
            try await Self.backend(directory).set(Secret("x"), service: "a", account: "b", keyring: nil, label: nil)
        }
        #expect(try Files.read(path) == original)
        #expect(Files.mode(path) == 0o644)
    }

    @Test("a directory writable by others is refused")
    func worldWritableDirectory() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Self.populated(directory)
        Files.chmod(directory.keyrings, 0o777)
        await expectKeyringError(.permissionDenied) {
            _ = try await Self.backend(directory).get(service: "mail.example", account: "alice", keyring: nil)
        }
    }

    @Test("a symbolic link is refused, for the file and for its lock")
    func symlinks() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let elsewhere = directory.path + "/elsewhere.keyring"
        try FileManager.default.moveItem(atPath: path, toPath: elsewhere)
        #expect(symlink(elsewhere, path) == 0)
        let error = await expectKeyringError(.permissionDenied) {
            _ = try await Self.backend(directory).get(service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(error?.message.contains("symbolic link") == true)
        await expectKeyringError(.permissionDenied) {
            try await Self.backend(directory).set(Secret("x"), service: "a", account: "b", keyring: nil, label: nil)
        }
        #expect(FileManager.default.fileExists(atPath: elsewhere))

        // A lock file replaced by a link is refused too.
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: elsewhere, toPath: path)
        try FileManager.default.removeItem(atPath: path + ".lock")
        #expect(symlink(directory.path + "/victim", path + ".lock") == 0)
        await expectKeyringError(.permissionDenied) {
            try await Self.backend(directory).set(Secret("x"), service: "a", account: "b", keyring: nil, label: nil)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/victim"))
    }

    @Test("KDFParameters enforces its bounds")
    func kdfParameterBounds() throws {
        #expect(throws: KeyringError.self) { try KDFParameters(operations: 1, memoryBytes: 64 << 20) }
        #expect(throws: KeyringError.self) { try KDFParameters(operations: 3, memoryBytes: 64 << 30) }
        #expect(throws: KeyringError.self) { try KDFParameters(operations: 3, memoryBytes: (64 << 20) + 1) }
        #expect(try KDFParameters(operations: 3, memoryBytes: 64 << 20).memoryBytes == 64 << 20)
        #expect(KDFParameters.operationsRange.contains(KDFParameters.default.operations))
        #expect(KDFParameters.memoryRange.contains(KDFParameters.default.memoryBytes))
    }

    @Test("without any password: reading nothing works, writing says how to give one")
    func noPassword() async throws {
        let directory = try TemporaryDirectory()
        let backend = Self.backend(directory, password: nil)
        #expect(try await backend.get(service: "a", account: "b", keyring: nil) == nil)
        #expect(try await backend.accounts(service: "a", keyring: nil) == [])
        let error = await expectKeyringError(.locked) {
            try await backend.set(Secret("x"), service: "a", account: "b", keyring: nil, label: nil)
        }
        #expect(error?.message.contains("KEYRING_FILE_PASSWORD") == true)
        #expect(!FileManager.default.fileExists(atPath: try backend.path(ofKeyring: nil)))
        #expect(await backend.diagnose().isUsable == false)
    }

    @Test("lock forgets the key; unlock takes it back")
    func lockUnlock() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Self.populated(directory)
        let backend = Self.backend(directory, password: nil)
        #expect(try await backend.isLocked(keyring: nil))
        await expectKeyringError(.locked) { _ = try await backend.get(service: "mail.example", account: "alice", keyring: nil) }
        try await backend.unlock(keyring: nil, password: SecureBytes(utf8: Self.password))
        #expect(try await backend.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
        try await backend.lock(keyring: nil)
        #expect(try await backend.isLocked(keyring: nil))
        await expectKeyringError(.locked) { _ = try await backend.get(service: "mail.example", account: "alice", keyring: nil) }
    }

    @Test("the provider is asked again after a wrong password, and told why")
    func provider() async throws {
        let directory = try TemporaryDirectory()
        _ = try await Self.populated(directory)
        let requests = Recorder<PasswordRequest>()
        let backend = Self.backend(
            directory, password: nil,
            provider: { request in
                await requests.append(request)
                return SecureBytes(utf8: request.attempt < 3 ? "wrong" : Self.password)
            })
        #expect(try await backend.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
        #expect(await requests.values.map(\.attempt) == [1, 2, 3])
        #expect(await requests.values.allSatisfy { $0.purpose == .unlock && $0.keyring == "default" && $0.backend == "file" })

        let giveUp = Self.backend(directory, password: nil, provider: { _ in nil })
        await expectKeyringError(.locked) { _ = try await giveUp.get(service: "mail.example", account: "alice", keyring: nil) }
        let alwaysWrong = Self.backend(directory, password: nil, provider: { _ in SecureBytes(utf8: "wrong") })
        await expectKeyringError(.wrongPassword) {
            _ = try await alwaysWrong.get(service: "mail.example", account: "alice", keyring: nil)
        }

        let creating = Recorder<PasswordRequest>()
        let fresh = try TemporaryDirectory()
        let creator = Self.backend(
            fresh, password: nil,
            provider: { request in
                await creating.append(request)
                return SecureBytes(utf8: "new password")
            })
        try await creator.createKeyring("work", password: nil)
        #expect(await creating.values.map(\.purpose) == [.create])
    }

    @Test("changing the password rewraps the key and keeps the entries")
    func changePassword() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let before = try Files.read(path)
        try await Self.backend(directory).changePassword(keyring: nil, to: SecureBytes(utf8: "new password"))
        let after = try Files.read(path)
        #expect(before[20..<36] != after[20..<36])  // new salt
        await expectKeyringError(.wrongPassword) {
            _ = try await Self.backend(directory).get(service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(
            try await Self.backend(directory, password: "new password").get(
                service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
    }

    @Test("with only a provider, the first write asks for a new password and creates the keyring")
    func providerOnFirstWrite() async throws {
        let directory = try TemporaryDirectory()
        let requests = Recorder<PasswordRequest>()
        let creator = Self.backend(
            directory, password: nil,
            provider: { request in
                await requests.append(request)
                return SecureBytes(utf8: Self.password)
            })
        try await creator.set(Secret("hunter2"), service: "mail.example", account: "alice", keyring: nil, label: nil)
        try await creator.set(Secret("x"), service: "a", account: "b", keyring: nil, label: nil)
        #expect(await requests.values.map(\.purpose) == [.create])
        #expect(
            try await Self.backend(directory).get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
    }

    @Test("a write whose keyring was re-keyed while it waited for the lock derives the key again and loses nothing")
    func rekeyedWhileWaitingForTheLock() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let writer = Self.backend(directory)
        #expect(try await writer.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))

        // The same keyring with a new salt (a password change to the same password), made elsewhere.
        let elsewhere = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: elsewhere.keyrings, withIntermediateDirectories: false)
        Files.chmod(elsewhere.keyrings, 0o700)
        let copy = elsewhere.keyrings + "/default.keyring"
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try await Self.backend(elsewhere).changePassword(keyring: nil, to: SecureBytes(utf8: Self.password))
        let rekeyed = try Files.read(copy)

        // Hold the lock, so the writer (whose key still matches the file) waits for it; swap
        // the re-keyed file in meanwhile, then let go: under the lock the writer finds another
        // key block, and must derive again outside it (deriving under it trips an assertion).
        let lock = open(path + ".lock", O_RDWR | O_CLOEXEC)
        #expect(lock >= 0)
        #expect(flock(lock, LOCK_EX) == 0)
        let write = Task {
            try await writer.set(Secret("while waiting"), service: "late.example", account: "carol", keyring: nil, label: nil)
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(rename(copy, path) == 0)
        close(lock)
        try await write.value

        let after = try Files.read(path)
        #expect(after[0..<108] == rekeyed[0..<108])  // written with the new key block, not the one it held
        let reader = Self.backend(directory)
        #expect(try await reader.get(service: "late.example", account: "carol", keyring: nil) == Secret("while waiting"))
        #expect(try await reader.get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
    }

    @Test("deleting from a keyring that was never created leaves nothing on disk")
    func deleteOnAFreshMachine() async throws {
        let directory = try TemporaryDirectory()
        #expect(try await Self.backend(directory).delete(service: "nothing.example", account: "alice", keyring: nil) == false)
        #expect(!FileManager.default.fileExists(atPath: directory.keyrings))
        await expectKeyringError(.noSuchKeyring) {
            _ = try await Self.backend(directory).delete(service: "x", account: "y", keyring: "work")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.keyrings))
    }

    @Test("a temp file left by a killed writer is cleaned up by the next write")
    func staleTemporary() async throws {
        let directory = try TemporaryDirectory()
        let path = try await Self.populated(directory)
        let stale = directory.keyrings + "/.default.keyring.tmp-0123456789abcdef"
        #expect(FileManager.default.createFile(atPath: stale, contents: Data([1, 2, 3])))
        // A temp file of another keyring whose name starts the same way is not this keyring's to remove.
        let others = directory.keyrings + "/.default.keyring.tmp-b.keyring.tmp-0123456789abcdef"
        #expect(FileManager.default.createFile(atPath: others, contents: Data([4])))
        #expect(
            try await Self.backend(directory).get(service: "mail.example", account: "alice", keyring: nil) == Secret("hunter2"))
        try await Self.backend(directory).set(Secret("x"), service: "a", account: "b", keyring: nil, label: nil)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: others))
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("two backends in one process writing at once lose nothing")
    func concurrentInProcess() async throws {
        let directory = try TemporaryDirectory()
        let first = Self.backend(directory)
        let second = Self.backend(directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                let backend = index.isMultiple(of: 2) ? first : second
                group.addTask {
                    try await backend.set(Secret("v\(index)"), service: "race", account: "a\(index)", keyring: nil, label: nil)
                }
            }
            try await group.waitForAll()
        }
        let accounts = try await Self.backend(directory).accounts(service: "race", keyring: nil)
        #expect(accounts.count == 40)
    }

    @Test("10,000 entries: one batch write, then fast reads and writes")
    func tenThousandEntries() async throws {
        let directory = try TemporaryDirectory()
        let backend = Self.backend(directory)
        let items = (0..<10_000).map { index in
            EncryptedFileBackend.EntryToWrite(
                secret: Secret("secret-\(index)"), service: "svc-\(index % 100)", account: "acct-\(index)")
        }
        let clock = ContinuousClock()
        let batch = try await clock.measure { try await backend.setEntries(items, keyring: nil) }
        #expect(batch < .seconds(10))

        let fresh = Self.backend(directory)
        let reads = try await clock.measure {
            for index in stride(from: 0, to: 10_000, by: 97) {
                let secret = try await fresh.get(service: "svc-\(index % 100)", account: "acct-\(index)", keyring: nil)
                #expect(secret == Secret("secret-\(index)"))
            }
        }
        #expect(reads < .seconds(10))
        let writes = try await clock.measure {
            for index in 0..<10 {
                try await fresh.set(Secret("changed"), service: "svc-0", account: "acct-\(index * 100)", keyring: nil, label: nil)
            }
        }
        #expect(writes < .seconds(10))
        #expect(try await fresh.search(attributes: [:], keyring: nil).count == 10_000)
        #expect(try await fresh.accounts(service: "svc-7", keyring: nil).count == 100)
        #expect(try await Self.backend(directory).get(service: "svc-0", account: "acct-900", keyring: nil) == Secret("changed"))
    }
}

/// Collects values from concurrent callbacks.
actor Recorder<Value: Sendable> {
    private(set) var values: [Value] = []
    func append(_ value: Value) { values.append(value) }
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}

/// CRC-32 (IEEE), written again here so the test does not trust the code it tests.
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// Refusing costly KDF parameters before hashing is told apart from hashing by the clock: run by
/// scripts/test alone (the ...TimingTests suites).
@Suite("Encrypted file backend: timing")
struct EncryptedFileTimingTests {
    @Test(
        "KDF parameters outside the bounds are refused before hashing",
        arguments: [
            (UInt32(1), UInt32(8 << 10)), (UInt32(2), UInt32(64 << 20)), (UInt32(2), UInt32(4 << 10)),
            (UInt32(1_000_000), UInt32(8 << 10)),
        ])
    func kdfBounds(operations: UInt32, memoryKiB: UInt32) async throws {
        let directory = try TemporaryDirectory()
        let path = try await EncryptedFileBackendTests.populated(directory)
        var bytes = try Files.read(path)
        bytes.replaceSubrange(12..<16, with: bigEndian(operations))
        bytes.replaceSubrange(16..<20, with: bigEndian(memoryKiB))
        bytes.replaceSubrange(132..<136, with: bigEndian(crc32(bytes[0..<132])))
        try Files.overwrite(path, with: bytes)
        let clock = ContinuousClock()
        let started = clock.now
        let error = await expectKeyringError(.badDataFormat) {
            _ = try await EncryptedFileBackendTests.backend(directory).get(
                service: "mail.example", account: "alice", keyring: nil)
        }
        #expect(clock.now - started < .seconds(2))
        #expect(error?.message.contains("refused before hashing") == true)
    }
}
