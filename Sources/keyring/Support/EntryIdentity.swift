internal import KeyringKit

extension KeyringEntry {
    /// What `keyring list` shows in the service column: the service, or for the items of
    /// helpers that have none (git-credential-libsecret's, docker-credential-secretservice's,
    /// and this program's git and docker helpers in the Secret Service), the name the other
    /// backends keep them under: `git:PROTO://HOST[:PORT][/PATH]`, `docker:SERVER`.
    var shownService: String {
        guard service.isEmpty else { return service }
        if attributes["xdg:schema"] == DockerCredentialKey.schema || attributes["docker_cli"] == "1",
            let server = attributes["server"]
        {
            return DockerCredentialKey(server: server).service
        }
        if let proto = attributes["protocol"], attributes["server"] != nil || attributes["object"] != nil {
            let host = attributes["server"].map { server in attributes["port"].map { server + ":" + $0 } ?? server }
            return GitCredentialKey(protocol: proto, host: host, path: attributes["object"], username: nil).service
        }
        return service
    }
}
