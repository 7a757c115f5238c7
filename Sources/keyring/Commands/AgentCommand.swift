internal import ArgumentParser
internal import KeyringKit

/// `keyring agent --socket PATH`: the key agent, started by `keyring unlock` where the kernel
/// keyring cannot hold keys (KeyAgent). Not for people: hidden from help.
struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Hold unlocked encrypted-file keys for the login session.",
        shouldDisplay: false)

    @Option(help: "The socket to listen on.")
    var socket: String

    func run() throws {
        let status = KeyAgent.serve(socketPath: socket)
        if status != 0 { throw ExitCode(status) }
    }
}
