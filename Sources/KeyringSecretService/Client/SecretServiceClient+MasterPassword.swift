// SecretServiceClient: gnome-keyring's prompt-free master-password interface (org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface).

internal import KeyringDBus
public import KeyringSystem

extension SecretServiceClient {
    /// Creates a collection protected by `password`, with no prompt (gnome-keyring only,
    /// `CreateWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.notSupported` on other daemons (``withoutGnomeInterface(_:)``).
    public func createCollection(label: String, masterPassword: Secret, alias: String = "") async throws(SecretServiceError)
        -> SecretCollection
    {
        let path = try await onGnomeInterface("creating collection '\(label)'") { state in
            try await ServiceProxy(connection: state.connection).createWithMasterPassword(
                properties: ["org.freedesktop.Secret.Collection.Label": .string(label)],
                password: try await state.session().encode(masterPassword))
        }
        let collection = SecretCollection(client: self, path: path)
        if !alias.isEmpty { try await setAlias(alias, to: collection) }
        return collection
    }

    /// Unlocks a collection with its password, with no prompt (gnome-keyring only, `UnlockWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.denied` for a wrong password; `.notSupported` on other daemons.
    public func unlock(_ collection: SecretCollection, masterPassword: Secret) async throws(SecretServiceError) {
        try await onGnomeInterface("unlocking \(Self.displayName(collection.path))") { state in
            try await ServiceProxy(connection: state.connection).unlockWithMasterPassword(
                collection.path, password: try await state.session().encode(masterPassword))
        }
    }

    /// Changes a collection's password, with no prompt (gnome-keyring only, `ChangeWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.denied` when `old` is wrong; `.notSupported` on other daemons.
    public func changeMasterPassword(of collection: SecretCollection, from old: Secret, to new: Secret)
        async throws(SecretServiceError)
    {
        try await onGnomeInterface("changing the password of \(Self.displayName(collection.path))") { state in
            try await ServiceProxy(connection: state.connection).changeWithMasterPassword(
                collection.path, old: try await state.session().encode(old), new: try await state.session().encode(new))
        }
    }
}

extension SecretServiceClient {
    /// Whether `error` says the server has no gnome-keyring prompt-free interface: KWallet and
    /// KeePassXC answer `UnknownInterface` ("No such interface"), libsecret's mock and
    /// pass-secret-service `UnknownMethod` or `UnknownObject`. The service object always
    /// exists, so on it these mean the interface is missing.
    static func isWithoutGnomeInterface(_ error: SecretServiceError) -> Bool {
        guard let name = error.underlying?.name else { return false }
        return [DBusError.Name.unknownInterface, DBusError.Name.unknownMethod, DBusError.Name.unknownObject].contains(name)
    }

    /// ``perform(_:needsDaemon:_:)`` for a call on gnome-keyring's prompt-free interface: a server
    /// without it fails with `.notSupported`, whose message names the interface.
    private func onGnomeInterface<T: Sendable>(_ what: String, _ body: @Sendable (State) async throws -> T)
        async throws(SecretServiceError) -> T
    {
        do {
            return try await perform(what, body)
        } catch  where Self.isWithoutGnomeInterface(error) {
            throw SecretServiceError(
                .notSupported,
                "\(what): this Secret Service has no \(SecretServiceNames.gnomeInternalInterface) (gnome-keyring's "
                    + "interface for passwords given without a prompt); only gnome-keyring has it",
                underlying: error.underlying)
        }
    }
}
