import Synchronization
package import KeyringDH

/// What a ``SecretServiceClient``'s first session needs, started ahead of time.
///
/// A short-lived program that will probably use the Secret Service before it knows what for (a
/// command-line tool with its arguments and configuration still to read) creates one first
/// thing and hands it to the client it makes later: the client's first call then finds the
/// session's key pair computed (about 0.3 ms of exponentiation, on another thread), or even its
/// connection registered on the bus and `OpenSession` answered or on its way.
///
/// A preparation serves one session of one client, once: a second client, or the client's next
/// session after a reconnection, makes its own. Nothing about it is shared with the rest of the
/// process.
///
/// ```swift
/// let preparation = SecretServicePreparation(connectingWith: options)  // first thing
/// // ... parse arguments, read configuration ...
/// let client = SecretServiceClient(options: options, preparation: preparation)
/// ```
public final class SecretServicePreparation: Sendable {
    private struct Prepared: Sendable {
        var keyPair: Task<DHKeyPair, Never>?
        var state:
            (
                address: String, algorithm: SecretServiceClient.SessionAlgorithm, callTimeout: Duration,
                state: SecretServiceClient.State
            )?
    }

    private let prepared: Mutex<Prepared>

    /// Starts computing a session key pair on the sessions' own thread; touches no bus.
    public init() {
        prepared = Mutex(Prepared(keyPair: SecretServiceClient.startKeyPair(), state: nil))
    }

    /// Hands `keyPair` to the first session, for tests that need a session with known keys.
    package init(keyPair: DHKeyPair) {
        prepared = Mutex(Prepared(keyPair: Task { keyPair }, state: nil))
    }

    /// Also connects to the bus `options` name and starts opening a session there, for a client
    /// created with options that name the same bus, algorithm and call timeout.
    ///
    /// Connecting has effects a program that ends up not using the Secret Service may not want:
    /// the bus may start a keyring daemon when it answers `OpenSession`. A connection nobody
    /// adopts is closed when the preparation is released, once its `OpenSession` is answered.
    public init(connectingWith options: SecretServiceClient.Options) {
        // The connection first: its thread connects and starts the handshake with the bus while
        // this one starts the key pair (makeState), rather than the other way round.
        guard let address = try? options.bus.resolve(), let state = try? SecretServiceClient.makeState(options, keyPair: nil)
        else {
            prepared = Mutex(Prepared(keyPair: SecretServiceClient.startKeyPair(), state: nil))
            return
        }
        prepared = Mutex(Prepared(keyPair: nil, state: (address, options.algorithm, options.callTimeout, state)))
    }

    deinit {
        prepared.withLock { prepared in
            prepared.state?.state.closeWhenAnswered()
        }
    }

    /// Closes a connection no client adopted, once its `OpenSession` is answered (at most the
    /// call timeout), and waits for that; a program about to exit calls it.
    public func close() async {
        let unused = prepared.withLock { prepared -> SecretServiceClient.State? in
            defer { prepared.state = nil }
            return prepared.state?.state
        }
        await unused?.close()
    }

    /// Whether a key pair or a connection is still waiting for a client.
    public var isPending: Bool {
        prepared.withLock { $0.keyPair != nil || $0.state != nil }
    }

    /// Whether a connection (with its session opening) is waiting for a client.
    public var isConnecting: Bool {
        prepared.withLock { $0.state != nil }
    }

    /// The prepared connection and session, when they were made for a client with `options`;
    /// given out once.
    func takeState(for options: SecretServiceClient.Options) -> SecretServiceClient.State? {
        guard let address = try? options.bus.resolve() else { return nil }
        return prepared.withLock { prepared -> SecretServiceClient.State? in
            guard let made = prepared.state, made.address == address, made.algorithm == options.algorithm,
                made.callTimeout == options.callTimeout
            else { return nil }
            prepared.state = nil
            return made.state.connection.isConnected ? made.state : nil
        }
    }

    /// The prepared key pair; given out once.
    func takeKeyPair() -> Task<DHKeyPair, Never>? {
        prepared.withLock { prepared in
            defer { prepared.keyPair = nil }
            return prepared.keyPair
        }
    }
}
