// SecretServiceClient: looking up one secret by attributes, in two round trips, or one with the lookup cache.

internal import KeyringDBus
public import KeyringSystem

extension SecretServiceClient {
    /// The secret of an item matching `attributes` in any collection, or `nil`.
    ///
    /// Items in the default collection win over items elsewhere, unlocked over locked. Two round
    /// trips when the item is unlocked: `SearchItems`, then `GetSecret`, sent from the
    /// connection's thread the moment the search is answered. `ReadAlias` travels right behind
    /// the search and is waited for only when matches are in more than one collection. A locked
    /// match is unlocked according to the prompt policy.
    ///
    /// A repeated lookup of the same attributes takes one round trip: the item found last time
    /// is read directly, and the result is used only if no Secret Service signal (an item
    /// created, changed or deleted, a collection locked) arrived since the search that found it.
    /// When the item found has an empty secret and another unlocked item matches too, the first
    /// of the others with a value is returned instead (a failed write in KWallet leaves an item
    /// with an empty secret behind).
    /// - Throws: ``SecretServiceError`` `.locked` when only locked items match and prompts are disabled.
    public func lookup(_ attributes: [String: String]) async throws(SecretServiceError) -> Secret? {
        if let cached = lookupCache[attributes], let secret = await readCached(cached) { return secret }
        let repeated = lookupCache.keys.contains(attributes)
        lookupCache[attributes] = nil
        if repeated { await watchForChanges() }
        let found = try await perform("looking up an item") { state -> LookupResult in
            let signals = state.connection.signalsDelivered
            let service = ServiceProxy(connection: state.connection)
            let search = try service.startSearchItems(attributes)
            let alias = try service.startReadAlias("default")
            let (unlocked, locked) = try ServiceProxy.searchItemsResult(await search.reply())
            // The alias decides only between collections. Its answer is awaited either way, after
            // GetSecret when it does not decide (answered in order, it costs no wait then): a
            // client that hangs up with calls unanswered has been seen to make gnome-keyring
            // abort (docs/cli.md, Speed).
            let aliasDecides = Set((unlocked + locked).map(Self.collectionPart)).count > 1
            var preferred: DBusObjectPath?
            if aliasDecides {
                let named = try? ServiceProxy.readAliasResult(await alias.reply())
                preferred = named.flatMap { $0 == .root ? nil : $0 } ?? SecretServiceNames.loginCollectionPath
            }
            let inPreferred = { (path: DBusObjectPath) in
                preferred.map { Self.collectionPart(path) == $0.rawValue[...] } ?? true
            }
            let found: LookupResult
            if let candidate = unlocked.first(where: inPreferred) ?? locked.first(where: inPreferred)
                ?? unlocked.first ?? locked.first
            {
                if unlocked.contains(candidate) {
                    var (item, secret) = (candidate, try await state.secret(of: candidate))
                    if secret.count == 0 {
                        // KWallet makes an item before it decrypts its secret, so a write that failed
                        // there (another program's) leaves an item with an empty secret: an item with
                        // a value wins over it. Only when the first one is empty: one more read each.
                        let others = unlocked.filter { $0 != candidate }.sorted { inPreferred($0) && !inPreferred($1) }
                        for other in others {
                            guard let value = try? await state.secret(of: other), value.count > 0 else { continue }
                            (item, secret) = (other, value)
                            break
                        }
                    }
                    found = .unlocked(item, secret, signals: signals)
                } else {
                    found = .locked(candidate)
                }
            } else {
                found = .none
            }
            if !aliasDecides { _ = try? await alias.reply() }
            return found
        }
        switch found {
        case .none:
            return nil
        case .unlocked(let item, let secret, let signals):
            lookupCache[attributes] = (item, signals)
            return secret
        case .locked(let item):
            try await unlock([item])
            return try await SecretItem(client: self, path: item).secret()
        }
    }

    /// What the search of ``lookup(_:)`` found.
    enum LookupResult: Sendable {
        case none
        /// An unlocked item, its secret, and the signal count before the search.
        case unlocked(DBusObjectPath, Secret, signals: Int)
        case locked(DBusObjectPath)
    }

    /// The collection part of an item's path: everything before its last `/`.
    static func collectionPart(_ item: DBusObjectPath) -> Substring {
        let path = item.rawValue
        return path[..<(path.lastIndex(of: "/") ?? path.endIndex)]
    }

    /// The cached item's secret, or `nil` when the cache cannot be trusted or the read fails.
    func readCached(_ entry: (path: DBusObjectPath, signals: Int)) async -> Secret? {
        guard let state, state.connection.isConnected, let watch = changeWatch, watch.connection === state.connection,
            state.connection.signalsDelivered == entry.signals
        else { return nil }
        let read = { try await state.secret(of: entry.path) }
        guard let secret = try? await withTaskExecutorPreference(state.connection.executor, operation: read),
            state.connection.signalsDelivered == entry.signals
        else { return nil }
        return secret
    }

    /// Subscribes to every Secret Service signal on the current connection, once.
    func watchForChanges() async {
        guard let state, changeWatch?.connection !== state.connection else { return }
        guard
            let signals = try? await state.connection.signals(
                matching: DBusMatchRule(
                    sender: SecretServiceNames.busName, pathNamespace: SecretServiceNames.servicePath))
        else { return }
        // Drain the stream: the count on the connection is what matters.
        changeWatch = (state.connection, Task { for await _ in signals {} })
    }
}
