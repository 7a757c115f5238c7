/// A fixture that could not do its job: a bus or keyring that did not start, a process that could
/// not be run. The message says which step failed and, for the bus scripts, ends with their log.
public struct TestSupportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for a person.
    public let message: String

    /// Makes an error with `message`.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
