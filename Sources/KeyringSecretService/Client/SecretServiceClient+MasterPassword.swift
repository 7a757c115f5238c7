// SecretServiceClient: gnome-keyring's prompt-free master-password interface (org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface).

internal import KeyringDBus
public import KeyringSystem

extension SecretServiceClient {
    /// Creates a collection protected by `password`, with no prompt (gnome-keyring only,
    /// `CreateWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.notSupported` on other daemons.
    public func createCollection(label: String, masterPassword: Secret, alias: String = "") async throws(SecretServiceError)
        -> SecretCollection
    {
        let path = try await perform("creating collection '\(label)'") { state in
            try await ServiceProxy(connection: state.connection).createWithMasterPassword(
                properties: ["org.freedesktop.Secret.Collection.Label": .string(label)],
                password: try await state.session().encode(masterPassword))
        }
        let collection = SecretCollection(client: self, path: path)
        if !alias.isEmpty { try await setAlias(alias, to: collection) }
        return collection
    }

    /// Unlocks a collection with its password, with no prompt (gnome-keyring only, `UnlockWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.denied` for a wrong password.
    public func unlock(_ collection: SecretCollection, masterPassword: Secret) async throws(SecretServiceError) {
        try await perform("unlocking \(Self.displayName(collection.path))") { state in
            try await ServiceProxy(connection: state.connection).unlockWithMasterPassword(
                collection.path, password: try await state.session().encode(masterPassword))
        }
    }

    /// Changes a collection's password, with no prompt (gnome-keyring only, `ChangeWithMasterPassword`).
    /// - Throws: ``SecretServiceError`` `.denied` when `old` is wrong.
    public func changeMasterPassword(of collection: SecretCollection, from old: Secret, to new: Secret)
        async throws(SecretServiceError)
    {
        try await perform("changing the password of \(Self.displayName(collection.path))") { state in
            try await ServiceProxy(connection: state.connection).changeWithMasterPassword(
                collection.path, old: try await state.session().encode(old), new: try await state.session().encode(new))
        }
    }
}
