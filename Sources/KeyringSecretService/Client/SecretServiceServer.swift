internal import KeyringDBus
internal import KeyringSystem

/// The program that serves `org.freedesktop.secrets`: its process, and which known server it is.
///
/// Found with ``SecretServiceClient/server()``: the bus names the owner's process
/// (`GetConnectionUnixProcessID`), and `/proc` names its program. Nothing here is asked of the
/// server itself, so an unknown or misbehaving server is described just as well.
public struct SecretServiceServer: Sendable, Hashable {
    /// The servers swift-keyring knows, by their program.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// gnome-keyring-daemon.
        case gnomeKeyring = "gnome-keyring"
        /// KWallet: kwalletd5, kwalletd6, or KDE's ksecretd.
        case kwallet
        /// KeePassXC with its Secret Service integration on.
        case keepassxc
        /// oo7-daemon (the Rust Secret Service).
        case oo7
        /// pass-secret-service (Python, over pass).
        case passSecretService = "pass-secret-service"
        /// libsecret's test double (`libsecret/mock/service.py`), as its test suite runs it.
        case libsecretMock = "libsecret-mock"
    }

    /// The owner's process ID, as the bus has it.
    public let pid: UInt32
    /// The kernel's name for the process (`/proc/PID/comm`, at most 15 characters), if readable.
    public let commandName: String?
    /// The executable's path (`/proc/PID/exe`), if we may read it (same user, no sandbox between).
    public let executable: String?
    /// Which known server it is, or nil for one swift-keyring does not know.
    public let kind: Kind?

    /// The program's name for messages: the executable's file name, else the command name, else `pid N`.
    public var programName: String {
        if let executable, let name = executable.split(separator: "/").last { return String(name) }
        return commandName ?? "pid \(pid)"
    }

    package init(pid: UInt32, commandName: String?, executable: String?, arguments: [String]) {
        self.pid = pid
        self.commandName = commandName
        self.executable = executable
        kind = Self.recognise(commandName: commandName, executable: executable, arguments: arguments)
    }

    /// Recognises a server from its program, or, for the interpreted ones, from the script it runs.
    static func recognise(commandName: String?, executable: String?, arguments: [String]) -> Kind? {
        let program = executable.flatMap { $0.split(separator: "/").last.map(String.init) } ?? commandName ?? ""
        switch program {
        case "gnome-keyring-daemon", "gnome-keyring-d": return .gnomeKeyring
        case "kwalletd5", "kwalletd6", "ksecretd": return .kwallet
        case "keepassxc": return .keepassxc
        case "oo7-daemon": return .oo7
        default: break
        }
        // Python servers: the interpreter is the executable, the script an argument.
        for argument in arguments.prefix(4) {
            let name = argument.split(separator: "/").last.map(String.init) ?? argument
            if name == "pass_secret_service" || name == "pass-secret-service" { return .passSecretService }
            if name == "libsecret-mock.py" || argument.hasSuffix("mock/service.py") || name.hasPrefix("mock-service-") {
                return .libsecretMock
            }
        }
        return nil
    }
}

extension SecretServiceClient {
    /// The program serving `org.freedesktop.secrets` on this client's bus
    /// (`org.freedesktop.DBus.GetConnectionUnixProcessID`, then `/proc/PID`). Asks only the bus.
    /// - Throws: ``SecretServiceError`` `.serviceUnavailable` when nothing owns the name.
    public func server() async throws(SecretServiceError) -> SecretServiceServer {
        let pid = try await perform("asking the bus which program serves \(SecretServiceNames.busName)", needsDaemon: false) {
            state in
            do {
                return try await state.connection.processID(ofOwnerOf: SecretServiceNames.busName)
            } catch let error as DBusError where error.name == DBusError.Name.nameHasNoOwner {
                throw SecretServiceError(.serviceUnavailable, "nothing owns \(SecretServiceNames.busName) on the session bus")
            }
        }
        let process = ProcessDescription(pid: Int32(bitPattern: pid))
        return SecretServiceServer(
            pid: pid, commandName: process.commandName, executable: process.executable, arguments: process.arguments)
    }
}
