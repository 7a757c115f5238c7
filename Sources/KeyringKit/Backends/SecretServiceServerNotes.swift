internal import KeyringSecretService

/// What `keyring diagnose` says about the program serving `org.freedesktop.secrets`: its name,
/// and what that server is known not to do (measured against each one headless: gnome-keyring
/// 42, KWallet 5.103, KeePassXC 2.7.4, pass-secret-service 0.1a0, libsecret 0.20.5's mock;
/// docs/secret-service-protocol.md has the details).
enum SecretServiceServerNotes {
    /// The server's name for one line: `KWallet (kwalletd5, pid 1234)`.
    static func name(of server: SecretServiceServer) -> String {
        let program = "\(server.programName), pid \(server.pid)"
        guard let kind = server.kind else { return "\(program): not a server swift-keyring is tested with" }
        return "\(title(of: kind)) (\(program))"
    }

    /// Lines for the diagnosis: the server, its executable, and each known limitation.
    static func describe(_ server: SecretServiceServer) -> [String] {
        var lines = ["server: " + name(of: server)]
        if let executable = server.executable { lines.append("server program: \(executable)") }
        guard let kind = server.kind else {
            lines.append("server limits: unknown (not one of gnome-keyring, KWallet, KeePassXC, oo7, pass-secret-service)")
            return lines
        }
        lines += limitations(of: kind).map { "server limit: " + $0 }
        return lines
    }

    static func title(of kind: SecretServiceServer.Kind) -> String {
        switch kind {
        case .gnomeKeyring: "gnome-keyring"
        case .kwallet: "KWallet"
        case .keepassxc: "KeePassXC"
        case .oo7: "oo7"
        case .passSecretService: "pass-secret-service"
        case .libsecretMock: "libsecret's test mock service"
        }
    }

    /// What the server is known not to support, as a user meets it.
    static func limitations(of kind: SecretServiceServer.Kind) -> [String] {
        let noMasterPassword =
            "`keyring create` and `unlock --password-stdin` need gnome-keyring's master-password interface, "
            + "which this server does not have: unlock with the server's own dialog"
        switch kind {
        case .gnomeKeyring:
            return [
                "every secret's content type comes back as text/plain (the bytes are kept)",
                "unlocking and creating keyrings without a password given needs a desktop prompt (gcr-prompter)",
            ]
        case .kwallet:
            return [
                "creating a keyring opens a KWallet dialog, and until it is answered the wallet daemon serves nobody",
                "text/plain secrets are kept as text: a NUL byte ends them (binary content types keep every byte)",
                "changes reach the wallet file about 5 s later: a crash before then loses them",
                noMasterPassword,
            ]
        case .keepassxc:
            return [
                "only the database groups exposed in KeePassXC's Secret Service settings are keyrings",
                "unlocking a database and creating a keyring need KeePassXC's window",
                "every write (store, delete, lock) is answered with a prompt: headless, `keyring` needs KEYRING_PROMPT=always",
                "it adds its own attributes (Title, UserName, URL, Notes, Uuid, Path) to every item",
                "it does not lock a database while saving it: locking right after a change is refused",
                noMasterPassword,
            ]
        case .oo7:
            return [noMasterPassword]
        case .passSecretService:
            return [
                "secrets are stored as UTF-8 text: binary secrets cannot be stored",
                "items have no created or modified times",
                "locking is a flag: any program unlocks a collection without a password, no prompt",
                noMasterPassword,
            ]
        case .libsecretMock:
            return [
                "a test double from libsecret's test suite, not a keyring: everything is lost when it exits",
                "its encryption is pure Python: large secrets take seconds to minutes",
                noMasterPassword,
            ]
        }
    }
}
