// `keyring-bench list fill --count N [--from F]` stores N entries of the service `keyring-bench-list` in the
// default collection, as the Secret Service backend writes them (accounts user-F ... user-F+N-1);
// `keyring-bench list clear` deletes them; `keyring-bench list --count R` times the backend's
// accounts(service:) and search() over them R times (medians). scripts/bench-list compares the
// `keyring list` process with `secret-tool search --all` on 100 to 5,000 entries.

import KeyringKit
import KeyringSecretService

enum ListBench {
    static let service = "keyring-bench-list"

    static func run(count: Int, arguments: [String]) async throws {
        switch arguments.first {
        case "fill":
            let from = arguments.firstIndex(of: "--from").flatMap { Int(arguments[safe: $0 + 1] ?? "") } ?? 0
            try await fill(count, from: from)
        case "clear": try await clear()
        default: try await time(count)
        }
    }

    static func fill(_ count: Int, from first: Int) async throws {
        let client = SecretServiceClient()
        let collection = try await client.defaultCollection()
        if try await collection.isLocked() { try await collection.unlock() }
        for index in first..<first + count {
            try await collection.createItem(
                label: "Password for 'user-\(index)' on '\(service)'",
                attributes: [
                    "service": service, "username": "user-\(index)", "application": "keyring-bench",
                    "xdg:schema": SecretServiceBackend.schema,
                ], secret: Secret("secret \(index)"))
        }
        await client.close()
        print("filled: \(count)")
    }

    static func clear() async throws {
        let client = SecretServiceClient()
        let (unlocked, locked) = try await client.searchItems(["service": service])
        for item in unlocked + locked { try await item.delete() }
        await client.close()
        print("cleared: \(unlocked.count + locked.count)")
    }

    static func time(_ runs: Int) async throws {
        let client = SecretServiceClient()
        let keyring = Keyring(backend: SecretServiceBackend(client: client))
        var accounts = 0
        var found = 0
        var accountTimes: [Double] = []
        var searchTimes: [Double] = []
        var calls = 0
        for _ in 0..<runs {
            let before = await client.methodCallsSent
            accountTimes.append(
                SecretServiceBench.seconds(
                    try await ContinuousClock().measure { accounts = try await keyring.accounts(service: service).count }))
            calls = await client.methodCallsSent - before
            searchTimes.append(
                SecretServiceBench.seconds(try await ContinuousClock().measure { found = try await keyring.search().count }))
        }
        await client.close()
        print("entries: \(accounts)  (of \(found) in every collection)")
        print("accounts_method_calls: \(calls)")
        print("accounts_ms: \(SecretServiceBench.format(SecretServiceBench.median(accountTimes) * 1000))")
        print("search_all_ms: \(SecretServiceBench.format(SecretServiceBench.median(searchTimes) * 1000))")
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
