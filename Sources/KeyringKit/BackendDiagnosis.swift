/// Whether a backend can be used here, and exactly why or why not.
///
/// Produced by ``KeyringBackend/diagnose()`` and listed for every backend by
/// ``Keyring/diagnose(selection:)``. Never contains a secret.
public struct BackendDiagnosis: Sendable, Hashable, CustomStringConvertible {
    /// The backend's name (`secret-service`, `file`, `env`, `memory`, or a third party's).
    public var backend: String
    /// Whether the backend can store and read secrets right now.
    public var isUsable: Bool
    /// One sentence: why it is usable, or what is missing and how to fix it.
    public var reason: String
    /// Further facts worth showing (paths, bus addresses, counts), one per line.
    public var details: [String]

    /// Creates a diagnosis.
    /// - Parameters:
    ///   - backend: The backend's name.
    ///   - isUsable: Whether it can be used.
    ///   - reason: Why, in one sentence.
    ///   - details: Further facts, one per line.
    public init(backend: String, isUsable: Bool, reason: String, details: [String] = []) {
        self.backend = backend
        self.isUsable = isUsable
        self.reason = reason
        self.details = details
    }

    /// `backend: usable|unusable: reason`, then the details indented.
    public var description: String {
        var text = "\(backend): \(isUsable ? "usable" : "not usable"): \(reason)"
        for line in details { text += "\n  \(line)" }
        return text
    }
}
