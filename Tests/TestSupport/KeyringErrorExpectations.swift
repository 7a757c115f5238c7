public import KeyringKit
public import Testing

/// Runs `body` and returns the `KeyringError` it threw; records an issue if it threw nothing
/// or something else.
@discardableResult
public func expectKeyringError(
    _ code: KeyringError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> KeyringError? {
    do {
        try await body()
        Issue.record("expected KeyringError \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as KeyringError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected KeyringError \(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
