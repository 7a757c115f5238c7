import KeyringDBus
import Glibc
import Testing
import TestSupport

/// Two connections on a private bus: one exports objects, the other calls them.
@Suite("Connection on a private bus")
struct ConnectionTests {
    static let echoPath: DBusObjectPath = "/org/swiftkeyring/Test"
    static let echoInterface = "org.swiftkeyring.Test"

    /// Starts a bus, a server connection exporting an echo/failing/silent object, and a client.
    func withPair(_ body: (DBusConnection, DBusConnection) async throws -> Void) async throws {
        try await withPair { server, client, _ in try await body(server, client) }
    }

    /// ``withPair(_:)``, also giving the bus address, for a third connection.
    func withPair(_ body: (DBusConnection, DBusConnection, String) async throws -> Void) async throws {
        let bus = try await TestBus.startAsync(keyring: false)
        defer { bus.stop() }
        let server = try await DBusConnection.connect(to: .address(bus.address))
        let client = try await DBusConnection.connect(to: .address(bus.address))
        try server.export(path: Self.echoPath, interface: Self.echoInterface) { call throws(DBusError) in
            switch call.member {
            case "Echo":
                return call.body
            case "Fail":
                throw DBusError.reply(name: "org.swiftkeyring.Error.Refused", message: "refused on purpose")
            case "Silent":
                try? await Task.sleep(for: .seconds(3600))
                return []
            case "Emit":
                try server.emitSignal(
                    path: Self.echoPath, interface: Self.echoInterface, member: "Ticked", arguments: call.body)
                return []
            default:
                throw DBusError.reply(name: DBusError.Name.unknownMethod, message: "no such method")
            }
        }
        try await body(server, client, bus.address)
        server.close()
        client.close()
    }

    func echo(_ client: DBusConnection, _ server: DBusConnection, _ values: [DBusValue]) async throws -> [DBusValue] {
        try await client.call(
            destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Echo",
            arguments: values
        ).body
    }

    static let everyType: [DBusValue] = [
        .byte(0), .byte(255), .boolean(true), .boolean(false),
        .int16(.min), .int16(.max), .uint16(.max), .int32(.min), .int32(.max), .uint32(.max),
        .int64(.min), .int64(.max), .uint64(.max), .double(-0.5), .double(.infinity), .double(1e300),
        .string(""), .string("ünïcødé ✓ 𝄞"), .objectPath("/"), .objectPath("/a/b_c/D9"),
        .signature(""), .signature("a{sv}(oayays)"),
        .bytes([]), .bytes(Array(0...255)),
        .array(.string, []), .strings(["a", "b", ""]),
        .array(.array(.int32), [.array(.int32, [.int32(1)]), .array(.int32, [])]),
        .dictionary(key: .string, value: .variant, []),
        .variantDictionary(["label": .string("x"), "n": .uint64(3), "nested": .variantDictionary(["deep": .bytes([1, 2])])]),
        .dictionary(key: .int32, value: .string, [DBusDictionaryEntry(key: .int32(-1), value: .string("minus one"))]),
        .dictionary(key: .objectPath, value: .structure([.objectPath, .array(.byte), .array(.byte), .string]), []),
        .structure([.objectPath("/session/1"), .bytes([0, 1]), .bytes([2, 3]), .string("text/plain")]),
        .structure([.structure([.structure([.int32(1)])]), .variant(.variant(.variant(.string("three deep"))))]),
        .array(.variant, [.variant(.int32(1)), .variant(.string("s")), .variant(.bytes([9]))]),
        .variant(.array(.structure([.string, .variant]), [.structure([.string("k"), .variant(.boolean(true))])])),
    ]

    @Test func everyTypeRoundTripsThroughAnExportedObject() async throws {
        try await withPair { server, client async throws in
            for value in Self.everyType {
                let reply = try await echo(client, server, [value])
                #expect(reply == [value], "\(value.type)")
            }
            // All at once, as one message.
            #expect(try await echo(client, server, Self.everyType) == Self.everyType)
        }
    }

    @Test func variantsNestToAnyDepth() async throws {
        try await withPair { server, client async throws in
            var value = DBusValue.string("core")
            for _ in 0..<60 { value = .variant(value) }
            #expect(try await echo(client, server, [value]) == [value])
        }
    }

    @Test func byteArraysStayContiguousAndLarge() async throws {
        try await withPair { server, client async throws in
            let big = (0..<(10 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let reply = try await echo(client, server, [.bytes(big)])
            guard case .bytes(let bytes) = reply.first else {
                Issue.record("expected ay, got \(reply)")
                return
            }
            #expect(bytes == big)
        }
    }

    @Test func fileDescriptorsAreDuplicatedAcrossTheBus() async throws {
        try await withPair { server, client async throws in
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            defer {
                close(fds[0])
                close(fds[1])
            }
            let reply = try await echo(client, server, [.unixFD(fds[1])])
            guard case .unixFD(let received) = reply.first else {
                Issue.record("expected h, got \(reply)")
                return
            }
            defer { close(received) }
            #expect(received != fds[1])
            #expect(write(received, "x", 1) == 1)
            var byte: UInt8 = 0
            #expect(read(fds[0], &byte, 1) == 1 && byte == UInt8(ascii: "x"))
        }
    }

    @Test func aReplyOfTheWrongSignatureIsATypedError() async throws {
        try await withPair { server, client async throws in
            let reply = try await client.call(
                destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Echo",
                arguments: [.int32(1)])
            #expect {
                _ = try reply.body(matching: "s")
            } throws: { error in
                let error = error as? DBusError
                return error?.code == .typeMismatch && error?.message.contains("'i'") == true
            }
        }
    }

    @Test func errorsCarryTheirDBusNameAndMessage() async throws {
        try await withPair { server, client async throws in
            await #expect {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Fail")
            } throws: { error in
                let error = error as? DBusError
                return error?.code == .remote && error?.name == "org.swiftkeyring.Error.Refused"
                    && error?.message == "refused on purpose"
            }
            await #expect {
                try await client.call(
                    destination: "org.swiftkeyring.Nobody", path: "/", interface: "org.swiftkeyring.X", member: "Y")
            } throws: { error in
                (error as? DBusError)?.name == DBusError.Name.serviceUnknown
            }
            await #expect {
                try await client.call(
                    destination: server.uniqueName, path: "/not/exported", interface: Self.echoInterface, member: "Echo")
            } throws: { error in
                (error as? DBusError)?.name == DBusError.Name.unknownMethod
            }
        }
    }

    @Test func invalidArgumentsNeverReachLibdbus() async throws {
        try await withPair { server, client async throws in
            await #expect {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Echo",
                    arguments: [.string("a\0b")])
            } throws: { error in
                (error as? DBusError)?.code == .invalidArgument
            }
            await #expect {
                try await client.call(destination: "bad..name", path: "/", interface: nil, member: "X")
            } throws: { error in
                (error as? DBusError)?.code == .invalidArgument
            }
            await #expect {
                try await client.call(destination: server.uniqueName, path: "/", interface: "nodots", member: "X")
            } throws: { error in
                (error as? DBusError)?.code == .invalidArgument
            }
            // The connection is still fine.
            #expect(try await echo(client, server, [.int32(5)]) == [.int32(5)])
        }
    }

    @Test func aPeerThatNeverAnswersEndsAtTheDeadline() async throws {
        try await withPair { server, client async throws in
            let clock = ContinuousClock()
            let start = clock.now
            await #expect {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Silent",
                    timeout: .milliseconds(300))
            } throws: { error in
                (error as? DBusError)?.code == .timedOut
            }
            let elapsed = clock.now - start
            #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(3))
            // Later calls still work.
            #expect(try await echo(client, server, [.boolean(true)]) == [.boolean(true)])
        }
    }

    @Test func cancellationEndsACall() async throws {
        try await withPair { server, client async throws in
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Silent",
                    timeout: .seconds(60))
            }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            let result = await task.result
            #expect {
                try result.get()
            } throws: { error in
                (error as? DBusError)?.code == .cancelled
            }
            #expect(clock.now - start < .seconds(5))
            #expect(try await echo(client, server, [.byte(1)]) == [.byte(1)])
        }
    }

    @Test func aPeerThatLeavesWithoutAnsweringGivesAnError() async throws {
        try await withPair { server, client async throws in
            let task = Task {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Silent",
                    timeout: .seconds(60))
            }
            try await Task.sleep(for: .milliseconds(100))
            server.close()
            let result = await task.result
            #expect {
                try result.get()
            } throws: { error in
                (error as? DBusError)?.code == .remote  // the bus answers NoReply for the vanished peer
            }
        }
    }

    /// GetConnectionUnixProcessID: what `keyring diagnose` asks to name the Secret Service.
    @Test func theBusNamesTheProcessThatOwnsAName() async throws {
        try await withPair { server, client in
            #expect(try await server.requestName("org.swiftkeyring.Owned") == .primaryOwner)
            #expect(try await client.processID(ofOwnerOf: "org.swiftkeyring.Owned") == UInt32(getpid()))
            do {
                _ = try await client.processID(ofOwnerOf: "org.swiftkeyring.Nobody")
                Issue.record("a name nobody owns has no process")
            } catch let error as DBusError {
                #expect(error.name == DBusError.Name.nameHasNoOwner, "\(error)")
            }
        }
    }

    @Test func signalsArriveOnTheirStreamAndOnlyThere() async throws {
        try await withPair { server, client async throws in
            let ticks = try await client.signals(matching: DBusMatchRule(interface: Self.echoInterface, member: "Ticked"))
            let others = try await client.signals(matching: DBusMatchRule(interface: Self.echoInterface, member: "Other"))
            for i in 0..<5 {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Emit",
                    arguments: [.int32(Int32(i)), .string("tick")])
            }
            var received: [Int32] = []
            for await signal in ticks {
                #expect(signal.sender == server.uniqueName)
                #expect(signal.path == Self.echoPath)
                received.append(try signal.body(matching: "is")[0].asInt32())
                if received.count == 5 { break }
            }
            #expect(received == [0, 1, 2, 3, 4])
            // Nothing matched the other rule.
            await #expect {
                try await withDeadline(.milliseconds(200), "a signal on the other stream") { () throws(DBusError) in
                    for await signal in others { return signal.member ?? "" }
                    return "stream ended"
                }
            } throws: { error in
                (error as? DBusError)?.code == .timedOut
            }
        }
    }

    /// Any client can send a signal with the owner's path, interface and member, broadcast or
    /// unicast: a subscription to a well-known sender delivers only what its owner sent.
    @Test func signalsFromAWellKnownNameAreBelievedOnlyFromItsOwner() async throws {
        try await withPair { server, client, address async throws in
            let name = "org.swiftkeyring.Owner"
            #expect(try await server.requestName(name) == .primaryOwner)
            let forger = try await DBusConnection.connect(to: .address(address))
            defer { forger.close() }
            let ticks = try await client.signals(
                matching: DBusMatchRule(
                    sender: name, interface: Self.echoInterface, member: "Ticked"))
            // Forged: broadcast, and unicast to the client, before and after the owner's own.
            try forger.emitSignal(
                path: Self.echoPath, interface: Self.echoInterface, member: "Ticked", arguments: [.int32(-1), .string("forged")])
            try forger.emitSignal(
                path: Self.echoPath, interface: Self.echoInterface, member: "Ticked", arguments: [.int32(-2), .string("forged")],
                destination: client.uniqueName)
            try server.emitSignal(
                path: Self.echoPath, interface: Self.echoInterface, member: "Ticked", arguments: [.int32(1), .string("real")])
            try forger.emitSignal(
                path: Self.echoPath, interface: Self.echoInterface, member: "Ticked", arguments: [.int32(-3), .string("forged")],
                destination: client.uniqueName)
            try server.emitSignal(
                path: Self.echoPath, interface: Self.echoInterface, member: "Ticked", arguments: [.int32(2), .string("real")])
            var received: [Int32] = []
            for await signal in ticks {
                #expect(signal.sender == server.uniqueName)
                received.append(try signal.body(matching: "is")[0].asInt32())
                if received.count == 2 { break }
            }
            #expect(received == [1, 2])
        }
    }

    /// A client can send `NameOwnerChanged` from `/org/freedesktop/DBus` straight to another
    /// client; only the bus's own are delivered.
    @Test func forgedNameOwnerChangedIsIgnored() async throws {
        try await withPair { server, client, address async throws in
            let name = "org.swiftkeyring.Watched"
            let changes = try await client.nameOwnerChanges(for: name)
            let forger = try await DBusConnection.connect(to: .address(address))
            defer { forger.close() }
            for destination in [client.uniqueName, nil] {
                try forger.emitSignal(
                    path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "NameOwnerChanged",
                    arguments: [.string(name), .string(":1.9999"), .string("")], destination: destination)
            }
            #expect(try await server.requestName(name) == .primaryOwner)
            for await change in changes {
                #expect(change.oldOwner == nil)
                #expect(change.newOwner == server.uniqueName)
                break
            }
        }
    }

    @Test func argumentMatchesFilterSignals() async throws {
        try await withPair { server, client async throws in
            let only = try await client.signals(
                matching: DBusMatchRule(
                    interface: Self.echoInterface, member: "Ticked", arguments: [1: "wanted"]))
            for word in ["unwanted", "wanted"] {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Emit",
                    arguments: [.int32(0), .string(word)])
            }
            for await signal in only {
                #expect(try signal.body[1].asString() == "wanted")
                break
            }
        }
    }

    @Test func aThousandPipelinedCallsEachGetTheirOwnReply() async throws {
        try await withPair { server, client async throws in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<1000 {
                    group.addTask {
                        let value = DBusValue.structure([.int32(Int32(i)), .string("call \(i)")])
                        return try await echo(client, server, [value]) == [value]
                    }
                }
                var matched = 0
                for try await ok in group where ok { matched += 1 }
                #expect(matched == 1000)
            }
        }
    }

    @Test func tasksCanRunOnTheConnectionsOwnExecutor() async throws {
        try await withPair { server, client async throws in
            let results = try await withTaskExecutorPreference(client.executor) {
                var sequential: [DBusValue] = []
                for i in 0..<200 {
                    sequential += try await echo(client, server, [.int32(Int32(i))])
                }
                let pipelined = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<500 {
                        group.addTask { try await echo(client, server, [.int32(Int32(i))]) == [.int32(Int32(i))] ? 1 : 0 }
                    }
                    return try await group.reduce(0, +)
                }
                return (sequential, pipelined)
            }
            #expect(results.0 == (0..<200).map { .int32(Int32($0)) })
            #expect(results.1 == 500)
        }
    }

    @Test func closingTheConnectionStrandsNoTaskOnItsExecutor() async throws {
        try await withPair { server, client async throws in
            let executor = client.executor
            let waiting = Task(executorPreference: executor) {
                try await client.call(
                    destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Silent",
                    timeout: .seconds(60))
            }
            try await Task.sleep(for: .milliseconds(100))
            client.close()
            let result = await waiting.result
            #expect {
                try result.get()
            } throws: { error in
                (error as? DBusError)?.code == .closed
            }
            // Work that prefers the closed connection's executor still runs, elsewhere.
            let after = await Task(executorPreference: executor) { 41 + 1 }.value
            #expect(after == 42)
        }
    }

    @Test func namesCanBeRequestedWatchedAndAwaited() async throws {
        try await withPair { server, client async throws in
            let name = "org.swiftkeyring.Waited"
            #expect(try await client.nameHasOwner(name) == false)
            #expect(try await client.nameOwner(name) == nil)
            async let owner = client.waitForName(name, timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await server.requestName(name) == .primaryOwner)
            #expect(try await owner == server.uniqueName)
            #expect(try await client.nameHasOwner(name))
            #expect(try await server.requestName(name) == .alreadyOwner)
            #expect(try await client.requestName(name) == .exists)

            await #expect {
                try await client.waitForName("org.swiftkeyring.Never", timeout: .milliseconds(200))
            } throws: { error in
                (error as? DBusError)?.code == .timedOut
            }
        }
    }

    @Test func aClosedConnectionFailsCallsClearly() async throws {
        try await withPair { server, client async throws in
            client.close()
            try await Task.sleep(for: .milliseconds(50))
            #expect(!client.isConnected)
            await #expect {
                try await echo(client, server, [])
            } throws: { error in
                (error as? DBusError)?.code == .closed
            }
        }
    }

    @Test func anOpenedConnectionSendsCallsBehindHelloWithoutWaitingForIt() async throws {
        let bus = try await TestBus.startAsync(keyring: false)
        defer { bus.stop() }
        let server = try await DBusConnection.connect(to: .address(bus.address))
        defer { server.close() }
        try server.export(path: Self.echoPath, interface: Self.echoInterface) { call throws(DBusError) in
            [.string(call.sender ?? "")]
        }
        // Queued at once, before the bus can have answered Hello; each goes out behind it.
        let client = try DBusConnection.open(to: .address(bus.address))
        defer { client.close() }
        async let first = client.call(
            destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Echo")
        async let second = client.nameHasOwner(server.uniqueName ?? "")
        let sender = try await first.body(matching: "s")[0].asString()
        #expect(try await second)
        let name = try await client.registration()
        #expect(sender == name)
        #expect(client.uniqueName == name)
    }

    @Test func startedCallsReachThePeerInTheOrderTheyWereStarted() async throws {
        try await withPair { server, client async throws in
            let first = try client.startCall(
                destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Echo",
                arguments: [.string("first")])
            let second = try await client.call(
                destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Echo",
                arguments: [.string("second")])
            // Answered before anyone waited for it: the reply is kept until asked for, once.
            let firstReply = try await first.reply()
            #expect(try firstReply.body(matching: "s")[0].asString() == "first")
            #expect(try (firstReply.replySerial ?? .max) < (second.replySerial ?? 0))
            await #expect {
                try await first.reply()
            } throws: { error in
                (error as? DBusError)?.code == .invalidArgument
            }
        }
    }

    @Test func abandoningAStartedCallCancelsOnlyIt() async throws {
        try await withPair { server, client async throws in
            let silent = try client.startCall(
                destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Silent",
                timeout: .seconds(60))
            let waiting = Task { try await silent.reply() }
            waiting.cancel()
            await #expect {
                try await waiting.value
            } throws: { error in
                (error as? DBusError)?.code == .cancelled
            }
            #expect(try await echo(client, server, [.int32(7)]) == [.int32(7)])
        }
    }

    @Test func anOpenedConnectionToNoBusFailsItsCallsNotItsCreation() async throws {
        let client = try DBusConnection.open(to: .address("unix:path=/nonexistent/swift-keyring/bus"))
        await #expect {
            try await client.call(
                destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
                member: "GetId")
        } throws: { error in
            (error as? DBusError)?.code == .connectionFailed
        }
        await #expect {
            try await client.registration()
        } throws: { error in
            (error as? DBusError)?.code == .connectionFailed
        }
        #expect(!client.isConnected)
        #expect(client.uniqueName == nil)
    }

    @Test(.timeLimit(.minutes(1)))
    func callsQueuedBehindACloseFailInsteadOfWaitingForever() async throws {
        let bus = try await TestBus.startAsync(keyring: false)
        defer { bus.stop() }
        for _ in 0..<20 {
            let client = try await DBusConnection.connect(to: .address(bus.address))
            // Queued together while the connection's thread sleeps: it takes the close and the
            // calls behind it in one turn. Every call must end, with an error.
            client.close()
            var calls: [DBusPendingReply] = []
            for _ in 0..<20 {
                if let call = try? client.startCall(
                    destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                    interface: "org.freedesktop.DBus", member: "GetId")
                {
                    calls.append(call)
                }
            }
            for call in calls {
                await #expect(throws: DBusError.self) { _ = try await call.reply() }
            }
        }
    }

    @Test func aVanishedBusFailsCallsInFlightWithDisconnected() async throws {
        let bus = try await TestBus.startAsync(keyring: false)
        let server = try await DBusConnection.connect(to: .address(bus.address))
        let client = try await DBusConnection.connect(to: .address(bus.address))
        try server.export(path: Self.echoPath, interface: Self.echoInterface) { _ throws(DBusError) in
            try? await Task.sleep(for: .seconds(3600))
            return []
        }
        let task = Task {
            try await client.call(
                destination: server.uniqueName, path: Self.echoPath, interface: Self.echoInterface, member: "Silent",
                timeout: .seconds(60))
        }
        try await Task.sleep(for: .milliseconds(100))
        bus.stop()
        let result = await task.result
        #expect {
            try result.get()
        } throws: { error in
            (error as? DBusError)?.code == .disconnected
        }
        #expect(!client.isConnected)
    }
}

@Suite("gnome-keyring on a private bus")
struct GnomeKeyringReachabilityTests {
    @Test func gnomeKeyringAnswersPingAndCollections() async throws {
        let bus = try await TestBus.startAsync(keyring: true)
        defer { bus.stop() }
        let connection = try await DBusConnection.connect(to: .address(bus.address))
        defer { connection.close() }
        try await connection.call(
            destination: "org.freedesktop.secrets", path: "/org/freedesktop/secrets",
            interface: "org.freedesktop.DBus.Peer", member: "Ping")
        let collections = try await connection.property(
            "Collections", interface: "org.freedesktop.Secret.Service", path: "/org/freedesktop/secrets",
            destination: "org.freedesktop.secrets"
        ).asObjectPaths()
        #expect(collections.contains("/org/freedesktop/secrets/collection/login"))

        let all = try await connection.allProperties(
            interface: "org.freedesktop.Secret.Collection", path: "/org/freedesktop/secrets/collection/login",
            destination: "org.freedesktop.secrets")
        #expect(try all["Locked"]?.asBool() == false)

        try await connection.setProperty(
            "Label", to: .string("Renamed login"), interface: "org.freedesktop.Secret.Collection",
            path: "/org/freedesktop/secrets/collection/login", destination: "org.freedesktop.secrets")
        let label = try await connection.property(
            "Label", interface: "org.freedesktop.Secret.Collection", path: "/org/freedesktop/secrets/collection/login",
            destination: "org.freedesktop.secrets")
        #expect(try label.asString() == "Renamed login")
    }
}

/// What a connection costs while it waits, measured as the process's CPU time, which every other
/// test running beside it would add to: scripts/test runs the ...TimingTests suites alone.
@Suite("Connection timing: no CPU while waiting")
struct ConnectionTimingTests {
    @Test func waitingForABusThatNeverAnswersTheHandshakeTakesNoCPU() async throws {
        // A socket that accepts connections (the kernel's backlog) and never reads from them:
        // libdbus has written its AUTH line and waits to read the answer, with Hello queued.
        let directory = try TemporaryDirectory.create(prefix: "silent-bus")
        let path = directory + "/bus"
        defer {
            unlink(path)
            rmdir(directory)
        }
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            path.utf8CString.withUnsafeBytes { raw.copyMemory(from: $0) }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(listen(listener, 8) == 0)

        let client = try DBusConnection.open(
            to: .address("unix:path=\(path)"), options: .init(callTimeout: .seconds(10), connectTimeout: .seconds(10)))
        defer { client.close() }
        let call = try client.startCall(
            destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus",
            member: "GetId")
        try await Task.sleep(for: .milliseconds(50))
        let before = Self.processCPUTime()
        try await Task.sleep(for: .milliseconds(400))
        let spent = Self.processCPUTime() - before
        // Polling for writability while libdbus only waits to read would spin a core for the
        // whole wait (about 400 ms here), starving the bus it waits for.
        #expect(spent < .milliseconds(100), "the connection's thread used \(spent) of CPU in 400 ms of waiting")
        client.close()
        await #expect(throws: DBusError.self) { try await call.reply() }
    }

    static func processCPUTime() -> Duration {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Duration.seconds(usage.ru_utime.tv_sec) + .microseconds(usage.ru_utime.tv_usec)
        return user + .seconds(usage.ru_stime.tv_sec) + .microseconds(usage.ru_stime.tv_usec)
    }
}
