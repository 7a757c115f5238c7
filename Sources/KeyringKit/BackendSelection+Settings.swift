internal import KeyringSystem

// The configuration file's settings besides the backend choice, for the programs that act on
// them (the keyring tool's audit log and `--disable`).

extension BackendSelection {
    /// The configuration file's `audit-log` setting, `~/` expanded with `HOME`.
    /// - Returns: The absolute path, or `nil` when the file or the setting is absent.
    /// - Throws: ``KeyringError`` `invalidArgument` for a bad configuration file, or a `~/` with no home.
    public func auditLogPath() throws(KeyringError) -> String? {
        guard let configurationPath,
            let path = try BackendConfiguration.load(path: configurationPath, providers: providers)?.auditLog
        else {
            return nil
        }
        guard path.hasPrefix("~/") else { return path }
        guard let home = environment["HOME"].flatMap({ $0.hasPrefix("/") ? $0 : nil }) ?? FileSystem.passwordDatabaseHome else {
            throw KeyringError(.invalidArgument, "\(configurationPath): audit-log starts with ~/ but no home directory is known")
        }
        return home + path.dropFirst()
    }

    /// What turns keyring off: `backend = disabled` in the configuration file, when neither
    /// ``backend`` nor `KEYRING_BACKEND` chooses a backend (then ``choose()`` throws
    /// `noStorageAccess`). A program that acts as Python keyring's null backend checks it first.
    /// - Returns: Where it was turned off, or `nil` when it is not (or the file cannot be read:
    ///   ``choose()`` reports that).
    public var disabledBy: String? {
        guard backend == nil else { return nil }
        if let name = environment["KEYRING_BACKEND"]?.trimmedWhitespace, !name.isEmpty, name.lowercased() != "auto" {
            return nil
        }
        guard let configurationPath,
            let configuration = try? BackendConfiguration.load(path: configurationPath, providers: providers),
            configuration.isDisabled
        else { return nil }
        return "`backend = disabled` in \(configurationPath)"
    }

    /// Turns keyring off as Python keyring's `keyring --disable` does: writes a new configuration
    /// file saying `backend = disabled`, and refuses when one exists.
    /// - Returns: The file written.
    /// - Throws: ``KeyringError`` `alreadyExists` when there is a configuration file already;
    ///   `noStorageAccess` when it cannot be written.
    public func disable() throws(KeyringError) -> String {
        guard let path = configurationPath else {
            throw KeyringError(.noStorageAccess, "no home directory is known, so there is no configuration file to write")
        }
        do {
            if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
                try FileSystem.makeDirectories(String(path[..<slash]), mode: 0o700)
            }
            let file = try FileSystem.createExclusive(path, mode: 0o600)
            try Array("backend = disabled\n".utf8).withUnsafeBytes { try file.writeAll($0) }
            try file.sync()
        } catch let error as SystemCallError {
            if error.isAlreadyExisting {
                throw KeyringError(
                    .alreadyExists,
                    "refusing to overwrite the configuration file \(path); add `backend = disabled` to it yourself")
            }
            throw KeyringError(.noStorageAccess, "cannot write the configuration file \(path)", underlying: error)
        } catch {
            throw KeyringError(.noStorageAccess, "cannot write the configuration file \(path)", underlying: error)
        }
        return path
    }
}
