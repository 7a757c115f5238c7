// SecretServiceClient: completing prompts according to the client's prompt policy.

internal import KeyringDBus
internal import KeyringSystem

extension SecretServiceClient {
    nonisolated func prompt(_ path: DBusObjectPath, _ state: State) -> SecretPrompt {
        SecretPrompt(path: path, connection: state.connection, windowID: options.windowID, defaultTimeout: options.promptTimeout)
    }

    /// Completes `path` if it is a prompt, according to the prompt policy.
    /// - Parameter refusal: the error to throw when prompts are not allowed.
    func completePrompt(_ path: DBusObjectPath, _ state: State, refusal: @autoclosure () -> SecretServiceError) async throws
        -> DBusValue?
    {
        guard path != .root else { return nil }
        guard options.allowsPrompts else {
            // Never shown, so dismissing is safe; it frees the daemon's prompt object.
            try? PromptProxy(connection: state.connection, path: path).dismissNoReply()
            throw refusal()
        }
        return try await prompt(path, state).complete()
    }
}
