/// A file of references for `keyring run --env-file`: dotenv lines `NAME=SERVICE/USERNAME`
/// (``DotenvFile`` syntax), each naming the secret to give NAME; split at the last `/`, so the
/// service may be a URL. `keyring import-env` writes them.
enum EnvReferences {
    /// The requests of `path`, in the order of its lines.
    /// - Throws: ``CommandExit`` for a line that is not a reference; the line's value is not shown,
    ///   in case the file is a dotenv file of values given by mistake.
    static func read(_ path: String) throws(CommandExit) -> [RunCommand.Request] {
        var file = try DotenvFile(reading: path)
        defer { file.wipe() }
        var requests: [RunCommand.Request] = []
        for entry in file.entries {
            let origin = "\(path) line \(entry.line)"
            guard let text = String(validating: entry.value, as: UTF8.self),
                let slash = text.lastIndex(of: "/"), slash != text.startIndex, text.index(after: slash) != text.endIndex
            else {
                throw CommandExit.usage(
                    "\(origin) (\(entry.name)): not SERVICE/USERNAME (not shown); --env-file takes references to secrets, "
                        + "not the secrets themselves: `keyring import-env FILE --service NAME` moves a .env file's values "
                        + "into the keyring and writes such a file")
            }
            requests.append(
                RunCommand.Request(
                    variable: entry.name, service: String(text[..<slash]), account: String(text[text.index(after: slash)...]),
                    origin: origin))
        }
        return requests
    }
}
