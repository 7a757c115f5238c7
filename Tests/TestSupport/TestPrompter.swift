// A stand-in for gnome-keyring's system prompter (gcr), so tests can answer the daemon's
// prompts: the daemon is started with GNOME_KEYRING_TEST_PROMPTER=TestPrompter.busName and sends
// every prompt here. Passwords travel encrypted in the `sx-aes-1` exchange
// (docs/secret-service-protocol.md, Running gnome-keyring headless).

public import KeyringDBus
import Foundation
import KeyringDH
import KeyringSecretService
import KeyringSystem
import Synchronization

/// Answers gnome-keyring's prompts the way a scripted user would.
public final class TestPrompter: Sendable {
    /// The bus name tests give gnome-keyring in `GNOME_KEYRING_TEST_PROMPTER`.
    public static let busName = "org.swiftkeyring.TestPrompter"
    static let path: DBusObjectPath = "/org/gnome/keyring/Prompter"
    static let interface = "org.gnome.keyring.internal.Prompter"
    static let callbackInterface = "org.gnome.keyring.internal.Prompter.Callback"

    /// One scripted answer to one `PerformPrompt`.
    public enum Answer: Sendable, Equatable {
        /// Type this password (for a password prompt) and press OK; confirms a confirm prompt.
        case password(String)
        /// Press OK on a confirm prompt (or an empty password).
        case confirm
        /// Press Cancel.
        case cancel
        /// Never answer: the prompt stays open.
        case never
    }

    /// What the daemon asked.
    public struct Record: Sendable {
        public var type: String
        public var properties: [String: DBusValue]
    }

    private struct State {
        var answers: [Answer]
        var fallback: Answer
        var records: [Record] = []
        var keys: [DBusObjectPath: DHKeyPair] = [:]
        var begun = 0
        var stopped = 0
    }

    private let state: Mutex<State>
    /// The prompter's own connection.
    public let connection: DBusConnection

    private init(connection: DBusConnection, answers: [Answer], fallback: Answer) {
        self.connection = connection
        self.state = Mutex(State(answers: answers, fallback: fallback))
    }

    /// Connects to the bus at `address`, owns ``busName`` and serves prompts.
    /// - Parameters:
    ///   - answers: answers for the next prompts, in order.
    ///   - fallback: the answer once `answers` runs out.
    public static func start(on address: String, answers: [Answer] = [], fallback: Answer = .cancel) async throws -> TestPrompter
    {
        let connection = try await DBusConnection.connect(to: .address(address))
        let prompter = TestPrompter(connection: connection, answers: answers, fallback: fallback)
        try connection.export(path: path, interface: interface) { [weak prompter] call throws(DBusError) in
            guard let prompter else { return [] }
            do {
                return try await prompter.handle(call)
            } catch let error as DBusError {
                throw error
            } catch {
                throw DBusError.reply(name: DBusError.Name.failed, message: "\(type(of: error))")
            }
        }
        guard try await connection.requestName(busName) == .primaryOwner else {
            throw TestSupportError("could not own \(busName)")
        }
        return prompter
    }

    /// Replaces the scripted answers.
    public func script(_ answers: [Answer], fallback: Answer? = nil) {
        state.withLock {
            $0.answers = answers
            if let fallback { $0.fallback = fallback }
        }
    }

    /// The prompts performed so far.
    public var records: [Record] { state.withLock { $0.records } }

    /// How many prompting sessions began and stopped.
    public var sessions: (begun: Int, stopped: Int) { state.withLock { ($0.begun, $0.stopped) } }

    public func stop() {
        connection.close()
    }

    // MARK: - The prompter protocol

    private func handle(_ call: DBusMessage) async throws -> [DBusValue] {
        guard let daemon = call.sender else { return [] }
        switch call.member {
        case "BeginPrompting":
            let callback = try call.body(matching: "o")[0].asObjectPath()
            let keys = DHKeyPair(group: .modp1536)
            state.withLock {
                $0.keys[callback] = keys
                $0.begun += 1
            }
            later {
                try await self.ready(
                    daemon, callback, reply: "", properties: [:], exchange: Self.exchange(public: keys.publicKey))
            }
        case "PerformPrompt":
            let body = try call.body(matching: "osa{sv}s")
            let callback = try body[0].asObjectPath()
            let type = try body[1].asString()
            let properties = try body[2].asVariantDictionary()
            let theirs = try Self.parse(exchange: try body[3].asString())
            let (answer, keys) = state.withLock { state -> (Answer, DHKeyPair?) in
                state.records.append(Record(type: type, properties: properties))
                let answer = state.answers.isEmpty ? state.fallback : state.answers.removeFirst()
                return (answer, state.keys[callback])
            }
            guard let keys else {
                throw DBusError.reply(name: "org.swiftkeyring.Error.NoSession", message: "PerformPrompt before BeginPrompting")
            }
            let accepted: [String: DBusValue] = [
                "password-strength": .variant(.int32(1)),
                "choice-chosen": .variant(.boolean(false)),
            ]
            switch answer {
            case .never:
                break
            case .cancel:
                later {
                    try await self.ready(
                        daemon, callback, reply: "no", properties: [:], exchange: Self.exchange(public: keys.publicKey))
                }
            case .confirm:
                later {
                    try await self.ready(
                        daemon, callback, reply: "yes", properties: accepted, exchange: Self.exchange(public: keys.publicKey))
                }
            case .password(let password):
                var exchange = Self.exchange(public: keys.publicKey)
                if type == "password", let peer = theirs["public"] {
                    let key = SessionKey(sharedSecret: try keys.sharedSecret(peerPublicKey: peer))
                    let (iv, ciphertext) = Array(password.utf8).withUnsafeBytes { key.encrypt($0) }
                    exchange = Self.exchange(public: keys.publicKey, secret: ciphertext, iv: iv)
                }
                let reply = exchange
                later { try await self.ready(daemon, callback, reply: "yes", properties: accepted, exchange: reply) }
            }
        case "StopPrompting":
            let callback = try call.body(matching: "o")[0].asObjectPath()
            state.withLock {
                $0.keys[callback] = nil
                $0.stopped += 1
            }
            later {
                try await self.connection.call(
                    destination: daemon, path: callback, interface: Self.callbackInterface, member: "PromptDone")
            }
        default:
            throw DBusError.reply(name: DBusError.Name.unknownMethod, message: "unknown prompter method")
        }
        return []
    }

    /// Runs `body` after the method reply has gone out, as gcr's prompter does.
    private func later(_ body: @escaping @Sendable () async throws -> Void) {
        Task {
            try? await Task.sleep(for: .milliseconds(5))
            try? await body()
        }
    }

    private func ready(
        _ daemon: String, _ callback: DBusObjectPath, reply: String, properties: [String: DBusValue], exchange: String
    ) async throws {
        // gnome-keyring reads each value as a variant inside the a{sv} variant.
        let wrapped = DBusValue.dictionary(
            key: .string, value: .variant,
            properties.sorted { $0.key < $1.key }.map { DBusDictionaryEntry(key: .string($0.key), value: .variant($0.value)) })
        try await connection.call(
            destination: daemon, path: callback, interface: Self.callbackInterface, member: "PromptReady",
            arguments: [.string(reply), wrapped, .string(exchange)])
    }

    static func exchange(public key: [UInt8], secret: [UInt8]? = nil, iv: [UInt8]? = nil) -> String {
        var text = "[sx-aes-1]\npublic=\(Data(key).base64EncodedString())\n"
        if let secret, let iv {
            text += "secret=\(Data(secret).base64EncodedString())\niv=\(Data(iv).base64EncodedString())\n"
        }
        return text
    }

    static func parse(exchange: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for line in exchange.split(separator: "\n") where line.contains("=") && !line.hasPrefix("[") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let data = Data(base64Encoded: String(parts[1])) else { continue }
            out[String(parts[0])] = Array(data)
        }
        return out
    }
}
