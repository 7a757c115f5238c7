import Foundation
import Testing
import TestSupport

/// The private bus and gnome-keyring that every integration test stands on.
@Suite("dbus-fixtures: private bus and gnome-keyring")
struct FixtureTests {
    let secret = Array("s3cret value with ünïcode".utf8)
    let attributes = ["service", "fixture-test", "account", "alice"]

    @Test("secret-tool stores and looks up through the fixture's keyring")
    func secretToolRoundTrip() throws {
        let bus = try TestBus.start()
        defer { bus.stop() }

        let store = try bus.run("secret-tool", ["store", "--label=Fixture test"] + attributes, stdin: secret)
        #expect(store.succeeded, "secret-tool store: \(store)")
        let lookup = try bus.run("secret-tool", ["lookup"] + attributes)
        #expect(lookup.succeeded, "secret-tool lookup: \(lookup)")
        #expect(lookup.stdout == secret)

        // The item is in the fixture's login keyring, on disk inside the fixture directory.
        let keyrings = bus.directory.appendingPathComponent("data/keyrings/login.keyring")
        #expect(FileManager.default.fileExists(atPath: keyrings.path))
    }

    @Test("a killed keyring vanishes from the bus; a restarted one serves the same items")
    func killAndRestart() throws {
        let bus = try TestBus.start()
        defer { bus.stop() }
        let store = try bus.run("secret-tool", ["store", "--label=Fixture test"] + attributes, stdin: secret)
        #expect(store.succeeded, "secret-tool store: \(store)")
        let firstPID = try #require(bus.keyringPID)

        try bus.killKeyring()
        #expect(bus.keyringPID == nil)
        #expect(kill(firstPID, 0) != 0 || isZombie(firstPID), "the killed daemon still runs")
        let whileDead = try bus.run("secret-tool", ["lookup"] + attributes, timeout: .seconds(10))
        #expect(!whileDead.succeeded)
        #expect(whileDead.stderrText.contains("org.freedesktop.secrets"), "\(whileDead)")

        try bus.restartKeyring()
        let secondPID = try #require(bus.keyringPID)
        #expect(secondPID != firstPID)
        let lookup = try bus.run("secret-tool", ["lookup"] + attributes)
        #expect(lookup.succeeded, "secret-tool lookup: \(lookup)")
        #expect(lookup.stdout == secret)
    }

    @Test("the bus activates nothing: without a keyring, calls fail at once")
    func noActivation() throws {
        let bus = try TestBus.start(keyring: false)
        defer { bus.stop() }

        let names = try bus.run(
            "dbus-send",
            [
                "--session", "--print-reply=literal", "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus", "org.freedesktop.DBus.ListActivatableNames",
            ])
        #expect(names.succeeded, "\(names)")
        #expect(!names.stdoutText.contains("secrets"), "activatable: \(names.stdoutText)")

        let started = ContinuousClock.now
        let lookup = try bus.run("secret-tool", ["lookup"] + attributes, timeout: .seconds(10))
        #expect(!lookup.succeeded && !lookup.timedOut)
        #expect(lookup.stderrText.contains("was not provided by any .service files"), "\(lookup)")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("stop() ends both daemons and removes the directory")
    func stopEndsDaemons() throws {
        let bus = try TestBus.start()
        let pids = [try #require(bus.busPID), try #require(bus.keyringPID)]
        bus.stop()
        for pid in pids {
            #expect(kill(pid, 0) != 0 || isZombie(pid), "pid \(pid) still runs")
        }
        #expect(!FileManager.default.fileExists(atPath: bus.directory.path))
        bus.stop()  // a second stop does nothing
    }

    /// True when PID has exited but was not reaped (this sandbox's PID 1 may not reap orphans).
    private func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
    }
}
