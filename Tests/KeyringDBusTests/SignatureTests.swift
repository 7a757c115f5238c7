import KeyringDBus
import Testing

@Suite("Signatures and values, no bus")
struct SignatureTests {
    @Test(arguments: ["", "s", "ay", "a{sv}", "(oayays)", "a{o(oayays)}", "aav", "a(ii)x", "h", "a{ya{sv}}", "((((s))))"])
    func validSignaturesRoundTrip(_ text: String) throws {
        let signature = try DBusSignature(text)
        #expect(signature.rawValue == text)
        #expect(DBusSignature(types: signature.types).rawValue == text)
    }

    @Test(arguments: [
        "a", "a{", "a{vs}", "{ss}", "()", "(s", "s)", "a{sss}", "z", "a{s}", String(repeating: "a", count: 33) + "s",
    ])
    func invalidSignaturesAreRejected(_ text: String) {
        #expect(throws: DBusError.self) { try DBusSignature(text) }
        do {
            _ = try DBusSignature(text)
        } catch {
            #expect(error.code == .invalidArgument)
        }
    }

    @Test func objectPathValidation() throws {
        #expect(DBusObjectPath.isValid("/"))
        #expect(DBusObjectPath.isValid("/org/freedesktop/secrets/collection/login"))
        for bad in ["", "org", "/a/", "//", "/a//b", "/a-b", "/ä"] {
            #expect(!DBusObjectPath.isValid(bad), "\(bad)")
        }
        #expect(try DBusObjectPath("/a").appending("b") == "/a/b")
        #expect(try DBusObjectPath.root.appending("b") == "/b")
    }

    @Test func nameValidation() {
        #expect(DBusNames.isValidBusName("org.freedesktop.secrets"))
        #expect(DBusNames.isValidBusName(":1.42"))
        #expect(DBusNames.isValidBusName("org.gnome.keyring-test"))
        #expect(!DBusNames.isValidBusName("org"))
        #expect(!DBusNames.isValidBusName("org..x"))
        #expect(!DBusNames.isValidBusName("1org.x"))
        #expect(DBusNames.isValidInterface("org.freedesktop.Secret.Service"))
        #expect(!DBusNames.isValidInterface("org.free-desktop.X"))
        #expect(DBusNames.isValidMember("GetSecrets"))
        #expect(!DBusNames.isValidMember("Get.Secrets"))
        #expect(!DBusNames.isValidMember("9Lives"))
    }

    @Test func typedAccessorsRejectTheWrongType() throws {
        let value = DBusValue.int32(7)
        #expect(try value.asInt32() == 7)
        #expect {
            _ = try value.asString()
        } throws: { error in
            (error as? DBusError)?.code == .typeMismatch
        }
        #expect(throws: DBusError.self) { try DBusValue.strings(["a"]).asObjectPaths() }
        #expect(try DBusValue.stringDictionary(["k": "v"]).asStringDictionary() == ["k": "v"])
    }

    @Test func validationCatchesWhatLibdbusWouldAbortOn() {
        let cases: [DBusValue] = [
            .string("nul\0inside"),
            .array(.string, [.int32(1)]),
            .dictionary(key: .string, value: .string, [DBusDictionaryEntry(key: .int32(1), value: .string("x"))]),
            .dictionary(key: .variant, value: .string, []),
            .structure([]),
            .unixFD(-1),
        ]
        for value in cases {
            #expect(throws: DBusError.self, "\(value)") { try value.validate() }
        }
    }

    @Test func byteArraysPrintOnlyTheirLength() {
        #expect(DBusValue.bytes(Array("hunter2".utf8)).description == "bytes[7]")
    }

    @Test func noBusGivesAClearError() {
        let empty: (String) -> String? = { _ in nil }
        #expect {
            _ = try DBusBus.session.resolve(environment: empty)
        } throws: { error in
            guard let error = error as? DBusError else { return false }
            return error.code == .noBus && error.message.contains("DBUS_SESSION_BUS_ADDRESS")
        }
        let autolaunchOnly: (String) -> String? = { $0 == "DBUS_SESSION_BUS_ADDRESS" ? "autolaunch:" : nil }
        #expect {
            _ = try DBusBus.session.resolve(environment: autolaunchOnly)
        } throws: { error in
            (error as? DBusError)?.code == .noBus && "\(error)".contains("autolaunch")
        }
        let missingRuntime: (String) -> String? = { $0 == "XDG_RUNTIME_DIR" ? "/nonexistent-runtime-dir" : nil }
        #expect {
            _ = try DBusBus.session.resolve(environment: missingRuntime)
        } throws: { error in
            (error as? DBusError)?.message.contains("/nonexistent-runtime-dir/bus") == true
        }
    }
}

/// What must be quick, not only bounded: run by scripts/test alone (the ...TimingTests suites).
@Suite("Connecting: timing")
struct ConnectTimingTests {
    @Test func connectingToAMissingSocketFailsFast() async {
        let clock = ContinuousClock()
        let start = clock.now
        await #expect {
            _ = try await DBusConnection.connect(to: .address("unix:path=/nonexistent/bus-socket"))
        } throws: { error in
            (error as? DBusError)?.code == .connectionFailed
        }
        #expect(clock.now - start < .seconds(2))
    }
}
