internal import KeyringKit
import Synchronization

/// What one run of `keyring` shares between its start-up and its command: the Secret Service
/// preparation made before the arguments are parsed (``KeyringCommand/prepare(arguments:)``),
/// and every keyring the command opened, which ``close()`` finishes before the process exits or
/// `exec`s (gnome-keyring aborts when a client hangs up with its `OpenSession` unanswered).
///
/// Process-wide because the process is this one command; the libraries hold no such state.
enum CommandSession {
    private struct State {
        var preparation: BackendSelection.Preparation?
        var opened: [Keyring] = []
    }

    private static let state = Mutex(State())

    /// Keeps what start-up prepared, for the first selection.
    static func keep(_ preparation: BackendSelection.Preparation?) {
        state.withLock { $0.preparation = preparation }
    }

    /// The preparation, once: it serves one Secret Service client.
    static func takePreparation() -> BackendSelection.Preparation? {
        state.withLock { state in
            defer { state.preparation = nil }
            return state.preparation
        }
    }

    /// Remembers a keyring the command opened, for ``close()``.
    static func opened(_ keyring: Keyring) {
        state.withLock { $0.opened.append(keyring) }
    }

    /// Finishes every opened keyring's outstanding work, and an unused preparation's.
    static func close() async {
        let (preparation, opened) = state.withLock { state in
            defer { state = State() }
            return (state.preparation, state.opened)
        }
        for keyring in opened { await keyring.close() }
        await preparation?.close()
    }
}
