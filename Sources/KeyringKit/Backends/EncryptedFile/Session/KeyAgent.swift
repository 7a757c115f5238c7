internal import Glibc
internal import KeyringSystem

/// The key agent: a process of the user that holds unlocked encrypted-file keys for its login
/// session, on a local socket (``SessionKeyHolder/agent(socketPath:executable:)``).
///
/// One request per connection, answered at once; the agent serves one connection at a time
/// with a one-second limit on each read and write, so a client that stalls cannot hold it up
/// for long. Every connection whose peer is not the agent's own user is closed unanswered.
///
/// Wire format, big-endian: a request is `op` (1 byte), name length (2), seconds (4), key length
/// (2), the name, the key; a reply is status (1 byte: 0 done, 1 not held, 2 refused), payload
/// length (2), the payload (a key, or a count as 4 bytes).
public enum KeyAgent {
    enum Operation: UInt8 {
        case load = 1, hold = 2, release = 3, releaseAll = 4, count = 5
    }

    static let maximumNameLength = 200
    static let maximumKeyLength = 256
    /// How long the agent waits for a first key before it gives up and exits.
    static let startupGrace = 30_000

    // MARK: Where

    /// `$XDG_RUNTIME_DIR/swift-keyring/agent[-SESSION].sock` when `XDG_RUNTIME_DIR` is an
    /// absolute path, else `/tmp/swift-keyring-UID/agent[-SESSION].sock`; SESSION is the audit
    /// login session (`/proc/self/sessionid`) when there is one, so each login has its own agent.
    public static func defaultSocketPath(environment: [String: String]) -> String? {
        let uid = FileSystem.effectiveUserID
        let directory: String
        if let runtime = environment["XDG_RUNTIME_DIR"], runtime.hasPrefix("/"),
            let status = try? FileSystem.linkStatus(runtime), status.isDirectory, status.owner == uid
        {
            directory = runtime + "/swift-keyring"
        } else {
            directory = "/tmp/swift-keyring-\(uid)"
        }
        let session = loginSession.map { "-\($0)" } ?? ""
        let path = directory + "/agent\(session).sock"
        return path.utf8.count <= LocalSocket.maximumPathLength ? path : nil
    }

    /// The audit login session of this process (`/proc/self/sessionid`), `nil` when it has none.
    static var loginSession: UInt32? {
        guard let bytes = try? FileSystem.readSmallFile("/proc/self/sessionid", limit: 64),
            let id = UInt32(String(decoding: bytes, as: UTF8.self).trimmedWhitespace), id != UInt32.max
        else { return nil }
        return id
    }

    /// Checks that the agent's directory is this user's own, a real directory, closed to
    /// everyone else (0700); creates it when `create`.
    static func checkDirectory(of socketPath: String, create: Bool) throws(KeyringError) {
        let directory = String(socketPath[..<(socketPath.lastIndex(of: "/") ?? socketPath.startIndex)])
        do {
            if create, try FileSystem.linkStatus(directory) == nil {
                try FileSystem.makeDirectory(directory, mode: 0o700)
            }
            guard let status = try FileSystem.linkStatus(directory) else {
                throw KeyringError(.noStorageAccess, "the key agent's directory \(directory) does not exist")
            }
            guard status.isDirectory, status.owner == FileSystem.effectiveUserID, status.permissions & 0o077 == 0 else {
                throw KeyringError(
                    .permissionDenied,
                    "the key agent's directory \(directory) must be a directory of this user with mode 0700; "
                        + "refusing to use it (remove it and unlock again)")
            }
        } catch let error as SystemCallError {
            throw KeyringError(.noStorageAccess, "cannot use the key agent's directory \(directory)", underlying: error)
        } catch let error as KeyringError {
            throw error
        } catch {
            throw KeyringError(.noStorageAccess, "cannot use the key agent's directory \(directory)")
        }
    }

    // MARK: Client

    struct Client {
        let socketPath: String

        func load(named name: String) throws(KeyringError) -> SecureBytes? {
            guard let reply = try request(.load, name: name) else { return nil }
            return reply.status == 0 ? reply.payload : nil
        }

        func hold(_ key: SecureBytes, named name: String, seconds: Int, starting executable: String?) throws(KeyringError) {
            if try request(.hold, name: name, seconds: seconds, key: key) != nil { return }
            try KeyAgent.start(socketPath: socketPath, executable: executable)
            guard try request(.hold, name: name, seconds: seconds, key: key) != nil else {
                throw KeyringError(.backendFailure, "the key agent at \(socketPath) started but does not answer")
            }
        }

        func release(named name: String) throws(KeyringError) -> Bool {
            guard let reply = try request(.release, name: name) else { return false }
            return reply.status == 0
        }

        func releaseAll() throws(KeyringError) -> Int {
            guard let reply = try request(.releaseAll) else { return 0 }
            return reply.count
        }

        func count() throws(KeyringError) -> Int? {
            try request(.count)?.count
        }

        struct Reply {
            let status: UInt8
            let payload: SecureBytes
            var count: Int {
                payload.count == 4 ? payload.withUnsafeBytes { Int($0.loadUnaligned(as: UInt32.self).bigEndian) } : 0
            }
        }

        /// One request; `nil` when no agent listens there.
        private func request(
            _ operation: Operation, name: String = "", seconds: Int = 0, key: SecureBytes? = nil
        ) throws(KeyringError) -> Reply? {
            guard (try? FileSystem.linkStatus(socketPath)) != nil else { return nil }
            try KeyAgent.checkDirectory(of: socketPath, create: false)
            let socket: LocalSocket
            do { socket = try LocalSocket.connect(to: socketPath) } catch {
                if error.isAbsent { return nil }
                throw KeyringError(.noStorageAccess, "cannot reach the key agent at \(socketPath): \(error)")
            }
            do {
                guard try socket.peerUserID() == FileSystem.effectiveUserID else {
                    throw KeyringError(.permissionDenied, "the process at \(socketPath) is not this user's: refusing to use it")
                }
                socket.setTimeout(milliseconds: 2000)
                let message = KeyAgent.encode(operation, name: name, seconds: seconds, key: key)
                try message.withUnsafeBytes { (raw) throws(LocalSocket.Failure) in try socket.write(raw) }
                return try KeyAgent.readReply(socket)
            } catch let error as KeyringError {
                throw error
            } catch {
                throw KeyringError(.backendFailure, "the key agent at \(socketPath) failed: \(error)")
            }
        }
    }

    static func encode(_ operation: Operation, name: String, seconds: Int, key: SecureBytes?) -> SecureBytes {
        let nameBytes = Array(name.utf8.prefix(maximumNameLength))
        let keyLength = key?.count ?? 0
        let message = SecureBytes(count: 9 + nameBytes.count + keyLength)
        message.withUnsafeMutableBytes { raw in
            raw[0] = operation.rawValue
            raw.storeBytes(of: UInt16(nameBytes.count).bigEndian, toByteOffset: 1, as: UInt16.self)
            raw.storeBytes(of: UInt32(clamping: seconds).bigEndian, toByteOffset: 3, as: UInt32.self)
            raw.storeBytes(of: UInt16(keyLength).bigEndian, toByteOffset: 7, as: UInt16.self)
            UnsafeMutableRawBufferPointer(rebasing: raw[9..<(9 + nameBytes.count)]).copyBytes(from: nameBytes)
            key?.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[(9 + nameBytes.count)...]).copyMemory(from: $0) }
        }
        return message
    }

    static func readReply(_ socket: LocalSocket) throws(LocalSocket.Failure) -> Client.Reply {
        let header = try socket.read(count: 3)
        let length = Int(UInt16(header[1]) << 8 | UInt16(header[2]))
        let payload = SecureBytes(count: min(length, maximumKeyLength))
        try payload.withUnsafeMutableBytes { (raw) throws(LocalSocket.Failure) in try socket.read(into: raw) }
        return Client.Reply(status: header[0], payload: payload)
    }

    /// Starts an agent on `socketPath` and waits (up to two seconds) until it listens.
    static func start(socketPath: String, executable: String?) throws(KeyringError) {
        guard let program = executable ?? agentExecutable() else {
            throw KeyringError(
                .unsupported,
                "no key agent runs at \(socketPath) to keep the keyring unlocked: run `keyring unlock` to start one, "
                    + "or give the path of a `keyring` program (SessionKeyHolder.agent(socketPath:executable:))")
        }
        try checkDirectory(of: socketPath, create: true)
        let (pid, error) = DetachedProcess.spawn(program, arguments: ["agent", "--socket", socketPath])
        guard pid != nil else {
            throw KeyringError(.backendFailure, "could not start the key agent \(program): \(String(cString: strerror(error)))")
        }
        let deadline = FileSystem.monotonicMilliseconds + 2000
        while FileSystem.monotonicMilliseconds < deadline {
            if (try? LocalSocket.connect(to: socketPath)) != nil { return }
            FileSystem.sleep(milliseconds: 5)
        }
        throw KeyringError(.backendFailure, "the key agent \(program) did not start listening at \(socketPath) within 2 s")
    }

    /// This program when it is `keyring`. Never a `keyring` found on `PATH`: that may well be
    /// Python keyring's command, and nothing should run a program it has not been given.
    static func agentExecutable() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return path.hasSuffix("/keyring") ? path : nil
    }
}
