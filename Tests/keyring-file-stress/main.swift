// keyring-file-stress: a child process for KeyringKit's multi-process tests.
//
//   KEYRING_FILE_PASSWORD=... keyring-file-stress DIRECTORY PREFIX COUNT [OPTIONS]
//
// Writes COUNT entries (service "stress", account "PREFIX-i", secret "value-PREFIX-i") one
// `set` at a time to the default encrypted keyring in DIRECTORY, and writes `ack PREFIX-i` to
// stdout (unbuffered) after each `set` returns. Every printed line is an acknowledged, durable
// write: the tests kill this process with SIGKILL and check that each acknowledged entry
// survived. Prints `done` at the end. The password comes from the environment, never from argv.
//
// Options:
//   --kdf-ops N           Argon2id passes for a keyring this process creates (default 2)
//   --kdf-memory-mib N    Argon2id memory in MiB for a keyring this process creates (default 8)
//   --lock-timeout-ms N   how long a `set` waits for another process's lock (default 60000)
//
// Without options the KDF is the cheapest accepted one (`KDFParameters.minimum`).
//
//   KEYRING_FILE_PASSWORD=... keyring-file-stress probe DIRECTORY...
//
// Runs each operation of the file-fuzzing tests (get, accounts, search, set, delete,
// change-password, unlock) once against the default keyring in each DIRECTORY, with a backend
// of its own per directory, and prints one line per operation:
//
//   result INDEX OPERATION CPU-MILLISECONDS ok
//   result INDEX OPERATION CPU-MILLISECONDS CODE HEX(MESSAGE) HEX(DESCRIPTION)
//
// (the CPU time the process spent on it, which does not depend on the machine's load; the
// error's text hex-encoded as UTF-8, so that whatever it holds arrives as it was), then
// `rss KIB`, its peak resident memory (VmHWM in /proc/self/status), and `done`.

import Glibc
import KeyringKit
import KeyringSecretService
import KeyringSystem

/// Writes a line straight to a descriptor with write(2): nothing waits in a buffer when the
/// process is killed.
func writeLine(_ descriptor: Int32, _ line: String) {
    var bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let count = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if count <= 0 {
            if errno == EINTR { continue }
            exit(3)
        }
        offset += count
    }
}

/// Prints the usage line and exits with status 2.
func usage() -> Never {
    writeLine(
        2,
        "usage: KEYRING_FILE_PASSWORD=... keyring-file-stress DIRECTORY PREFIX COUNT "
            + "[--kdf-ops N] [--kdf-memory-mib N] [--lock-timeout-ms N]")
    exit(2)
}

/// Hex digits of the UTF-8 of `text`.
func hex(_ text: String) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 { out += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
    return String(decoding: out, as: UTF8.self)
}

/// The `probe` mode: every operation against each directory's default keyring, then the peak RSS.
func probe(_ directories: ArraySlice<String>) async -> Never {
    let operations: [(String, @Sendable (EncryptedFileBackend) async throws -> Void)] = [
        ("get", { _ = try await $0.get(service: "mail.example", account: "alice", keyring: nil) }),
        ("accounts", { _ = try await $0.accounts(service: "mail.example", keyring: nil) }),
        ("search", { _ = try await $0.search(attributes: [:], keyring: nil) }),
        ("set", { try await $0.set(Secret("fuzz-new-secret"), service: "fuzz.example", account: "x", keyring: nil, label: nil) }),
        ("delete", { _ = try await $0.delete(service: "mail.example", account: "alice", keyring: nil) }),
        ("change-password", { try await $0.changePassword(keyring: nil, to: SecureBytes(utf8: "fuzz-new-password")) }),
        ("unlock", { try await $0.unlock(keyring: nil, password: nil) }),
    ]
    for (index, directory) in directories.enumerated() {
        let backend = EncryptedFileBackend(directory: directory, kdf: .minimum, lockTimeout: .seconds(10))
        for (name, operation) in operations {
            let started = cpuMilliseconds()
            var outcome = "ok"
            do { try await operation(backend) } catch let error as KeyringError {
                outcome = "\(error.code.rawValue) \(hex(error.message)) \(hex(error.description))"
            } catch {
                outcome = "not-a-keyring-error \(hex("\(error)")) \(hex("\(error)"))"
            }
            writeLine(1, "result \(index) \(name) \(cpuMilliseconds() - started) \(outcome)")
        }
    }
    writeLine(1, "rss \(peakResidentKiB())")
    writeLine(1, "done")
    exit(0)
}

/// CPU time this process has used, all threads (`clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`).
func cpuMilliseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
    return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
}

/// This program's peak resident memory in KiB: `VmHWM` in /proc/self/status. Not getrusage's
/// `ru_maxrss`: after a vfork-style spawn (Foundation's Process uses posix_spawn) Linux keeps
/// in it the peak of the parent whose memory the child shared until exec.
func peakResidentKiB() -> Int {
    guard let file = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), file) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") {
            return Int(text.dropFirst(6).filter(\.isNumber)) ?? -1
        }
    }
    return -1
}

let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1] == "probe" { await probe(arguments.dropFirst(2)) }
guard arguments.count >= 4, arguments.count % 2 == 0, let count = Int(arguments[3]) else { usage() }
let directory = arguments[1]
let prefix = arguments[2]
var operations = KDFParameters.minimum.operations
var memoryMiB = KDFParameters.minimum.memoryBytes >> 20
var lockTimeoutMilliseconds = 60_000
for index in stride(from: 4, to: arguments.count, by: 2) {
    guard let value = Int(arguments[index + 1]), value >= 0 else { usage() }
    switch arguments[index] {
    case "--kdf-ops": operations = UInt32(clamping: value)
    case "--kdf-memory-mib": memoryMiB = value
    case "--lock-timeout-ms": lockTimeoutMilliseconds = value
    default: usage()
    }
}

do {
    let kdf = try KDFParameters(operations: operations, memoryBytes: memoryMiB << 20)
    let backend = EncryptedFileBackend(directory: directory, kdf: kdf, lockTimeout: .milliseconds(lockTimeoutMilliseconds))
    for index in 0..<count {
        let account = "\(prefix)-\(index)"
        try await backend.set(Secret("value-\(account)"), service: "stress", account: account, keyring: nil, label: nil)
        writeLine(1, "ack \(account)")
    }
    writeLine(1, "done")
} catch {
    writeLine(2, "keyring-file-stress: \(error)")
    exit(1)
}
