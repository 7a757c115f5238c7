public import KeyringDBus

/// A Secret Service prompt (`org.freedesktop.Secret.Prompt`): something the daemon must ask the
/// user before it can finish an operation (unlock, create or delete a collection).
///
/// Waiting is always bounded. Cancelling or timing out stops the wait only: the prompt is not
/// dismissed, because `Dismiss` on an Unlock prompt while gnome-keyring 42 shows it aborts the daemon.
public struct SecretPrompt: Sendable {
    /// The prompt object.
    public let path: DBusObjectPath
    let connection: DBusConnection
    let windowID: String
    let defaultTimeout: Duration

    /// Shows the prompt and waits for `Completed` (`Prompt(s window_id)`).
    ///
    /// Subscribes to `Completed` before calling `Prompt`, so the answer cannot be missed.
    /// - Parameter timeout: how long the user may take; the client's prompt timeout when `nil`.
    /// - Returns: the prompt's result (`o` for creations, `ao` for unlock/lock/delete).
    /// - Throws: ``SecretServiceError`` `.promptDismissed`, `.promptTimedOut`, `.serviceVanished`;
    ///   `.cancelled` when the task is cancelled.
    public func complete(timeout: Duration? = nil) async throws(SecretServiceError) -> DBusValue {
        let proxy = PromptProxy(connection: connection, path: path)
        let what = "waiting for the Secret Service prompt \(path)"
        do {
            // Both subscriptions exist before Prompt is called: neither the answer nor the
            // daemon's exit can be missed.
            let completions = try await proxy.completions()
            let ownerChanges = try await connection.nameOwnerChanges(for: SecretServiceNames.busName)
            try await proxy.prompt(windowID: windowID)
            let limit = timeout ?? defaultTimeout
            return try await Self.waitForAnswer(limit, what, completions, ownerChanges)
        } catch {
            throw SecretServiceError.translating(error, what)
        }
    }

    /// How a prompt ended, short of an error.
    private enum Answer: Sendable {
        case completed(DBusValue)
        case dismissed
        case serviceExited
    }

    /// Waits for `Completed`, or the daemon's exit, until `limit`.
    private static func waitForAnswer(
        _ limit: Duration, _ what: String, _ completions: AsyncStream<DBusMessage>,
        _ ownerChanges: AsyncStream<DBusNameOwnerChange>
    ) async throws(SecretServiceError) -> DBusValue {
        let answer: Answer
        do throws(DBusError) {
            answer = try await withDeadline(limit, what) { () async throws(DBusError) -> Answer in
                let first = await withTaskGroup(of: Result<Answer, DBusError>?.self) { group in
                    group.addTask {
                        for await signal in completions {
                            do throws(DBusError) {
                                let body = try signal.body(matching: "bv")
                                return .success(try body[0].asBool() ? .dismissed : .completed(try body[1].asVariant()))
                            } catch {
                                return .failure(error)
                            }
                        }
                        if Task.isCancelled { return .failure(DBusError.cancelled(what)) }
                        return .failure(DBusError(.disconnected, "the connection closed while waiting for the prompt"))
                    }
                    group.addTask {
                        for await _ in ownerChanges { return .success(.serviceExited) }
                        return nil
                    }
                    defer { group.cancelAll() }
                    while let result = await group.next() {
                        if let result { return result }
                    }
                    return .failure(DBusError.cancelled(what))
                }
                return try first.get()
            }
        } catch let error where error.code == .timedOut {
            throw SecretServiceError(
                .promptTimedOut, "nobody answered the Secret Service prompt within \(limit)", underlying: error)
        } catch {
            throw SecretServiceError.translating(error, what)
        }
        switch answer {
        case .completed(let value):
            return value
        case .dismissed:
            // gnome-keyring answers "dismissed" at once when it has no prompter to show the
            // prompt with (no desktop session), not only when a user cancels.
            throw SecretServiceError(
                .promptDismissed,
                "the Secret Service's prompt was dismissed: cancelled, or it could not be shown "
                    + "(no prompter or desktop session)")
        case .serviceExited:
            throw SecretServiceError(.serviceVanished, "the Secret Service exited while its prompt was open; try again")
        }
    }

    /// Dismisses the prompt (`Dismiss()`). Avoid on an Unlock prompt that is being shown (see above).
    /// - Throws: ``SecretServiceError``.
    public func dismiss() async throws(SecretServiceError) {
        do {
            try await PromptProxy(connection: connection, path: path).dismiss()
        } catch {
            throw SecretServiceError.translating(error, "dismissing prompt \(path)")
        }
    }
}
