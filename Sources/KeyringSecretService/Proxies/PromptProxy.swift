import KeyringDBus

/// Raw calls on one `org.freedesktop.Secret.Prompt` object, and its `Completed` signal.
struct PromptProxy {
    let connection: DBusConnection
    let path: DBusObjectPath

    /// Subscribes to `Completed(b dismissed, v result)` for this prompt, from the Secret Service's
    /// current owner only (any client on the bus can send a `Completed` on this path). Subscribe
    /// before ``prompt(windowID:)``.
    func completions() async throws -> AsyncStream<DBusMessage> {
        try await connection.signals(
            matching: DBusMatchRule(
                sender: SecretServiceNames.busName, interface: SecretServiceNames.promptInterface, member: "Completed",
                path: path))
    }

    private var object: SecretServiceObject {
        SecretServiceObject(connection: connection, path: path, interface: SecretServiceNames.promptInterface)
    }

    /// `Prompt(s window_id)`.
    func prompt(windowID: String) async throws {
        _ = try await object.call("Prompt", [.string(windowID)])
    }

    /// `Dismiss()`.
    func dismiss() async throws {
        _ = try await object.call("Dismiss")
    }

    /// `Dismiss()`, without waiting for the answer.
    func dismissNoReply() throws {
        try object.callNoReply("Dismiss")
    }
}

/// Raw calls on one `org.freedesktop.Secret.Session` object.
struct SessionProxy {
    let connection: DBusConnection
    let path: DBusObjectPath

    /// `Close()`, without waiting for the answer.
    func closeNoReply() throws {
        try SecretServiceObject(connection: connection, path: path, interface: SecretServiceNames.sessionInterface)
            .callNoReply("Close")
    }
}
