internal import KeyringSystem

/// What the automatic backend choice has been on this machine, for this user: a one-line file,
/// `$XDG_STATE_HOME/swift-keyring/automatic-backend` (else `~/.local/state/swift-keyring/...`).
///
/// It keeps one store of record. Once the Secret Service has been chosen automatically, a
/// Secret Service that does not answer (a daemon restarting, crashed, not started yet) is an
/// error, never a silent switch to the encrypted file, where a secret written during the outage
/// would be invisible once the daemon is back. Only the user changes that (`KEYRING_BACKEND`,
/// `backend = ...` in the configuration, or removing this file). Where no Secret Service ever
/// answered, the automatic choice falls back to the file as before, and says so the first time.
struct AutomaticChoiceRecord {
    /// The file, or `nil` when no state directory can be found (then nothing is recorded).
    let path: String?

    init(environment: [String: String]) {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            path = state + "/swift-keyring/automatic-backend"
        } else if let home = environment["HOME"].flatMap({ $0.hasPrefix("/") ? $0 : nil }) ?? FileSystem.passwordDatabaseHome {
            path = home + "/.local/state/swift-keyring/automatic-backend"
        } else {
            path = nil
        }
    }

    /// The recorded choice, or `nil` when nothing (readable) is recorded.
    var recorded: BackendKind? {
        guard let path, let bytes = try? FileSystem.readSmallFile(path, limit: 256),
            let text = String(validating: bytes, as: UTF8.self)
        else { return nil }
        return BackendKind(rawValue: text.trimmedWhitespace)
    }

    /// Records `kind` unless it is what is recorded already. Best effort: a record that cannot
    /// be written (a read-only home) leaves the choice as it was before this existed.
    func record(_ kind: BackendKind, replacing current: BackendKind?) {
        guard let path, current != kind else { return }
        try? FileSystem.makeDirectories(String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]), mode: 0o700)
        let temporary = path + ".tmp-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        do {
            let file = try FileSystem.createExclusive(temporary, mode: 0o600)
            try Array((kind.rawValue + "\n").utf8).withUnsafeBytes { try file.writeAll($0) }
            try file.sync()
            try FileSystem.rename(temporary, to: path)
        } catch {
            _ = try? FileSystem.remove(temporary)
        }
    }
}
