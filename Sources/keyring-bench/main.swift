// keyring-bench: performance measurements, run with `swift run -c release keyring-bench SUBCOMMAND`.
//
//   dh [--count N]         the session's Diffie-Hellman exponentiations, no D-Bus (median µs)
//   file                   the encrypted file backend: KDF time, get and set at 10, 1,000 and 10,000 entries
//   lookup [--count N]     sequential Secret Service lookups on one connection; last line `lookups_per_second: X`
//   secret-service [--count N]
//                          session open, batch lookup of 100 items, set/delete rates on `session` and
//                          `login`, the KeyringKit backend's get and set, then lookups
//   sessions [--count N]   N fresh clients (N DH sessions), each storing and reading back a secret;
//                          last line `failed_sessions: F` (a KWallet run shows its DH bugs avoided)
//   list [--count N]       fills the default collection with N entries of one service, then times the
//                          backend's accounts(service:) and search(); cleans up (scripts/bench-list)
//
// The Secret Service commands use the session bus; scripts/bench-keyring starts a private gnome-keyring.

var arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.isEmpty ? "" : arguments.removeFirst()
var count = 1000
if let index = arguments.firstIndex(of: "--count"), index + 1 < arguments.count, let value = Int(arguments[index + 1]), value > 0
{
    count = value
}
/// Runs off the main actor: top-level code is main-actor isolated, and hopping back to it after
/// every operation would measure the main queue rather than the keyring.
nonisolated func run(_ command: String, count: Int) async throws {
    switch command {
    case "dh":
        DHBench.run(count: count)
    case "file":
        try await FileBackendBench.run()
    case "lookup":
        try await SecretServiceBench.lookup(count: count)
    case "sessions":
        try await SessionsBench.run(count: count)
    case "list":
        try await ListBench.run(count: count, arguments: arguments)
    case "secret-service":
        try await SecretServiceBench.all(count: count)
    default:
        print(
            "usage: keyring-bench dh [--count N] | file | lookup [--count N] | secret-service [--count N] | sessions [--count N] | list [--count N]"
        )
    }
}

try await run(command, count: count)
