// keyring-bench: performance measurements, run with `swift run -c release keyring-bench SUBCOMMAND`.
//
//   file    the encrypted file backend: KDF time, get and set at 10, 1,000 and 10,000 entries

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "file":
    try await FileBackendBench.run()
default:
    print("usage: keyring-bench file")
}
