/// How long a test allows for what the code under test promises, on a busy machine: the one
/// place the margin is stated.
///
/// A wait that the code bounds by a deadline ends at that deadline, plus however long a loaded
/// machine takes to run what follows (the waiter scheduled again, a process started, a reply
/// decoded). Tests assert `elapsed < Deadlines.bound(deadline)` for "ends at its deadline", and
/// `elapsed < deadline` for "ends before its deadline" (because of a hang-up, not the clock);
/// never a bare number that holds only on an idle machine. What promises speed itself ("fails
/// fast") lives in a suite named `...TimingTests`, which `scripts/test` runs on its own.
public enum Deadlines {
    /// What scheduling on a loaded machine may add to a wait: two cores shared with other builds
    /// and with the daemons of the tests running beside it.
    public static let margin: Duration = .seconds(15)

    /// The latest a wait the code promises to end by `deadline` may be seen to end.
    public static func bound(_ deadline: Duration) -> Duration {
        deadline + margin
    }
}
