internal import KeyringKit

/// Asks for keyring passwords on the terminal, for the encrypted-file backend.
enum PasswordPrompt {
    /// Prompts on `/dev/tty` without echo; asks twice, and compares, for a new keyring.
    /// Throws ``KeyringError`` `locked` with what to do when there is no terminal.
    static let provider: PasswordProvider = Keyring.passwordProvider { request in
        let subject = "the \(request.backend) keyring '\(request.keyring)'"
        do {
            switch request.purpose {
            case .unlock:
                let retry = request.attempt > 1 ? "Wrong password. " : ""
                return try Terminal.readSecret(prompt: "\(retry)Password for \(subject): ")
            case .create:
                var first = try Terminal.readSecret(prompt: "New password for \(subject): ")
                var second: [UInt8]
                do {
                    second = try Terminal.readSecret(prompt: "Repeat the password: ")
                } catch {
                    first.wipe()
                    throw error
                }
                defer {
                    second.wipe()
                }
                guard first == second else {
                    first.wipe()
                    throw KeyringError(.locked, "the two passwords for \(subject) differ; nothing was created")
                }
                return first
            }
        } catch Terminal.Failure.noTerminal {
            throw KeyringError(
                .locked,
                "\(subject) needs a password and there is no terminal to ask on; set KEYRING_FILE_PASSWORD in the environment")
        } catch Terminal.Failure.endOfInput {
            return nil
        }
    }
}
