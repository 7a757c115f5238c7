internal import ArgumentParser
internal import KeyringKit
internal import KeyringSystem

/// `keyring token-helper get|store|erase`: a token helper for the `bao` and `vault` CLIs
/// (their token-helper protocol), so the token lives in the keyring instead of `~/.vault-token`.
/// Tokens are kept per server: service `openbao-token`, account `$BAO_ADDR` (else `$VAULT_ADDR`,
/// else the CLIs' default `https://127.0.0.1:8200`).
struct TokenHelperCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token-helper",
        abstract: "Act as a token helper for the bao and vault CLIs.",
        discussion: """
            The CLIs run the helper as `HELPER get`, `HELPER store` (the token on stdin) and \
            `HELPER erase`, and take only a path, so put a link named keyring-token-helper to \
            keyring somewhere and name it in ~/.bao (OpenBao) or ~/.vault (Vault):
              ln -s "$(command -v keyring)" ~/.local/bin/keyring-token-helper
              echo 'token_helper = "'"$HOME"'/.local/bin/keyring-token-helper"' >> ~/.bao
            The token is kept in the backend keyring chooses as usual, one per server address; \
            when that is the openbao backend, which needs the token to open, in the automatic \
            choice instead (the Secret Service, else the encrypted file).
            """)

    /// The service tokens are stored under.
    static let service = "openbao-token"
    /// The program name that makes `keyring` act as `keyring token-helper`.
    static let programName = "keyring-token-helper"

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("get, store or erase.", valueName: "operation"))
    var operation: String

    func validate() throws {
        guard ["get", "store", "erase"].contains(operation) else {
            throw ValidationError("the token helper's operations are get, store and erase")
        }
    }

    func run() async throws {
        let context = CommandContext(options)
        if context.isDisabled {
            if operation == "get" { return }
            throw CommandExit(.unavailable, "keyring is disabled by -b: no token is stored")
        }
        let environment = context.environment
        let address =
            ["BAO_ADDR", "VAULT_ADDR"].lazy.compactMap { environment[$0]?.trimmedWhitespace }.first { !$0.isEmpty }
            ?? "https://127.0.0.1:8200"
        let account = address.hasSuffix("/") ? String(address.dropLast()) : address
        var selection = try context.selection()
        var choice = try await selection.choose()
        if !choice.kind.isBuiltIn {
            // The openbao backend needs the token to open: the token goes to the automatic
            // choice (the Secret Service, else the encrypted file) instead.
            await choice.backend.close()
            selection.backend = nil
            selection.providers = []
            selection.environment["KEYRING_BACKEND"] = nil
            selection.configurationPath = nil
            choice = try await selection.choose()
        }
        let keyring = Keyring(backend: choice.backend, keyring: options.keyring)
        CommandSession.opened(keyring)
        switch operation {
        case "get":
            // No token is no output: the CLI then asks for a login.
            guard let token = try await keyring.get(service: Self.service, account: account) else { return }
            try token.withUnsafeBytes { bytes throws(CommandExit) in try StandardStreams.writeOut(bytes) }
        case "store":
            var input = try StandardStreams.readAllInput()
            defer { input.wipe() }
            var end = input.count
            while end > 0, [0x0A, 0x0D, 0x20, 0x09].contains(input[end - 1]) { end -= 1 }
            guard end > 0 else { throw CommandExit(.usage, "token-helper store: no token on standard input") }
            let token = input[..<end].withUnsafeBytes { Keyring.secret(copying: $0) }
            try await keyring.set(token, service: Self.service, account: account, label: "OpenBao token for \(account)")
        default:
            _ = try await keyring.delete(service: Self.service, account: account)
        }
    }
}
