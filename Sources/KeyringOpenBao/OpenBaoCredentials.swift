#if OpenBao
import Glibc
import KeyringKit
import KeyringSystem

/// Where the token comes from, the conventions of OpenBao's and Vault's CLIs: the variables,
/// the token helper of `~/.bao` or `~/.vault`, the token file; and the files AppRole reads.
enum OpenBaoCredentials {
    /// A token and where it came from (the place, never the token, goes into messages).
    struct Token: Sendable {
        let value: String
        let source: String
    }

    /// Longest file read for a token, a role id or a secret id.
    static let fileLimit = 64 * 1024

    /// The token from `BAO_TOKEN`, `VAULT_TOKEN`, the token helper, or the token file.
    /// - Returns: The token, or `nil` when none of these has one.
    /// - Throws: ``KeyringError`` when a token helper is configured but fails.
    static func token(_ configuration: OpenBaoConfiguration) async throws(KeyringError) -> Token? {
        let environment = configuration.environment
        for name in ["BAO_TOKEN", "VAULT_TOKEN"] {
            if let value = environment[name]?.trimmedWhitespace, !value.isEmpty {
                return Token(value: value, source: "$\(name)")
            }
        }
        if let helper = try tokenHelper(environment) {
            let output = try await runTokenHelper(helper, environment: environment)
            let value = output.trimmedWhitespace
            if !value.isEmpty { return Token(value: value, source: "the token helper \(helper)") }
        }
        guard let file = configuration.tokenFile ?? home(environment).map({ $0 + "/.vault-token" }) else { return nil }
        guard let value = try readFirstLine(file, what: "token file"), !value.isEmpty else { return nil }
        return Token(value: value, source: "the token file \(file)")
    }

    /// The `token_helper` of the CLI configuration file: `BAO_CONFIG_PATH` or `~/.bao`, else
    /// `VAULT_CONFIG_PATH` or `~/.vault`; `nil` when none names one.
    static func tokenHelper(_ environment: [String: String]) throws(KeyringError) -> String? {
        let home = home(environment)
        let files = [
            environment["BAO_CONFIG_PATH"] ?? home.map { $0 + "/.bao" },
            environment["VAULT_CONFIG_PATH"] ?? home.map { $0 + "/.vault" },
        ]
        for case let file? in files {
            guard let bytes = try read(file, what: "CLI configuration file") else { continue }
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmedWhitespace == "token_helper" else { continue }
                var value = parts[1].trimmedWhitespace
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                guard value.hasPrefix("/") else {
                    throw KeyringError(.invalidArgument, "\(file): token_helper must be an absolute path")
                }
                return value
            }
            return nil
        }
        return nil
    }

    /// The first line of a file, without surrounding white space; `nil` when there is no file.
    static func readFirstLine(_ path: String, what: String) throws(KeyringError) -> String? {
        guard let bytes = try read(path, what: what) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        return (text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "").trimmedWhitespace
    }

    /// A credential's value: the file's first line, or the variable's value.
    static func value(of source: OpenBaoConfiguration.CredentialSource, what: String) throws(KeyringError) -> String {
        switch source {
        case .value(let value, _): return value.trimmedWhitespace
        case .file(let path):
            guard let value = try readFirstLine(path, what: what), !value.isEmpty else {
                throw KeyringError(.invalidArgument, "the \(what) file \(path) is missing or empty")
            }
            return value
        }
    }

    private static func home(_ environment: [String: String]) -> String? {
        environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
    }

    private static func read(_ path: String, what: String) throws(KeyringError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw KeyringError(.noStorageAccess, "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        do {
            return try DescriptorReading.read(descriptor, sizeHint: 4096, limit: fileLimit)
        } catch {
            throw KeyringError(.noStorageAccess, "cannot read the \(what) \(path): \(String(cString: strerror(error.errno)))")
        }
    }

    /// Runs `helper get` (Vault's token-helper protocol) and returns what it printed; at most
    /// ten seconds, on a thread of its own.
    static func runTokenHelper(_ helper: String, environment: [String: String]) async throws(KeyringError) -> String {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<String, KeyringError>, Never>) in
            _ = startDetachedThread {
                continuation.resume(
                    returning: runBlocking(helper, ["get"], environment: environment, timeoutMilliseconds: 10_000))
            }
        }
        return try result.get()
    }

    private static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String], timeoutMilliseconds: Int32
    ) -> Result<String, KeyringError> {
        var pipeEnds: [Int32] = [0, 0]
        // Both ends close on exec: the child gets the write end only as its stdout (dup2).
        guard pipe(&pipeEnds) == 0, fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC) == 0,
            fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC) == 0
        else {
            return .failure(KeyringError(.backendFailure, "cannot run the token helper \(executable): no pipe"))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else {
            return .failure(
                KeyringError(.noStorageAccess, "cannot run the token helper \(executable): \(String(cString: strerror(spawned)))")
            )
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        var clock = timespec()
        clock_gettime(CLOCK_MONOTONIC, &clock)
        let deadline = Int64(clock.tv_sec) * 1000 + Int64(clock.tv_nsec) / 1_000_000 + Int64(timeoutMilliseconds)
        while true {
            clock_gettime(CLOCK_MONOTONIC, &clock)
            let left = deadline - (Int64(clock.tv_sec) * 1000 + Int64(clock.tv_nsec) / 1_000_000)
            if left <= 0 {
                timedOut = true
                break
            }
            var poller = pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left))
            if ready < 0 && errno == EINTR { continue }
            if ready <= 0 { continue }
            let got = buffer.withUnsafeMutableBytes { Glibc.read(pipeEnds[0], $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            output += buffer[..<got]
            if output.count > fileLimit { break }
        }
        buffer.wipe()
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        defer { output.wipe() }
        if timedOut {
            return .failure(KeyringError(.timedOut, "the token helper \(executable) did not answer `get` within 10 s"))
        }
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            return .failure(
                KeyringError(
                    .noStorageAccess,
                    "the token helper \(executable) failed on `get` (\(exited ? "exit status \(code)" : "killed by a signal"))"))
        }
        return .success(String(decoding: output, as: UTF8.self))
    }
}
#endif
