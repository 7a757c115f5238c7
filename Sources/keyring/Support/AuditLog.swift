internal import Glibc
internal import KeyringKit

/// The audit log of lookups (`--audit-log PATH`, or `audit-log = PATH` in the configuration
/// file): one JSON line per `get`, `run` variable and helper lookup, with the time, the
/// operation, the service and account, the backend, the result and the calling process. Never
/// a value.
///
/// Lines are appended with `O_APPEND` and one `write(2)` each, so lines from processes writing
/// at the same time never interleave. The file is created 0600; one that others may read or
/// write, that another user owns, that is not a regular file, or that is a symbolic link is
/// refused, before anything is looked up. A line that cannot be written fails the command
/// before the secret is handed out.
final class AuditLog {
    let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { _ = Glibc.close(descriptor) }

    /// Opens (creating) the log at `path` and checks it.
    /// - Throws: ``CommandExit`` with status 5 when it cannot be used.
    static func open(_ path: String) throws(CommandExit) -> AuditLog {
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP {
                throw CommandExit(.failure, "the audit log \(path) is a symbolic link, which is refused; name the file itself")
            }
            throw CommandExit(.failure, "cannot open the audit log \(path): \(String(cString: strerror(code)))")
        }
        let log = AuditLog(path: path, descriptor: descriptor)
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw CommandExit(.failure, "cannot check the audit log \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw CommandExit(.failure, "the audit log \(path) is not a regular file")
        }
        guard status.st_uid == geteuid() else {
            throw CommandExit(.failure, "the audit log \(path) belongs to another user (uid \(status.st_uid)); it is refused")
        }
        let permissions = status.st_mode & 0o7777
        guard permissions & 0o077 == 0 else {
            throw CommandExit(
                .failure,
                "the audit log \(path) may be read or written by others (mode \(String(permissions, radix: 8))); "
                    + "make it private with chmod 600")
        }
        return log
    }

    /// The log the options or the configuration file ask for, or `nil` when there is none.
    static func open(for context: CommandContext) throws(CommandExit) -> AuditLog? {
        if let path = context.options.auditLog { return try open(path) }
        let path: String?
        do {
            path = try context.settingsSelection.auditLogPath()
        } catch {
            throw CommandExit(ExitStatus(error), error.message)
        }
        return try path.map { path throws(CommandExit) in try open(path) }
    }

    /// What a lookup came to.
    enum Result {
        case found, notFound
        case failed(KeyringError.Code)

        var text: String {
            switch self {
            case .found: "found"
            case .notFound: "not-found"
            case .failed(let code): "error: \(code.rawValue)"
            }
        }
    }

    /// Appends one line.
    /// - Throws: ``CommandExit`` with status 5 when the line could not be written whole.
    func record(_ operation: String, service: String, account: String?, backend: String, result: Result) throws(CommandExit) {
        let parent = getppid()
        var members: [(String, JSONValue)] = [
            ("time", .string(Self.now())), ("operation", .string(operation)), ("service", .string(service)),
        ]
        if let account { members.append(("account", .string(account))) }
        members += [
            ("backend", .string(backend)), ("result", .string(result.text)), ("pid", .integer(Int(getpid()))),
            ("ppid", .integer(Int(parent))), ("parent", .string(Self.command(of: parent))),
        ]
        var line = JSONValue.object(members).text + "\n"
        let written = line.withUTF8 { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.utf8.count else {
            let reason = written < 0 ? String(cString: strerror(errno)) : "only \(written) of \(line.utf8.count) bytes"
            throw CommandExit(.failure, "cannot append to the audit log \(path): \(reason); nothing was handed out")
        }
    }

    /// The command name of a process (`/proc/PID/comm`), not its arguments, which may hold secrets.
    static func command(of pid: pid_t) -> String {
        let descriptor = Glibc.open("/proc/\(pid)/comm", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { _ = Glibc.close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmedWhitespace
    }

    /// The current time in UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(time.tv_nsec / 1_000_000), 3))Z"
    }
}

extension CommandContext {
    /// Runs one lookup and, when an audit log is on, records it: `found`, `not-found`, or the
    /// error's code. With the log on, the lookup does not start unless the log can be written.
    /// - Parameters:
    ///   - log: The open log, or `nil` for none.
    ///   - operation: `get`, `run`, `git-credential get`, `docker-credential get`, ...
    ///   - service: What is looked up.
    ///   - account: The account, when one is named.
    ///   - keyring: The keyring looked in (for the backend's name).
    ///   - recordsFound: `false` for a first step (finding the account) whose success the
    ///     lookup that follows records.
    ///   - lookup: The lookup.
    func audited<Found>(
        _ log: AuditLog?, _ operation: String, service: String, account: String?, in keyring: Keyring,
        recordsFound: Bool = true, _ lookup: () async throws -> Found?
    ) async throws -> Found? {
        guard let log else { return try await lookup() }
        let found: Found?
        do {
            found = try await lookup()
        } catch let error as KeyringError {
            try? log.record(
                operation, service: service, account: account, backend: keyring.backend.name, result: .failed(error.code))
            throw error
        }
        if found == nil || recordsFound {
            try log.record(
                operation, service: service, account: account, backend: keyring.backend.name,
                result: found == nil ? .notFound : .found)
        }
        return found
    }
}
