import KeyringKit
import Testing

/// How a git credential is named in a keyring (KeyringKit's `GitCredentialKey`): the fields
/// git-credential-libsecret writes, and the service used by backends without attributes.
@Suite("GitCredentialKey")
struct GitCredentialKeyTests {
    @Test("host:port splits as git-credential-libsecret splits it; IPv6 brackets are kept")
    func ports() {
        let cases: [(host: String, server: String, port: UInt16?)] = [
            ("example.com", "example.com", nil), ("example.com:8443", "example.com", 8443),
            ("[::1]", "[::1]", nil), ("[::1]:8080", "[::1]", 8080), ("host:", "host:", nil),
            ("host:http", "host:http", nil), ("host:99999", "host:99999", nil),
        ]
        for item in cases {
            let key = GitCredentialKey(protocol: "https", host: item.host, path: nil, username: nil)
            #expect(key.server == item.server, "\(item.host)")
            #expect(key.port == item.port, "\(item.host)")
        }
    }

    @Test("attributes, label and service of a full key")
    func full() {
        let key = GitCredentialKey(protocol: "https", host: "git.example.org:8443", path: "team/repo.git", username: "alice")
        #expect(
            key.storeAttributes == [
                "xdg:schema": "org.gnome.keyring.NetworkPassword", "protocol": "https", "server": "git.example.org",
                "port": "8443",
                "user": "alice", "object": "team/repo.git",
            ])
        #expect(key.searchAttributes["xdg:schema"] == nil, "old items with another schema must still be found")
        #expect(key.label == "Git: https://git.example.org:8443/team/repo.git")
        #expect(key.service == "git:https://git.example.org:8443/team/repo.git")
        #expect(key.isComplete)
    }

    @Test("a key without port, path or user; incomplete and empty keys")
    func partial() {
        let key = GitCredentialKey(protocol: "https", host: "example.com", path: "", username: nil)
        #expect(key.searchAttributes == ["protocol": "https", "server": "example.com"])
        #expect(key.label == "Git: https://example.com/")
        #expect(key.service == "git:https://example.com")
        #expect(!GitCredentialKey(protocol: nil, host: "example.com", path: nil, username: nil).isComplete)
        #expect(!GitCredentialKey(protocol: "https", host: nil, path: nil, username: "x").isComplete)
        #expect(GitCredentialKey(protocol: nil, host: nil, path: nil, username: nil).isEmpty)
    }
}
