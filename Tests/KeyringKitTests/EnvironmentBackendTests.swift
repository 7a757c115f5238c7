import KeyringKit
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

@Suite("Environment backend")
struct EnvironmentBackendTests {
    @Test("variable names: upper case, everything else an underscore, __ before the account")
    func naming() {
        #expect(
            EnvironmentBackend.variableName(service: "gh:github.com", account: "octocat")
                == "KEYRING_SECRET_GH_GITHUB_COM__OCTOCAT")
        #expect(EnvironmentBackend.variableName(service: "gh:github.com", account: nil) == "KEYRING_SECRET_GH_GITHUB_COM")
        #expect(EnvironmentBackend.variableName(service: "my-app 2", account: "a.b@c") == "KEYRING_SECRET_MY_APP_2__A_B_C")
        #expect(EnvironmentBackend.variableName(service: "café", account: "zoë") == "KEYRING_SECRET_CAF___ZO_")
    }

    @Test("the account form wins; the service-only form answers for any account")
    func serviceOnlyFallback() async throws {
        let backend = EnvironmentBackend(environment: [
            "KEYRING_SECRET_GH_GITHUB_COM": "shared token",
            "KEYRING_SECRET_GH_GITHUB_COM__OCTOCAT": "octocat token",
        ])
        #expect(try await backend.get(service: "gh:github.com", account: "octocat", keyring: nil) == Secret("octocat token"))
        #expect(try await backend.get(service: "gh:github.com", account: "someone", keyring: nil) == Secret("shared token"))
        #expect(try await backend.get(service: "gh:github.com", account: "", keyring: nil) == Secret("shared token"))
        #expect(try await backend.get(service: "gh:gitlab.com", account: "octocat", keyring: nil) == nil)
        #expect(try await backend.accounts(service: "gh:github.com", keyring: nil) == ["OCTOCAT"])
    }

    @Test("settings such as KEYRING_FILE_PASSWORD are never read as secrets")
    func settingsAreNotSecrets() async throws {
        let backend = EnvironmentBackend(environment: ["KEYRING_FILE_PASSWORD": "p", "KEYRING_BACKEND": "env"])
        #expect(try await backend.get(service: "file", account: "password", keyring: nil) == nil)
        #expect(try await backend.get(service: "backend", account: "", keyring: nil) == nil)
        #expect(try await backend.search(attributes: [:], keyring: nil).isEmpty)
    }

    @Test("writes say which variable to set")
    func writeMessage() async throws {
        let backend = EnvironmentBackend(environment: [:])
        let error = await expectKeyringError(.unsupported) {
            try await backend.set(Secret("top secret"), service: "db", account: "admin", keyring: nil, label: nil)
        }
        #expect(error?.message.contains("KEYRING_SECRET_DB__ADMIN") == true)
        #expect(error?.description.contains("top secret") == false)
        await expectKeyringError(.unsupported) { _ = try await backend.get(service: "db", account: "admin", keyring: "other") }
        #expect(try await backend.get(service: "db", account: "admin", keyring: "environment") == nil)
    }
}
