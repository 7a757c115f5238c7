internal import Glibc
internal import KeyringSystem

extension KeyAgent {
    /// Runs the agent on `socketPath` until it has nothing left to hold: its keys' timeouts, a
    /// release of all keys, its socket removed or replaced (logind empties `$XDG_RUNTIME_DIR`
    /// at logout), or no other process left in its login session. Returns the exit status.
    ///
    /// The process should be non-dumpable first (``ProcessProtection/disableCoreDumps()``; the
    /// `keyring` command is); keys live in ``SecureBytes`` (locked, excluded from core files,
    /// wiped when dropped).
    public static func serve(socketPath: String) -> Int32 {
        do {
            try checkDirectory(of: socketPath, create: true)
        } catch {
            return 1
        }
        // One agent per socket: each holds `SOCKET.lock` for its whole life. When another holds
        // it, that one serves (or is about to); when nobody does, a socket file left there is
        // stale (a killed agent) and is replaced.
        guard let lock = try? FileSystem.openLockFile(socketPath + ".lock", mode: 0o600),
            (try? lock.tryLock(exclusive: true)) == true
        else { return 0 }
        defer { withExtendedLifetime(lock) {} }
        _ = try? FileSystem.remove(socketPath)
        guard let listener = try? LocalSocket.listen(at: socketPath),
            let identity = try? FileSystem.linkStatus(socketPath)?.identity
        else { return 1 }
        var server = Server(socketPath: socketPath, identity: identity, session: loginSession)
        server.run(listener)
        if (try? FileSystem.linkStatus(socketPath))?.identity == identity { _ = try? FileSystem.remove(socketPath) }
        return 0
    }

    struct Server {
        let socketPath: String
        let identity: [UInt64]
        let session: UInt32?
        var keys: [String: (key: SecureBytes, expires: Int)] = [:]
        var heldAny = false
        var lastChecks = 0

        mutating func run(_ listener: LocalSocket) {
            let started = FileSystem.monotonicMilliseconds
            while true {
                let now = FileSystem.monotonicMilliseconds
                keys = keys.filter { $0.value.expires > now }
                if keys.isEmpty && (heldAny || now - started > KeyAgent.startupGrace) { return }
                if now - lastChecks >= 2000 {
                    lastChecks = now
                    if (try? FileSystem.linkStatus(socketPath))?.identity != identity { return }
                    if let session, !Self.sessionHasOtherProcesses(session) { return }
                }
                let nextExpiry = keys.values.map(\.expires).min().map { max(1, $0 - now) } ?? 1000
                guard listener.waitReadable(milliseconds: min(1000, nextExpiry)), let connection = listener.accept() else {
                    continue
                }
                serve(connection)
            }
        }

        mutating func serve(_ connection: LocalSocket) {
            guard (try? connection.peerUserID()) == FileSystem.effectiveUserID else { return }
            connection.setTimeout(milliseconds: 1000)
            do {
                let header = try connection.read(count: 9)
                let nameLength = Int(UInt16(header[1]) << 8 | UInt16(header[2]))
                let seconds = Int(UInt32(header[3]) << 24 | UInt32(header[4]) << 16 | UInt32(header[5]) << 8 | UInt32(header[6]))
                let keyLength = Int(UInt16(header[7]) << 8 | UInt16(header[8]))
                guard let operation = Operation(rawValue: header[0]), nameLength <= KeyAgent.maximumNameLength,
                    keyLength <= KeyAgent.maximumKeyLength
                else { return reply(connection, status: 2) }
                let nameBytes = try connection.read(count: nameLength)
                let key = SecureBytes(count: keyLength)
                try key.withUnsafeMutableBytes { (raw) throws(LocalSocket.Failure) in try connection.read(into: raw) }
                let name = String(decoding: nameBytes, as: UTF8.self)
                switch operation {
                case .load:
                    if let held = keys[name] {
                        reply(connection, status: 0, payload: held.key)
                    } else {
                        reply(connection, status: 1)
                    }
                case .hold:
                    guard keyLength > 0, seconds > 0 else { return reply(connection, status: 2) }
                    keys[name] = (key, FileSystem.monotonicMilliseconds + min(seconds, 366 * 86400) * 1000)
                    heldAny = true
                    reply(connection, status: 0)
                case .release:
                    reply(connection, status: keys.removeValue(forKey: name) == nil ? 1 : 0)
                case .releaseAll:
                    let count = keys.count
                    keys = [:]
                    heldAny = true
                    reply(connection, status: 0, payload: Self.countBytes(count))
                case .count:
                    reply(connection, status: 0, payload: Self.countBytes(keys.count))
                }
            } catch {
                return
            }
        }

        func reply(_ connection: LocalSocket, status: UInt8, payload: SecureBytes = SecureBytes(count: 0)) {
            let message = SecureBytes(count: 3 + payload.count)
            message.withUnsafeMutableBytes { raw in
                raw[0] = status
                raw.storeBytes(of: UInt16(payload.count).bigEndian, toByteOffset: 1, as: UInt16.self)
                payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: raw[3...]).copyMemory(from: $0) }
            }
            _ = try? message.withUnsafeBytes { (raw) throws(LocalSocket.Failure) in try connection.write(raw) }
        }

        static func countBytes(_ count: Int) -> SecureBytes {
            SecureBytes(withUnsafeBytes(of: UInt32(clamping: count).bigEndian) { Array($0) })
        }

        /// Whether a process other than this one belongs to the audit login session `session`.
        static func sessionHasOtherProcesses(_ session: UInt32) -> Bool {
            guard let entries = try? FileSystem.directoryEntries("/proc") else { return true }
            let own = String(getpid())
            let wanted = String(session)
            for entry in entries where entry != own && entry.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                if let bytes = try? FileSystem.readSmallFile("/proc/\(entry)/sessionid", limit: 64),
                    String(decoding: bytes, as: UTF8.self).trimmedWhitespace == wanted
                {
                    return true
                }
            }
            return false
        }
    }
}
