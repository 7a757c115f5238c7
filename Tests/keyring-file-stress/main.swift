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

import Glibc
import KeyringKit
import SecretService

/// Writes a line straight to a descriptor with write(2): nothing waits in a buffer when the
/// process is killed.
func writeLine(_ descriptor: Int32, _ line: String) {
    var bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let count = bytes.withUnsafeMutableBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if count <= 0 { if errno == EINTR { continue }; exit(3) }
        offset += count
    }
}

/// Prints the usage line and exits with status 2.
func usage() -> Never {
    writeLine(2, "usage: KEYRING_FILE_PASSWORD=... keyring-file-stress DIRECTORY PREFIX COUNT "
        + "[--kdf-ops N] [--kdf-memory-mib N] [--lock-timeout-ms N]")
    exit(2)
}

let arguments = CommandLine.arguments
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
