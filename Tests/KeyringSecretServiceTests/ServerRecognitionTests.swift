import KeyringSecretService
import Testing

/// Which known server a process is, from what `/proc` says about the owner of
/// org.freedesktop.secrets (``SecretServiceClient/server()`` does the asking; the integration
/// suites check it against each real server).
@Suite("Recognising the server from its process")
struct ServerRecognitionTests {
    static func kind(_ comm: String?, _ exe: String?, _ arguments: [String] = []) -> SecretServiceServer.Kind? {
        SecretServiceServer(pid: 42, commandName: comm, executable: exe, arguments: arguments).kind
    }

    @Test func programsByTheirExecutableOrCommandName() {
        #expect(Self.kind("gnome-keyring-d", "/usr/bin/gnome-keyring-daemon") == .gnomeKeyring)
        #expect(Self.kind("gnome-keyring-d", nil) == .gnomeKeyring, "comm is cut at 15 characters")
        #expect(Self.kind("kwalletd5", "/usr/bin/kwalletd5") == .kwallet)
        #expect(Self.kind("kwalletd6", "/usr/bin/kwalletd6") == .kwallet)
        #expect(Self.kind("ksecretd", "/usr/bin/ksecretd") == .kwallet)
        #expect(Self.kind("keepassxc", "/usr/bin/keepassxc") == .keepassxc)
        #expect(Self.kind("oo7-daemon", "/usr/libexec/oo7-daemon") == .oo7)
        #expect(Self.kind("bash", "/usr/bin/bash") == nil)
        #expect(Self.kind(nil, nil) == nil)
    }

    @Test func pythonServersByTheirScript() {
        #expect(
            Self.kind(
                "pass_secret_serv", "/usr/bin/python3.11", ["/venv/bin/python3", "/venv/bin/pass_secret_service", "--path", "x"])
                == .passSecretService)
        #expect(
            Self.kind("python3", "/usr/bin/python3.11", ["/usr/bin/python3", "/x/libsecret-mock.py", "/x"]) == .libsecretMock)
        #expect(Self.kind("python3", "/usr/bin/python3.11", ["python3", "libsecret/mock-service-normal.py"]) == .libsecretMock)
        #expect(Self.kind("python3", "/usr/bin/python3.11", ["python3", "-m", "http.server"]) == nil)
    }

    @Test func theNameShownIsTheExecutablesFileName() {
        let server = SecretServiceServer(
            pid: 7, commandName: "gnome-keyring-d", executable: "/usr/bin/gnome-keyring-daemon", arguments: [])
        #expect(server.programName == "gnome-keyring-daemon")
        #expect(SecretServiceServer(pid: 7, commandName: "kwalletd5", executable: nil, arguments: []).programName == "kwalletd5")
        #expect(SecretServiceServer(pid: 7, commandName: nil, executable: nil, arguments: []).programName == "pid 7")
    }
}
