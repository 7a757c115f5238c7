// What a person sees of a hostile Secret Service (TestSupport's HostileSecretService) through
// the `keyring` command: the exit status, and a stderr that is bounded, escaped and free of the
// secret. Stdout carries the secret only where `get` succeeds.

import KeyringDBus
import Foundation
import KeyringSecretService
import KeyringSystem
import Testing
import TestSupport

/// A private bus without gnome-keyring, the hostile server on it with one item, and `keyring`
/// run against it with the Secret Service backend.
struct HostileCLI {
    static let secret = "cli-hostile-s3cret-Wq9"
    static let service = "hostile.example"
    static let account = "mallory"
    /// keyring's deadline for each call (`SecretServiceClient.Options`' default).
    static let callDeadline = Duration.seconds(10)

    let bus: TestBus
    let server: HostileSecretService

    static func start(locked: Bool = false) async throws -> HostileCLI {
        let bus = try await TestBus.startAsync(keyring: false)
        do {
            let server = try await HostileSecretService.start(on: bus.address, locked: locked)
            try server.addItem(
                label: "Password for '\(account)' on '\(service)'", attributes: ["service": service, "username": account],
                secret: secret)
            return HostileCLI(bus: bus, server: server)
        } catch {
            bus.stop()
            throw error
        }
    }

    func stop() {
        server.stop()
        bus.stop()
    }

    /// Runs `keyring` with the bus's environment and `KEYRING_BACKEND=secret-service`.
    func keyring(
        _ arguments: [String], stdin: [UInt8]? = nil, environment extra: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws -> ProcessResult {
        var environment = bus.environment
        environment["KEYRING_BACKEND"] = "secret-service"
        environment["LANG"] = "C.UTF-8"
        environment.merge(extra) { $1 }
        return try await runProcess(CLIFixture.executable, arguments, environment: environment, stdin: stdin, timeout: timeout)
    }

    func get() async throws -> ProcessResult {
        try await keyring(["get", Self.service, Self.account])
    }
}

func withHostileCLI<T>(locked: Bool = false, _ body: (HostileCLI) async throws -> T) async throws -> T {
    let cli = try await HostileCLI.start(locked: locked)
    defer { cli.stop() }
    return try await body(cli)
}

extension ProcessResult {
    /// The checks every failing run must pass: the status, nothing on stdout, and a stderr of
    /// one bounded line of printable text that does not hold the secret.
    func expectFailure(
        status expected: Int32, _ context: String, within limit: Duration? = nil, started: ContinuousClock.Instant? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(!timedOut, "\(context): timed out", sourceLocation: sourceLocation)
        #expect(status == expected, "\(context): \(self)", sourceLocation: sourceLocation)
        #expect(stdout.isEmpty, "\(context): stdout \(stdoutText.prefix(200))", sourceLocation: sourceLocation)
        #expect(!stderr.isEmpty, "\(context): nothing on stderr", sourceLocation: sourceLocation)
        #expect(stderr.count <= 4096, "\(context): \(stderr.count) bytes on stderr", sourceLocation: sourceLocation)
        #expect(!stderrContains(HostileCLI.secret), "\(context): the secret on stderr", sourceLocation: sourceLocation)
        let text = stderrText.hasSuffix("\n") ? String(stderrText.dropLast()) : stderrText
        let controls = text.unicodeScalars.filter { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
        #expect(
            controls.isEmpty, "\(context): control characters on stderr: \(controls.map(\.value))", sourceLocation: sourceLocation
        )
        if let limit, let started {
            #expect(
                ContinuousClock.now - started < limit, "\(context): took \(ContinuousClock.now - started)",
                sourceLocation: sourceLocation)
        }
    }
}

@Suite("keyring against a hostile Secret Service")
struct HostileServiceCLITests {
    typealias C = HostileCLI

    @Test func theWellBehavedBaselineWorks() async throws {
        try await withHostileCLI { cli in
            let get = try await cli.get()
            #expect(get.succeeded, "\(get)")
            #expect(get.stdoutText == C.secret + "\n")
            let set = try await cli.keyring(["set", "other.example", "bob"], stdin: Array("typed-in-secret".utf8))
            #expect(set.succeeded, "\(set)")
            let back = try await cli.keyring(["get", "other.example", "bob"])
            #expect(back.succeeded && back.stdoutText == "typed-in-secret\n", "\(back)")
            let list = try await cli.keyring(["list"])
            #expect(list.succeeded, "\(list)")
            #expect(list.stdoutText.contains("\(C.service)\t\(C.account)"), "\(list.stdoutText)")
            #expect(!list.stdoutContains(C.secret))
            let search = try await cli.keyring(["search", "service=\(C.service)"])
            #expect(search.succeeded && search.stdoutText.contains("username = \(C.account)"), "\(search)")
        }
    }

    @Test func namesFromTheServiceAreEscapedInListings() async throws {
        try await withHostileCLI { cli in
            let evil = "\u{1B}[2J\u{1B}]0;pwned\u{07}evil\nservice = forged\tcolumn\u{202E}"
            try cli.server.addItem(label: evil, attributes: ["service": "svc" + evil, "username": "user" + evil], secret: "x")
            for arguments in [["list"], ["search", "username=user" + evil], ["--output", "json", "list"]] {
                let result = try await cli.keyring(arguments)
                #expect(result.succeeded, "keyring \(arguments): \(result)")
                #expect(!result.stdout.contains(0x1B) && !result.stdout.contains(0x07), "keyring \(arguments): raw escapes")
                #expect(!result.stdoutContains("\u{202E}"), "keyring \(arguments): a raw bidi override")
                #expect(!result.stdoutText.contains("\nservice = forged"), "keyring \(arguments): a forged line")
                #expect(!result.stdoutContains(C.secret))
            }
        }
    }

    @Test func aBadServerKeyOrCiphertextIsAFailureWithoutTheSecret() async throws {
        let cases: [(String, (inout HostileSecretService.Behaviour) -> Void)] = [
            ("empty public key", { $0.publicKey = .bytes([]) }),
            ("64 KiB public key", { $0.publicKey = .bytes((0..<65536).map { _ in UInt8.random(in: 0...255) }) }),
            ("public key of type s", { $0.sessionOutput = .string("key") }),
            ("IV of 15 bytes", { $0.secrets = .parameters([UInt8](repeating: 7, count: 15)) }),
            ("empty ciphertext", { $0.secrets = .value([]) }),
            ("pad byte 0", { $0.secrets = .rawPlaintext(Array(C.secret.utf8) + [UInt8](repeating: 0, count: 10)) }),
            ("another session's key", { $0.secrets = .foreignKey }),
            ("another session's path", { $0.secrets = .sessionPath("/org/freedesktop/secrets/session/other") }),
            ("GetSecret reply s", { $0.replies["GetSecret"] = .values([.string(C.secret)]) }),
        ]
        try await withHostileCLI { cli in
            for (name, change) in cases {
                cli.server.behaveWell()
                cli.server.behave(change)
                let start = ContinuousClock.now
                let result = try await cli.get()
                result.expectFailure(status: 5, name, within: .seconds(8), started: start)
                #expect(result.stderrText.contains("Secret Service"), "\(name): \(result.stderrText)")
            }
        }
    }

    @Test func aPropertyOfTheWrongTypeIsAFailureNotAUsageError() async throws {
        try await withHostileCLI { cli in
            cli.server.behave { $0.replies["Get:Locked"] = .values([.variant(.string("no"))]) }
            let set = try await cli.keyring(["set", "other.example", "bob"], stdin: Array("typed-in-secret".utf8))
            set.expectFailure(status: 5, "set with Locked of type s")
            #expect(!set.stderrContains("typed-in-secret"))
        }
    }

    @Test func hugeAndEscapeLadenErrorsAreCutAndEscapedOnStderr() async throws {
        let escapes =
            "\u{1B}[2J\u{1B}[31mFAKE PROMPT: password?\u{1B}]0;title\u{07}\r\nkeyring: all good\u{08}\t\u{7F}\u{9B}31m\u{202E}"
        let messages = [
            String(repeating: "A", count: 20 << 20),
            String(repeating: escapes, count: (1 << 20) / escapes.utf8.count),
            escapes,
        ]
        try await withHostileCLI { cli in
            for message in messages {
                cli.server.behave { $0.replies["SearchItems"] = .error(name: "org.example.Hostile.Error", message: message) }
                let start = ContinuousClock.now
                let result = try await cli.get()
                result.expectFailure(status: 5, "error of \(message.utf8.count) bytes", within: .seconds(8), started: start)
                #expect(!result.stderr.contains(0x1B), "a raw ESC on stderr")
                #expect(!result.stderrContains("\u{202E}"), "a raw bidi override on stderr")
                // One line: the forged second line is not a line of its own.
                #expect(result.stderrText.split(separator: "\n").count == 1, "\(result.stderrText.prefix(300))")
            }
        }
    }

    @Test func aHundredThousandSearchResultsDoNotExplode() async throws {
        try await withHostileCLI { cli in
            let item = try #require(cli.server.items.first?.path)
            let bogus = try (0..<99_999).map { try HostileSecretService.collectionPath.appending("bogus\($0)") }
            cli.server.behave {
                $0.searchResults = [item] + bogus
                $0.collectionItems = [item] + bogus  // what `list` reads (KeePassXC's searches for nothing find nothing)
            }
            for arguments in [
                ["get", C.service, C.account], ["list"], ["search", "service=\(C.service)"], ["list", C.service],
            ] {
                let start = ContinuousClock.now
                let result = try await cli.keyring(arguments, timeout: .seconds(90))
                let elapsed = ContinuousClock.now - start
                #expect(!result.timedOut && elapsed < .seconds(15), "keyring \(arguments): \(elapsed)")
                #expect(result.signal == nil, "keyring \(arguments) crashed: \(result)")
                #expect(result.stderr.count <= 4096, "keyring \(arguments): \(result.stderr.count) bytes on stderr")
                if arguments[0] == "get" {
                    #expect(result.succeeded && result.stdoutText == C.secret + "\n", "\(result)")
                } else {
                    // Listing takes a round trip per item: more than a search reads is a clear failure.
                    result.expectFailure(status: 5, "keyring \(arguments)")
                    #expect(result.stderrText.contains("100000 items"), "\(result.stderrText)")
                }
            }
        }
    }

    @Test func aHundredThousandCollectionsDoNotExplode() async throws {
        try await withHostileCLI { cli in
            let bogus = try (0..<100_000).map { try SecretServiceNames.servicePath.appending("collection").appending("c\($0)") }
            cli.server.behave { $0.collections = bogus }
            for arguments in [["keyrings"], ["--keyring", "work", "get", C.service, C.account]] {
                let start = ContinuousClock.now
                let result = try await cli.keyring(arguments)
                result.expectFailure(status: 5, "keyring \(arguments)", within: .seconds(15), started: start)
                #expect(result.stderrText.contains("100000 collections"), "\(result.stderrText)")
            }
            let diagnose = try await cli.keyring(["diagnose"])
            #expect(diagnose.stdout.count + diagnose.stderr.count < 8192, "\(diagnose.stdout.count) bytes from diagnose")
            // A handful, one of them gone: the rest are listed.
            cli.server.behave { $0.collections = [HostileSecretService.collectionPath, bogus[0]] }
            let listed = try await cli.keyring(["keyrings"])
            #expect(listed.succeeded && listed.stdoutText.contains("login"), "\(listed)")
        }
    }

    @Test func aServerThatExitsMidCallIsUnavailableAtOnce() async throws {
        try await withHostileCLI { cli in
            cli.server.stop()  // each case has a server of its own
            for member in ["SearchItems", "GetSecret", "OpenSession"] {
                let server = try await HostileSecretService.start(on: cli.bus.address)
                defer { server.stop() }
                try server.addItem(label: "x", attributes: ["service": C.service, "username": C.account], secret: C.secret)
                server.behave { $0.replies[member] = .vanish }
                let start = ContinuousClock.now
                let result = try await cli.get()
                // Before the call deadline: from the hang-up (status 4), not the clock (status 5).
                result.expectFailure(status: 4, "exits on \(member)", within: C.callDeadline, started: start)
            }
        }
    }

    @Test func aReplyThatNeverComesEndsAtTheDeadline() async throws {
        // keyring's call deadline is 10 s: the cases wait side by side, each with a server of its own.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for member in ["OpenSession", "SearchItems", "GetSecret", "Prompt"] {
                group.addTask {
                    try await withHostileCLI(locked: member == "Prompt") { cli in
                        cli.server.behave { $0.replies[member] = .never }
                        let start = ContinuousClock.now
                        let result = try await cli.keyring(
                            ["get", C.service, C.account], environment: ["KEYRING_PROMPT": "always"])
                        result.expectFailure(
                            status: 5, "\(member) never answered", within: Deadlines.bound(C.callDeadline), started: start)
                        #expect(result.stderrText.contains("in time"), "\(member): \(result.stderrText)")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func aLockedItemWithoutAnyoneToPromptFailsAtOnce() async throws {
        try await withHostileCLI(locked: true) { cli in
            let start = ContinuousClock.now
            let result = try await cli.get()
            result.expectFailure(status: 3, "locked, no terminal", within: .seconds(5), started: start)
            #expect(!cli.server.members.contains("Prompt"), "\(cli.server.members)")
            #expect(!cli.server.members.contains("GetSecret"))
        }
    }

    @Test func aPromptThatCompletesWronglyIsAFailure() async throws {
        try await withHostileCLI(locked: true) { cli in
            for prompts in [
                HostileSecretService.PromptBehaviour.completeWith([.string("done")]),
                .completeWith([.boolean(false), .variant(.string("unlocked"))]),
            ] {
                cli.server.setLocked(true)
                cli.server.behave { $0.prompts = prompts }
                let result = try await cli.keyring(["get", C.service, C.account], environment: ["KEYRING_PROMPT": "always"])
                result.expectFailure(status: 5, "prompt \(prompts)")
            }
        }
    }

    @Test func aForgedCompletedDoesNotReleaseTheSecretEarly() async throws {
        try await withHostileCLI(locked: true) { cli in
            cli.server.behave { $0.prompts = .hold }
            let run = Task { try await cli.keyring(["get", C.service, C.account], environment: ["KEYRING_PROMPT": "always"]) }
            let giveUp = ContinuousClock.now + .seconds(20)
            while cli.server.heldPrompts.isEmpty, ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(10)) }
            let prompt = try #require(cli.server.heldPrompts.first)
            let caller = try #require(cli.server.calls.last { $0.member == "Prompt" }?.sender)
            let forger = try await DBusConnection.connect(to: .address(cli.bus.address))
            defer { forger.close() }
            let result: [DBusValue] = [.boolean(false), .variant(.objectPaths([HostileSecretService.collectionPath]))]
            try forger.emitSignal(
                path: prompt, interface: SecretServiceNames.promptInterface, member: "Completed", arguments: result,
                destination: caller)
            try forger.emitSignal(
                path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged",
                arguments: [.string(SecretServiceNames.busName), .string(cli.server.uniqueName), .string("")], destination: caller
            )
            try await Task.sleep(for: .milliseconds(400))
            #expect(!cli.server.members.contains("GetSecret"), "\(cli.server.members)")
            cli.server.completeHeldPrompts()
            let got = try await run.value
            #expect(got.succeeded && got.stdoutText == C.secret + "\n", "\(got)")
        }
    }
}

@Suite("keyring against other servers' ways (HostileSecretService's emulations)")
struct OtherServersCLITests {
    typealias C = HostileCLI

    @Test func keePassXCListsAndItsLockedDatabaseIsStatus3() async throws {
        try await withHostileCLI { cli in
            cli.server.behave {
                $0.emptySearchFindsNothing = true
                $0.lockedHidesItems = true
            }
            let list = try await cli.keyring(["list"])
            #expect(list.succeeded && list.stdoutText == "\(C.service)\t\(C.account)\n", "\(list)")
            cli.server.setLocked(true)
            let never = ["KEYRING_PROMPT": "never"]
            for arguments in [
                ["get", C.service, C.account], ["list"], ["list", C.service], ["search", "service=\(C.service)"],
            ] {
                let result = try await cli.keyring(arguments, environment: never)
                result.expectFailure(status: 3, "keyring \(arguments) with the database locked")
                #expect(result.stderrText.contains("locked"), "\(result.stderrText)")
            }
        }
    }

    @Test func lockingTwiceOnKWalletSucceeds() async throws {
        try await withHostileCLI { cli in
            cli.server.behave { $0.lockOfLockedFails = true }
            for _ in 0..<2 {
                let lock = try await cli.keyring(["lock"])
                #expect(lock.succeeded, "\(lock)")
            }
        }
    }

    @Test func passwordStdinWithoutGnomeKeyringIsStatus4WithAdvice() async throws {
        try await withHostileCLI { cli in
            for arguments in [["unlock", "--password-stdin"], ["create", "--password-stdin", "work"]] {
                let result = try await cli.keyring(arguments, stdin: Array("a password\n".utf8))
                result.expectFailure(status: 4, "keyring \(arguments) on a server without the interface")
                #expect(result.stderrText.contains("InternalUnsupportedGuiltRiddenInterface"), "\(result.stderrText)")
                #expect(result.stderrText.contains("without --password-stdin"), "\(result.stderrText)")
                #expect(!result.stderrContains("a password"))
            }
        }
    }
}
