import Foundation
import KeyringKit
import Testing
import TestSupport

// The README's example, compiled here. `readmeExampleMatchesTheReadme` checks that the README shows
// exactly these lines.
// README example begins
func readmeExample() async throws {
    // The Secret Service on a desktop, an encrypted file on a headless machine.
    let keyring = try await Keyring.default
    try await keyring.set("s3cr3t-token", service: "api.example.com", account: "alice")
    if let token = try await keyring.getString(service: "api.example.com", account: "alice") {
        print("token has \(token.count) characters")  // never print the secret itself
    }
    let accounts = try await keyring.accounts(service: "api.example.com")  // ["alice"]
    let deleted = try await keyring.delete(service: "api.example.com", account: "alice")  // true
    print(accounts, deleted)
}
// README example ends

@Suite("README")
struct ReadmeExampleTests {
    @Test func readmeExampleMatchesTheReadme() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let begin = try #require(source.range(of: "// README example begins\n"))
        let end = try #require(source.range(of: "// README example ends", range: begin.upperBound..<source.endIndex))
        let example = String(source[begin.upperBound..<end.lowerBound])
        let readme = try String(contentsOf: packageDirectory.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("```swift\nimport KeyringKit\n\n" + example + "```"))
    }
}
