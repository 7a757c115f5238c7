internal import ArgumentParser
internal import KeyringKit

/// `keyring docker-credential store|get|erase|list|version`: a Docker credential helper
/// (docker-credential-helpers' protocol). `store` reads `{"ServerURL", "Username", "Secret"}`
/// on stdin; `get` reads a server URL and answers that object; `erase` reads a server URL;
/// `list` answers `{"SERVER": "USER", ...}`. Errors are a line on stdout and status 1, as the
/// protocol has them; a missing credential is `credentials not found in native keychain`.
struct DockerCredentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docker-credential",
        abstract: "Act as a Docker credential helper.",
        discussion: """
            Put a link named docker-credential-keyring to keyring on PATH and set \
            "credsStore": "keyring" (or "credHelpers") in ~/.docker/config.json. In the \
            Secret Service the items are those of docker-credential-secretservice (xdg:schema \
            io.docker.Credentials, attributes label, server, username, docker_cli), so either \
            helper reads what the other stored; other backends keep them under the service \
            docker:SERVER with the user name as account. One credential per server: storing \
            one replaces another user's.
            """)

    /// The protocol's message for a credential that is not there; docker matches it exactly.
    static let notFound = "credentials not found in native keychain"

    @OptionGroup var options: GlobalOptions

    @Argument(help: ArgumentHelp("store, get, erase, list or version.", valueName: "operation"))
    var operation: String?

    func run() async throws {
        guard operation != nil else {
            // As docker-credential-helpers' programs answer no operation: the usage on stdout, status 1.
            try? StandardStreams.writeOut("Usage: docker-credential-keyring <store|get|erase|list|version>\n")
            throw ExitCode(1)
        }
        do {
            try await perform()
        } catch let exit as CommandExit {
            try Self.fail(exit.message ?? Self.notFound)
        } catch let error as KeyringError {
            try Self.fail(error.message + (KeyringCommand.advice(for: error).map { "; " + $0 } ?? ""))
        }
    }

    /// The protocol's error: the message on stdout (where docker reads it), status 1.
    private static func fail(_ message: String) throws -> Never {
        try? StandardStreams.writeOut(DisplayText.sanitized(message) + "\n")
        throw ExitCode(1)
    }

    private func perform() async throws {
        let context = CommandContext(options)
        switch operation ?? "" {
        case "version":
            try StandardStreams.writeOut("docker-credential-keyring (swift-keyring) \(KeyringCommand.version)\n")
        case "store":
            var input = try StandardStreams.readAllInput()  // holds the secret
            defer { input.wipe() }
            var message = try DockerCredentialMessage(parsing: input)
            defer { message.wipe() }
            input.wipe()
            guard !message.serverURL.isEmpty else { throw CommandExit(.failure, "no credentials server URL") }
            guard !message.username.isEmpty else { throw CommandExit(.failure, "no credentials username") }
            let secret = message.secret.withUnsafeBytes { Keyring.secret(copying: $0) }
            message.wipe()
            if context.isDisabled { return }
            try await context.open().storeDockerCredential(
                DockerCredentialKey(server: message.serverURL), username: message.username, secret: secret)
        case "get":
            let server = try Self.serverURL()
            if context.isDisabled { throw CommandExit(.notFound, Self.notFound) }
            let log = try AuditLog.open(for: context)
            let keyring = try await context.open()
            let found = try await context.audited(log, "docker-credential get", service: server, account: nil, in: keyring) {
                try await keyring.dockerCredential(DockerCredentialKey(server: server))
            }
            // An empty secret counts as none, as docker-credential-secretservice counts it.
            guard let found, found.secret.count > 0 else { throw CommandExit(.notFound, Self.notFound) }
            guard found.secret.stringValue != nil else {
                throw CommandExit(.failure, "the secret stored for \(server) is binary data, which docker's JSON cannot carry")
            }
            var answer = found.secret.withUnsafeBytes {
                DockerCredentialMessage.encode(serverURL: server, username: found.username, secret: $0)
            }
            defer { answer.wipe() }
            try answer.withUnsafeBytes { try StandardStreams.writeOut($0) }
        case "erase":
            let server = try Self.serverURL()
            if context.isDisabled { return }
            try await context.open().eraseDockerCredential(DockerCredentialKey(server: server))
        case "list":
            if context.isDisabled {
                try StandardStreams.writeOut("{}\n")
                return
            }
            let log = try AuditLog.open(for: context)
            let keyring = try await context.open()
            let credentials =
                try await context.audited(log, "docker-credential list", service: "", account: nil, in: keyring) {
                    try await keyring.dockerCredentials()
                } ?? []
            try StandardStreams.writeOut(DockerCredentialMessage.encodeList(credentials))
        default:
            throw CommandExit(
                .failure, "docker-credential-keyring: unknown action (not shown); use store, get, erase, list or version")
        }
    }

    /// The server URL `get` and `erase` read: standard input, spaces around it removed.
    private static func serverURL() throws(CommandExit) -> String {
        let input = try StandardStreams.readAllInput()
        guard let text = String(validating: input, as: UTF8.self) else {
            throw CommandExit(.failure, "the server URL sent is not valid UTF-8 (not shown)")
        }
        let server = text.trimmedWhitespace
        guard !server.isEmpty else { throw CommandExit(.failure, "no credentials server URL") }
        return server
    }
}
