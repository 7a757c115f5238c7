internal import KeyringSystem

/// Where an unlocked encrypted-file keyring's key waits for the next process of the same login
/// session, so that `keyring unlock` once lets later commands and programs open the keyring
/// with no password and no Argon2id.
///
/// What is held is the key Argon2id derived from the password (it unwraps the keyring's data
/// key, and that check is what decides whether a held key is accepted), under a name derived
/// from the keyring file's key block: a held key serves exactly the file it was made for, and
/// a password change or a new file makes it useless. It is never written to disk.
///
/// Two holders, one contract (hold with a timeout, load, release, release all):
/// - ``kernelKeyring``: a `user` key in the session keyring, which `pam_keyinit` makes at each
///   login and destroys at logout; readable by the same user only (``KernelKeyring``), expired
///   by the kernel.
/// - ``agent(socketPath:executable:)``: a small process (`keyring agent`) holding keys in locked,
///   non-dumpable memory, on a socket in a 0700 directory of `$XDG_RUNTIME_DIR` (else
///   `/tmp/swift-keyring-UID`) that checks each caller's user ID with `SO_PEERCRED`; it exits at
///   the last timeout, when its socket is removed (logind empties the runtime directory at
///   logout) and when no other process of its login session is left. For machines where the
///   kernel keyring calls are refused (Docker's default seccomp profile) or a login has no
///   session keyring. A Secret Service provider serving the file keyring would be this process.
public struct SessionKeyHolder: Sendable, CustomStringConvertible {
    enum Place: Sendable, Equatable {
        case kernelKeyring
        case agent(socketPath: String, executable: String?)
    }

    let place: Place

    /// The session keyring of the kernel.
    public static let kernelKeyring = SessionKeyHolder(place: .kernelKeyring)

    /// An agent on `socketPath`, started from `executable` (a `keyring` binary, run as
    /// `keyring agent --socket PATH`) when a key is to be held and none runs. With `executable`
    /// `nil`, this program itself when it is `keyring`; other programs then use an agent that
    /// `keyring unlock` started (holding a key fails with `unsupported` when none runs).
    public static func agent(socketPath: String, executable: String? = nil) -> SessionKeyHolder {
        SessionKeyHolder(place: .agent(socketPath: socketPath, executable: executable))
    }

    /// The holder for this process: `KEYRING_SESSION_HOLDER` (`kernel`, `agent`, or `none`)
    /// when set, else the kernel keyring when this login has a session keyring and the calls are
    /// allowed, else the agent. `nil` for `none`, or when no agent socket path can be made.
    public static func automatic(environment: [String: String]) -> SessionKeyHolder? {
        switch environment["KEYRING_SESSION_HOLDER"]?.lowercased() {
        case "none", "off": return nil
        case "kernel": return .kernelKeyring
        case "agent": return KeyAgent.defaultSocketPath(environment: environment).map { .agent(socketPath: $0) }
        default:
            if KernelKeyring.unavailability() == nil { return .kernelKeyring }
            return KeyAgent.defaultSocketPath(environment: environment).map { .agent(socketPath: $0) }
        }
    }

    /// "the kernel session keyring" or "the key agent at PATH".
    public var description: String {
        switch place {
        case .kernelKeyring: return "the kernel session keyring"
        case .agent(let path, _): return "the key agent at \(path)"
        }
    }

    /// The prefix of every name this package holds keys under.
    static let namePrefix = "swift-keyring:file:"

    /// The name a keyring file's key is held under: a digest of its key block (salt, KDF
    /// parameters, wrapped data key), which is public; the name reveals nothing.
    static func name(forKeyBlock keyBlock: ArraySlice<UInt8>) -> String {
        let digest = Array(keyBlock).withUnsafeBytes { Sodium.hash($0, length: 16) }
        return namePrefix + digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    // MARK: Operations

    /// The key held under `name`, or `nil` (none, expired, or the holder cannot be reached:
    /// a holder that fails never stops an operation, which then asks for the password).
    func load(named name: String) -> SecureBytes? {
        switch place {
        case .kernelKeyring:
            return try? KernelKeyring.load(named: name)
        case .agent(let path, _):
            return try? KeyAgent.Client(socketPath: path).load(named: name)
        }
    }

    /// Holds `key` under `name` until `timeout`, replacing what was held under it.
    func hold(_ key: SecureBytes, named name: String, timeout: Duration) throws(KeyringError) {
        let seconds = max(1, Int(timeout.components.seconds))
        switch place {
        case .kernelKeyring:
            do { try KernelKeyring.store(key, named: name, timeoutSeconds: seconds) } catch {
                throw KeyringError(.backendFailure, "the kernel session keyring refused the key: \(error)")
            }
        case .agent(let path, let executable):
            try KeyAgent.Client(socketPath: path).hold(key, named: name, seconds: seconds, starting: executable)
        }
    }

    /// Forgets the key held under `name`. - Returns: whether one was held.
    @discardableResult
    func release(named name: String) throws(KeyringError) -> Bool {
        switch place {
        case .kernelKeyring:
            do { return try KernelKeyring.remove(named: name) } catch {
                throw KeyringError(.backendFailure, "the kernel session keyring could not drop the key: \(error)")
            }
        case .agent(let path, _):
            return try KeyAgent.Client(socketPath: path).release(named: name)
        }
    }

    /// Forgets every key this package holds there. - Returns: how many.
    @discardableResult
    public func releaseAll() throws(KeyringError) -> Int {
        switch place {
        case .kernelKeyring:
            do { return try KernelKeyring.removeAll(prefix: Self.namePrefix) } catch {
                throw KeyringError(.backendFailure, "the kernel session keyring could not drop the keys: \(error)")
            }
        case .agent(let path, _):
            return try KeyAgent.Client(socketPath: path).releaseAll()
        }
    }

    /// For `diagnose`: where keys are held and how many.
    func status() -> String {
        switch place {
        case .kernelKeyring:
            let count = KernelKeyring.names(prefix: Self.namePrefix).count
            let serial = KernelKeyring.sessionKeyringSerial.map { " \($0)" } ?? ""
            return "the kernel session keyring\(serial), \(count) key\(count == 1 ? "" : "s") held"
        case .agent(let path, _):
            if let count = try? KeyAgent.Client(socketPath: path).count() {
                return "the key agent at \(path), running, \(count) key\(count == 1 ? "" : "s") held"
            }
            return "the key agent at \(path), not running"
        }
    }
}

/// How an encrypted-file backend keeps keyrings unlocked beyond one process.
public struct SessionUnlock: Sendable {
    /// Where keys are held; `nil` to keep them only in this process.
    public var holder: SessionKeyHolder?
    /// How long an unlock for the session lasts when none is given (``EncryptedFileBackend/unlockForSession(keyring:password:timeout:)``).
    public var timeout: Duration
    /// How long a password typed at a prompt keeps its keyring open for the session, as `sudo`
    /// remembers one; `nil` to ask every time.
    public var rememberPrompted: Duration?

    /// Eight hours for an unlock (a working day: the login session usually ends first) and
    /// fifteen minutes after a prompt (`sudo`'s default).
    public static let defaultTimeout: Duration = .seconds(8 * 3600)
    /// Fifteen minutes.
    public static let defaultRememberPrompted: Duration = .seconds(15 * 60)

    /// - Parameters:
    ///   - holder: Where keys are held, `nil` for nowhere.
    ///   - timeout: The default length of an unlock for the session.
    ///   - rememberPrompted: How long a prompted password is remembered, `nil` for never.
    public init(
        holder: SessionKeyHolder?, timeout: Duration = defaultTimeout, rememberPrompted: Duration? = defaultRememberPrompted
    ) {
        self.holder = holder
        self.timeout = timeout
        self.rememberPrompted = rememberPrompted
    }

    /// The automatic holder (``SessionKeyHolder/automatic(environment:)``) and the defaults.
    public static func automatic(environment: [String: String]) -> SessionUnlock {
        SessionUnlock(holder: .automatic(environment: environment))
    }

    /// Parses a duration as the configuration file writes one: `90s`, `30m`, `8h`, `1d`
    /// (seconds without a unit), at most a year.
    /// - Throws: ``KeyringError`` `invalidArgument`.
    public static func parseDuration(_ text: String) throws(KeyringError) -> Duration {
        try BackendConfiguration.parseDuration(text, origin: "the duration")
    }

    /// Nothing kept beyond the process.
    public static let disabled = SessionUnlock(holder: nil, rememberPrompted: nil)
}
