// SecretServiceClient: the service's collections, aliases, searches, locking and secrets (org.freedesktop.Secret.Service).

public import KeyringDBus
public import KeyringSystem

extension SecretServiceClient {
    /// Every collection (property `Collections`).
    /// - Throws: ``SecretServiceError``.
    public func collections() async throws(SecretServiceError) -> [SecretCollection] {
        try await perform("listing collections") { state in
            try await ServiceProxy(connection: state.connection).collections()
        }.map { SecretCollection(client: self, path: $0) }
    }

    /// The collection an alias points to (`ReadAlias`), or `nil` when the alias is not set.
    /// - Throws: ``SecretServiceError``.
    public func collection(alias: String) async throws(SecretServiceError) -> SecretCollection? {
        let path = try await perform("reading alias '\(alias)'") { state in
            try await ServiceProxy(connection: state.connection).readAlias(alias)
        }
        return path == .root ? nil : SecretCollection(client: self, path: path)
    }

    /// Points an alias at a collection, or removes it with `nil` (`SetAlias`).
    /// - Throws: ``SecretServiceError``.
    public func setAlias(_ alias: String, to collection: SecretCollection?) async throws(SecretServiceError) {
        try await perform("setting alias '\(alias)'") { state in
            try await ServiceProxy(connection: state.connection).setAlias(alias, collection: collection?.path ?? .root)
        }
    }

    /// The default collection: the `default` alias, else the `login` collection.
    /// - Throws: ``SecretServiceError`` `.noDefaultCollection` when neither exists (a fresh or odd
    ///   setup); ``createCollection(label:alias:)`` with alias `default` makes one.
    public func defaultCollection() async throws(SecretServiceError) -> SecretCollection {
        if let collection = try await collection(alias: "default") { return collection }
        let paths = try await perform("listing collections") { state in
            try await ServiceProxy(connection: state.connection).collections()
        }
        if paths.contains(SecretServiceNames.loginCollectionPath) {
            return SecretCollection(client: self, path: SecretServiceNames.loginCollectionPath)
        }
        throw SecretServiceError(
            .noDefaultCollection,
            "the Secret Service has no default collection (no 'default' alias and no 'login' collection)")
    }

    /// Creates a collection (`CreateCollection`), completing its prompt (the daemon asks for a password).
    /// - Parameters:
    ///   - label: the name people see.
    ///   - alias: an alias to point at it (`"default"`), or `""`.
    /// - Throws: ``SecretServiceError`` `.promptRequired` when prompts are not allowed, `.promptDismissed`,
    ///   `.promptTimedOut`.
    public func createCollection(label: String, alias: String = "") async throws(SecretServiceError) -> SecretCollection {
        let path = try await perform("creating collection '\(label)'") { state -> DBusObjectPath in
            let (path, prompt) = try await ServiceProxy(connection: state.connection).createCollection(
                properties: ["org.freedesktop.Secret.Collection.Label": .string(label)], alias: alias)
            guard path == .root else { return path }
            let result = try await self.completePrompt(
                prompt, state,
                refusal: SecretServiceError(
                    .promptRequired, "creating collection '\(label)' needs a password prompt, and prompts are disabled"))
            return try result?.asObjectPath() ?? .root
        }
        guard path != .root else {
            throw SecretServiceError(.failed, "creating collection '\(label)' returned no collection")
        }
        return SecretCollection(client: self, path: path)
    }

    /// Items whose attributes include `attributes`, in every collection (`SearchItems`).
    /// - Throws: ``SecretServiceError``.
    public func searchItems(_ attributes: [String: String]) async throws(SecretServiceError) -> (
        unlocked: [SecretItem], locked: [SecretItem]
    ) {
        let (unlocked, locked) = try await perform("searching items") { state in
            try await ServiceProxy(connection: state.connection).searchItems(attributes)
        }
        return (unlocked.map { SecretItem(client: self, path: $0) }, locked.map { SecretItem(client: self, path: $0) })
    }

    /// The locked collections whose items the server does not show: KeePassXC's searches skip a
    /// locked database, and its `Items` is then empty (or refused), so what is looked for may
    /// be inside. A server that lists a locked collection's items (gnome-keyring, KWallet)
    /// reports them as locked search results instead, and has none of these but the empty ones.
    /// Property reads side by side: `Collections`, each one's `Locked`, each locked one's `Items`.
    /// - Throws: ``SecretServiceError``.
    /// - Parameter collections: the collections to look at; every collection for `nil`.
    public func lockedCollectionsHidingItems(among collections: [SecretCollection]? = nil) async throws(SecretServiceError)
        -> [SecretCollection]
    {
        try await perform("looking for locked collections") { state -> [DBusObjectPath] in
            let connection = state.connection
            var paths = collections?.map(\.path) ?? []
            if collections == nil { paths = try await ServiceProxy(connection: connection).collections() }
            func object(_ path: DBusObjectPath) -> SecretServiceObject {
                SecretServiceObject(connection: connection, path: path, interface: SecretServiceNames.collectionInterface)
            }
            let lockedReads = try paths.map { try object($0).startProperty("Locked") }
            var locked: [DBusObjectPath] = []
            for (path, read) in zip(paths, lockedReads) {
                // A collection deleted meanwhile, or one that refuses to say, hides nothing we can reach.
                if (try? SecretServiceObject.propertyResult(await read.reply()).asBool()) == true { locked.append(path) }
            }
            let itemReads = try locked.map { try object($0).startProperty("Items") }
            var hiding: [DBusObjectPath] = []
            for (path, read) in zip(locked, itemReads) {
                let items = try? SecretServiceObject.propertyResult(await read.reply()).asObjectPaths()
                if items?.isEmpty ?? true { hiding.append(path) }
            }
            return hiding
        }.map { SecretCollection(client: self, path: $0) }
    }

    /// Every item of `collections` (each one's property `Items`, read side by side): what a
    /// search with no attributes should find, which KeePassXC answers with nothing.
    /// - Returns: the items, collection by collection; a collection deleted meanwhile adds none.
    /// - Throws: ``SecretServiceError``.
    public func items(in collections: [SecretCollection]) async throws(SecretServiceError) -> [SecretItem] {
        try await perform("listing items") { state -> [DBusObjectPath] in
            let reads = try collections.map { collection in
                try SecretServiceObject(
                    connection: state.connection, path: collection.path, interface: SecretServiceNames.collectionInterface
                ).startProperty("Items")
            }
            var items: [DBusObjectPath] = []
            for read in reads {
                do {
                    items += try SecretServiceObject.propertyResult(await read.reply()).asObjectPaths()
                } catch let error as DBusError where error.name.flatMap({ SecretServiceError.codeForName[$0] }) == .noSuchObject {
                    continue
                } catch let error as DBusError where error.name == SecretServiceError.Name.isLocked {
                    continue  // KeePassXC: a locked database lists nothing (lockedCollectionsHidingItems)
                }
            }
            return items
        }.map { SecretItem(client: self, path: $0) }
    }

    /// How many property reads ``infos(of:)`` and ``attributes(of:)`` keep in flight: the
    /// replies come back-to-back, and well below the bus's limit of pending replies per
    /// connection (128 by dbus-daemon's own default; Debian's session bus allows 50,000).
    static let readWindow = 64

    /// The properties of many items (``SecretItem/info()`` for each), read with a bounded
    /// number of calls in flight instead of one round trip after another.
    /// - Returns: the infos in the order of `items`; `nil` for an item that no longer exists
    ///   (deleted since the search that found it).
    /// - Throws: ``SecretServiceError``: the first failure other than a missing item, once
    ///   every call in flight has been answered.
    public func infos(of items: [SecretItem]) async throws(SecretServiceError) -> [SecretItem.Info?] {
        try await pipelined("reading \(items.count) items", items) { proxy in
            [try proxy.startProperties()]
        } read: { replies in
            try SecretItem.Info(properties: SecretServiceObject.allPropertiesResult(replies[0]))
        }
    }

    /// The label and attributes of many items (properties `Label` and `Attributes` of each, read
    /// as ``infos(of:)`` reads): what a listing shows. The two small reads cost gnome-keyring 42
    /// less than one `GetAll`, which computes every property: 0.55 s against 0.93 s for 1,000
    /// items (`keyring-bench list`).
    /// - Returns: in the order of `items`; `nil` for an item that no longer exists.
    /// - Throws: ``SecretServiceError``, as ``infos(of:)``.
    public func labelsAndAttributes(of items: [SecretItem]) async throws(SecretServiceError) -> [(
        label: String, attributes: [String: String]
    )?] {
        try await pipelined("reading \(items.count) items", items) { proxy in
            let object = SecretServiceObject(
                connection: proxy.connection, path: proxy.path, interface: SecretServiceNames.itemInterface)
            return [try object.startProperty("Label"), try object.startProperty("Attributes")]
        } read: { replies in
            (
                try SecretServiceObject.propertyResult(replies[0]).asString(),
                try SecretServiceObject.propertyResult(replies[1]).asStringDictionary()
            )
        }
    }

    /// The attributes of many items (property `Attributes` of each), read as ``infos(of:)`` reads:
    /// less for the daemon to compute and send when nothing else is needed.
    /// - Returns: the attributes in the order of `items`; `nil` for an item that no longer exists.
    /// - Throws: ``SecretServiceError``, as ``infos(of:)``.
    public func attributes(of items: [SecretItem]) async throws(SecretServiceError) -> [[String: String]?] {
        try await pipelined("reading the attributes of \(items.count) items", items) { proxy in
            [
                try SecretServiceObject(
                    connection: proxy.connection, path: proxy.path, interface: SecretServiceNames.itemInterface
                )
                .startProperty("Attributes")
            ]
        } read: { replies in
            try SecretServiceObject.propertyResult(replies[0]).asStringDictionary()
        }
    }

    /// The calls `start` makes for each item, with at most ``readWindow`` items' calls in flight,
    /// the replies read in order.
    private func pipelined<T: Sendable>(
        _ what: String, _ items: [SecretItem], start: @escaping @Sendable (ItemProxy) throws -> [DBusPendingReply],
        read: @escaping @Sendable ([DBusMessage]) throws -> T
    ) async throws(SecretServiceError) -> [T?] {
        guard !items.isEmpty else { return [] }
        return try await perform(what) { state in
            var results = [T?](repeating: nil, count: items.count)
            var inFlight: [(index: Int, replies: [DBusPendingReply])] = []
            inFlight.reserveCapacity(Self.readWindow)
            var first = 0  // of inFlight: a ring would be no faster at this size
            var next = 0
            var failure: (any Error)?
            while failure == nil && next < items.count || first < inFlight.count {
                while failure == nil, next < items.count, inFlight.count - first < Self.readWindow {
                    do {
                        inFlight.append((next, try start(ItemProxy(connection: state.connection, path: items[next].path))))
                        next += 1
                    } catch {
                        failure = error
                    }
                }
                guard first < inFlight.count else { break }
                let (index, pending) = inFlight[first]
                first += 1
                if first == inFlight.count {
                    inFlight.removeAll(keepingCapacity: true)
                    first = 0
                }
                do {
                    var messages: [DBusMessage] = []
                    for reply in pending { messages.append(try await reply.reply()) }
                    results[index] = try read(messages)
                } catch let error as DBusError
                    where error.name.flatMap({ SecretServiceError.codeForName[$0] }) == .noSuchObject
                {
                    continue  // deleted since it was found
                } catch {
                    // The calls in flight are answered (or time out) before the failure is reported.
                    if failure == nil { failure = error }
                }
            }
            if let failure { throw failure }
            return results
        }
    }

    /// Starts unlocking (`Unlock`) without completing any prompt: for callers that drive the
    /// prompt themselves.
    /// - Returns: what was unlocked at once, and the prompt for the rest (or `nil`).
    /// - Throws: ``SecretServiceError``.
    public func requestUnlock(_ objects: [DBusObjectPath]) async throws(SecretServiceError) -> (
        unlocked: [DBusObjectPath], prompt: SecretPrompt?
    ) {
        try await perform("unlocking") { state in
            let (done, prompt) = try await ServiceProxy(connection: state.connection).unlock(objects)
            return (done, prompt == .root ? nil : self.prompt(prompt, state))
        }
    }

    /// Unlocks collections or items (`Unlock`), completing the prompt if the policy allows.
    /// - Returns: the objects now unlocked.
    /// - Throws: ``SecretServiceError`` `.locked` (naming the object and how to unlock it) when a
    ///   prompt is needed and prompts are disabled; `.promptDismissed`; `.promptTimedOut`.
    @discardableResult
    public func unlock(_ objects: [DBusObjectPath]) async throws(SecretServiceError) -> [DBusObjectPath] {
        try await perform("unlocking") { state in
            let (done, prompt) = try await ServiceProxy(connection: state.connection).unlock(objects)
            let names = objects.map { SecretServiceClient.displayName($0) }.joined(separator: ", ")
            let result: DBusValue?
            do {
                result = try await self.completePrompt(
                    prompt, state,
                    refusal: SecretServiceError(
                        .locked,
                        "\(names) is locked, and unlocking it needs a prompt, which is not allowed here; unlock it first "
                            + "(for example by logging in to the desktop session), or allow prompts"))
            } catch let error as SecretServiceError where error.code == .promptDismissed {
                // Still "dismissed" (callers tell a refusal from a prompt they could retry), but
                // saying what stays locked and why a prompt may be dismissed with nobody there.
                throw SecretServiceError(
                    .promptDismissed,
                    "\(names) is locked and was not unlocked: the unlock prompt was dismissed (cancelled, or the "
                        + "Secret Service could not show it: no prompter or desktop session)", underlying: error.underlying)
            }
            guard let result else { return done }
            return done + (try result.asObjectPaths())
        }
    }

    /// How long ``lock(_:)`` waits before it asks again, each time a `Lock` is answered with a
    /// dismissed prompt: KeePassXC dismisses it while it saves a change just made (its database
    /// then stays unlocked) and locks a moment later. About 3 s in all.
    static let lockRetryDelays: [Duration] = [
        .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
    ]

    /// Locks collections or items (`Lock`).
    ///
    /// Locking asks nobody anything, so a prompt that `Lock` returns (KeePassXC's way to finish
    /// later) is completed even when prompts are not allowed, within the call timeout. What is
    /// already locked is success: KWallet answers `Lock` of a locked collection with
    /// `InvalidArgs`, and then every object is checked. A prompt that completes dismissed is
    /// retried for about 3 s (``lockRetryDelays``).
    /// - Returns: the objects now locked.
    /// - Throws: ``SecretServiceError``; `.promptDismissed` when the server still refused after
    ///   the retries.
    @discardableResult
    public func lock(_ objects: [DBusObjectPath]) async throws(SecretServiceError) -> [DBusObjectPath] {
        var delays = Self.lockRetryDelays[...]
        while true {
            do {
                return try await lockOnce(objects)
            } catch  where error.code == .promptDismissed && !delays.isEmpty {
                do { try await Task.sleep(for: delays.removeFirst()) } catch {
                    throw SecretServiceError(.cancelled, "locking: cancelled before it finished")
                }
            } catch  where error.code == .invalidArgument {
                // KWallet: "Can't lock object at path ..." for what is locked already.
                guard try await areLocked(objects) else { throw error }
                return objects
            } catch  where error.code == .promptDismissed {
                throw SecretServiceError(
                    .promptDismissed,
                    "locking: the Secret Service dismissed its lock prompt \(Self.lockRetryDelays.count + 1) times "
                        + "(KeePassXC does while it saves a change); try again in a moment", underlying: error.underlying)
            }
        }
    }

    private func lockOnce(_ objects: [DBusObjectPath]) async throws(SecretServiceError) -> [DBusObjectPath] {
        try await perform("locking") { state in
            let (done, prompt) = try await ServiceProxy(connection: state.connection).lock(objects)
            guard prompt != .root else { return done }
            let result = try await self.prompt(prompt, state).complete(timeout: self.options.callTimeout)
            return done + (try result.asObjectPaths())
        }
    }

    /// Whether every one of `objects` (collections or items) is locked (property `Locked`, read
    /// side by side).
    func areLocked(_ objects: [DBusObjectPath]) async throws(SecretServiceError) -> Bool {
        try await perform("checking what is locked") { state in
            let pending = try objects.map { path in
                let isItem = path.rawValue.split(separator: "/").suffix(3).first == "collection"
                return try SecretServiceObject(
                    connection: state.connection, path: path,
                    interface: isItem ? SecretServiceNames.itemInterface : SecretServiceNames.collectionInterface
                ).startProperty("Locked")
            }
            var all = true
            for reply in pending {
                let locked = try SecretServiceObject.propertyResult(await reply.reply()).asBool()
                all = all && locked
            }
            return all
        }
    }

    /// The secrets of many items in one round trip (`GetSecrets`). Locked items are left out.
    /// - Throws: ``SecretServiceError``.
    public func secrets(for items: [SecretItem]) async throws(SecretServiceError) -> [DBusObjectPath: Secret] {
        guard !items.isEmpty else { return [:] }
        return try await perform(items.count == 1 ? "reading 1 secret" : "reading \(items.count) secrets") { state in
            let session = try await state.session()
            let entries = try await ServiceProxy(connection: state.connection).getSecrets(
                items.map(\.path), session: session.path)
            var out: [DBusObjectPath: Secret] = [:]
            for entry in entries {
                out[try entry.key.asObjectPath()] = try await session.decode(entry.value)
            }
            return out
        }
    }

    /// The last element of a collection or item path, for messages ("'login'").
    static func displayName(_ path: DBusObjectPath) -> String {
        let elements = path.rawValue.split(separator: "/")
        if let index = elements.firstIndex(of: "collection"), index + 1 < elements.count {
            let collection = elements[index + 1]
            if index + 2 < elements.count { return "item \(elements[index + 2]) in collection '\(collection)'" }
            return "collection '\(collection)'"
        }
        return "'\(path.rawValue)'"
    }
}
