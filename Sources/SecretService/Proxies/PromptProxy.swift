import DBus

/// Raw calls on one `org.freedesktop.Secret.Prompt` object, and its `Completed` signal.
struct PromptProxy {
    let connection: DBusConnection
    let path: DBusObjectPath

    /// Subscribes to `Completed(b dismissed, v result)` for this prompt. Subscribe before ``prompt(windowID:)``.
    func completions() async throws -> AsyncStream<DBusMessage> {
        try await connection.signals(matching: DBusMatchRule(
            interface: SecretServiceNames.promptInterface, member: "Completed", path: path))
    }

    /// `Prompt(s window_id)`.
    func prompt(windowID: String) async throws {
        try await connection.call(
            destination: SecretServiceNames.busName, path: path, interface: SecretServiceNames.promptInterface,
            member: "Prompt", arguments: [.string(windowID)])
    }

    /// `Dismiss()`.
    func dismiss() async throws {
        try await connection.call(
            destination: SecretServiceNames.busName, path: path, interface: SecretServiceNames.promptInterface,
            member: "Dismiss")
    }
}

/// Raw calls on one `org.freedesktop.Secret.Session` object.
struct SessionProxy {
    let connection: DBusConnection
    let path: DBusObjectPath

    /// `Close()`, without waiting for the answer.
    func closeNoReply() throws {
        try connection.callNoReply(
            destination: SecretServiceNames.busName, path: path, interface: SecretServiceNames.sessionInterface,
            member: "Close")
    }
}
