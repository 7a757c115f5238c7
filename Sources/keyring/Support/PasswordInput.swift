internal import KeyringKit

/// `--password-stdin`: a keyring password read from standard input, for scripts and for machines
/// where nobody can answer a prompt. One trailing newline is stripped; empty input is refused.
enum PasswordInput {
    static func fromStandardInput() throws(CommandExit) -> SecureBytes {
        var bytes = try StandardStreams.readAllInput()
        defer { bytes.wipe() }
        if bytes.last == 0x0A { bytes.removeLast() }
        guard !bytes.isEmpty else {
            throw CommandExit(.usage, "--password-stdin read an empty password from standard input")
        }
        return SecureBytes(bytes)
    }
}
