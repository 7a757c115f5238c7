// keyring-file-stress: a child process for KeyringKit's multi-process tests.
//
//   KEYRING_FILE_PASSWORD=... keyring-file-stress DIRECTORY PREFIX COUNT
//
// Writes COUNT entries (service "stress", account "PREFIX-i", secret "value-PREFIX-i") one
// `set` at a time to the default encrypted keyring in DIRECTORY, with the cheapest accepted KDF
// parameters, and writes `ack PREFIX-i` to stdout (unbuffered) after each `set` returns. Every
// printed line is an acknowledged, durable write: the tests kill this process with SIGKILL and
// check that each acknowledged entry survived. Prints `done` at the end. The password comes
// from the environment, never from argv.

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

let arguments = CommandLine.arguments
guard arguments.count == 4, let count = Int(arguments[3]) else {
    writeLine(2, "usage: KEYRING_FILE_PASSWORD=... keyring-file-stress DIRECTORY PREFIX COUNT")
    exit(2)
}
let directory = arguments[1]
let prefix = arguments[2]
let backend = EncryptedFileBackend(directory: directory, kdf: .minimum, lockTimeout: .seconds(60))

do {
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
