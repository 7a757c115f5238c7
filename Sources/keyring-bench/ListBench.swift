// `keyring-bench list fill --count N [--from F]` stores N entries of the service `keyring-bench-list` in
// gnome-keyring's `session` collection (else the default one), as the Secret Service backend writes them (accounts user-F ... user-F+N-1);
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
        // gnome-keyring's in-memory `session` collection when there is one: `login` is written to
        // disk whole after every change, so filling it takes time that grows with its size.
        // Listings search every collection alike.
        let session = SecretCollection.at(SecretServiceNames.sessionCollectionPath, client: client)
        let collection = try await client.collections().contains(session) ? session : client.defaultCollection()
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
        // The ways to read what a listing shows, over the same items.
        let (unlocked, locked) = try await client.searchItems(["service": service])
        let items = unlocked + locked
        var getAllTimes: [Double] = []
        var labelTimes: [Double] = []
        var attributeTimes: [Double] = []
        for _ in 0..<runs {
            getAllTimes.append(
                SecretServiceBench.seconds(try await ContinuousClock().measure { _ = try await client.infos(of: items) }))
            labelTimes.append(
                SecretServiceBench.seconds(
                    try await ContinuousClock().measure { _ = try await client.labelsAndAttributes(of: items) }))
            attributeTimes.append(
                SecretServiceBench.seconds(try await ContinuousClock().measure { _ = try await client.attributes(of: items) }))
        }
        await client.close()
        print("get_all_ms: \(SecretServiceBench.format(SecretServiceBench.median(getAllTimes) * 1000))  (GetAll of each item)")
        print(
            "label_and_attributes_ms: \(SecretServiceBench.format(SecretServiceBench.median(labelTimes) * 1000))  (Get Label, Get Attributes)"
        )
        print("attributes_ms: \(SecretServiceBench.format(SecretServiceBench.median(attributeTimes) * 1000))  (Get Attributes)")
        print("entries: \(accounts)  (of \(found) in every collection)")
        print("accounts_method_calls: \(calls)")
        print("accounts_ms: \(SecretServiceBench.format(SecretServiceBench.median(accountTimes) * 1000))")
        print("search_all_ms: \(SecretServiceBench.format(SecretServiceBench.median(searchTimes) * 1000))")
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
