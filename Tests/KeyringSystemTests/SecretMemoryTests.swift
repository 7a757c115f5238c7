// Where secret bytes live: pages of their own, excluded from core dumps, wiped when released.

@testable import KeyringSystem
import Glibc
import Testing

@Suite("secret memory")
struct SecretMemoryTests {
    /// The `VmFlags` of the mapping of /proc/self/smaps that holds `address`.
    static func flags(of address: UnsafeRawPointer) throws -> [Substring] {
        let smaps = try readFile("/proc/self/smaps")
        let target = UInt(bitPattern: address)
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
                let start = UInt(line[..<dash], radix: 16), let end = UInt(line[line.index(after: dash)..<space], radix: 16)
            {
                inside = start <= target && target < end
            } else if inside, line.hasPrefix("VmFlags:") {
                return line.dropFirst("VmFlags:".count).split(separator: " ")
            }
        }
        throw TestFailure("no mapping holds \(address)")
    }

    struct TestFailure: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

    static func readFile(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw TestFailure("cannot open \(path)") }
        defer { fclose(file) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            out += buffer[..<count]
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test(
        "secure bytes of every size sit on pages excluded from core dumps (MADV_DONTDUMP)",
        arguments: [0, 1, 16, 4095, 4096, 100_000, 10_000_000])
    func excludedFromDumps(_ count: Int) throws {
        let bytes = SecureBytes(count: count)
        try bytes.withUnsafeBytes { raw in
            let first = try Self.flags(of: raw.baseAddress!)
            #expect(first.contains("dd"), "VmFlags \(first)")
            if count > 1 {
                let last = try Self.flags(of: raw.baseAddress! + (count - 1))
                #expect(last.contains("dd"), "VmFlags of the last byte \(last)")
            }
        }
    }

    @Test("a secret's bytes are excluded from dumps too, and compare and print as before")
    func secretsUseSecureBytes() throws {
        let secret = Secret("hunter2")
        let flags = try secret.withUnsafeBytes { raw in try Self.flags(of: raw.baseAddress!) }
        #expect(flags.contains("dd"))
        #expect(secret == Secret("hunter2"))
        #expect(secret.stringValue == "hunter2")
        #expect("\(secret)" == "<redacted>")
    }

    /// The number of mappings in /proc/self/maps.
    static func mappings() throws -> Int {
        try readFile("/proc/self/maps").split(separator: "\n").count
    }

    @Test("a hundred thousand live buffers share a few mappings (vm.max_map_count is 65,530)")
    func manyBuffersFewMappings() throws {
        let before = try Self.mappings()
        var live: [SecureBytes] = []
        for index in 0..<100_000 {
            live.append(SecureBytes(Array("secret-\(index)".utf8)))
        }
        let during = try Self.mappings()
        #expect(during - before < 1_000, "\(during - before) new mappings (one a buffer would be 100,000)")
        let flags = try live[99_999].withUnsafeBytes { try Self.flags(of: $0.baseAddress!) }
        #expect(flags.contains("dd"))
        live.removeAll()
        // Freed slots are reused, not mapped anew.
        for index in 0..<100_000 { live.append(SecureBytes(Array("again-\(index)".utf8))) }
        #expect(try Self.mappings() - during < 20)
    }

    @Test("a released slot is wiped before the next buffer gets it")
    func releasedSlotsAreWiped() throws {
        var address: UnsafeRawPointer?
        do {
            let first = SecureBytes(Array("wipe-me-please".utf8))
            address = first.withUnsafeBytes { $0.baseAddress }
        }
        // The next buffer of that size takes the slot just freed.
        let next = SecureBytes(count: 14)
        #expect(next.withUnsafeBytes { $0.baseAddress } == address)
        #expect(next.withUnsafeBytes { Array($0) } == [UInt8](repeating: 0, count: 14))
    }

    @Test(
        "ProcessProtection makes the process non-dumpable", .disabled(if: !ProcessProtection.isDumpable, "already non-dumpable"))
    func processProtection() throws {
        // Run in a child: the flag cannot be taken back, and the test runner should stay dumpable.
        let pid = fork()
        if pid == 0 {
            let made = ProcessProtection.disableCoreDumps()
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit)
            _exit(made && !ProcessProtection.isDumpable && limit.rlim_cur == 0 ? 0 : 1)
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(status == 0)
    }
}
