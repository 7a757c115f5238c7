/// Flags for ``DBusConnection/requestName(_:flags:)``.
public struct DBusNameFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let allowReplacement = DBusNameFlags(rawValue: 0x1)
    public static let replaceExisting = DBusNameFlags(rawValue: 0x2)
    public static let doNotQueue = DBusNameFlags(rawValue: 0x4)
}

/// The outcome of `RequestName`.
public enum DBusRequestNameReply: UInt32, Sendable {
    case primaryOwner = 1, inQueue = 2, exists = 3, alreadyOwner = 4
}

/// A `NameOwnerChanged` signal.
public struct DBusNameOwnerChange: Sendable, Hashable {
    public var name: String
    /// The previous owner's unique name, or `nil` when the name was free.
    public var oldOwner: String?
    /// The new owner's unique name, or `nil` when the name is now free.
    public var newOwner: String?
}

extension DBusConnection {
    /// Asks the bus for a well-known name (`org.freedesktop.DBus.RequestName`).
    /// - Throws: ``DBusError``.
    public func requestName(_ name: String, flags: DBusNameFlags = [.doNotQueue]) async throws(DBusError) -> DBusRequestNameReply
    {
        guard DBusNames.isValidBusName(name), !name.hasPrefix(":") else {
            throw DBusError(.invalidArgument, "invalid well-known name '\(name)'")
        }
        let reply = try await callBus("RequestName", [.string(name), .uint32(flags.rawValue)])
        let code = try reply.body(matching: "u")[0].asUInt32()
        guard let result = DBusRequestNameReply(rawValue: code) else {
            throw DBusError(.typeMismatch, "RequestName returned unknown code \(code)")
        }
        return result
    }

    /// Gives a well-known name back (`org.freedesktop.DBus.ReleaseName`).
    /// - Throws: ``DBusError``.
    public func releaseName(_ name: String) async throws(DBusError) {
        try await callBus("ReleaseName", [.string(name)])
    }

    /// Whether someone owns `name` (`org.freedesktop.DBus.NameHasOwner`).
    /// - Throws: ``DBusError``.
    public func nameHasOwner(_ name: String, timeout: Duration? = nil) async throws(DBusError) -> Bool {
        let reply = try await callBus("NameHasOwner", [.string(name)], timeout: timeout)
        return try reply.body(matching: "b")[0].asBool()
    }

    /// The names the bus can start a service for on demand (`ListActivatableNames`).
    /// - Throws: ``DBusError``.
    public func activatableNames(timeout: Duration? = nil) async throws(DBusError) -> [String] {
        let reply = try await callBus("ListActivatableNames", timeout: timeout)
        return try reply.body(matching: "as")[0].asStrings()
    }

    /// The unique name owning `name`, or `nil` when nobody does (`GetNameOwner`).
    /// - Throws: ``DBusError``.
    public func nameOwner(_ name: String, timeout: Duration? = nil) async throws(DBusError) -> String? {
        do throws(DBusError) {
            let reply = try await callBus("GetNameOwner", [.string(name)], timeout: timeout)
            return try reply.body(matching: "s")[0].asString()
        } catch let error where error.name == DBusError.Name.nameHasNoOwner {
            return nil
        }
    }

    /// A stream of `NameOwnerChanged` signals, for one name or for all: only those the bus sent
    /// (a client can send a signal of that name too, unicast to this connection).
    /// - Throws: ``DBusError``.
    public func nameOwnerChanges(for name: String? = nil) async throws(DBusError) -> AsyncStream<DBusNameOwnerChange> {
        let signals = try await signals(
            matching: DBusMatchRule(
                sender: DBusMatchRule.busName, interface: "org.freedesktop.DBus", member: "NameOwnerChanged",
                path: "/org/freedesktop/DBus", arguments: name.map { [0: $0] } ?? [:]))
        return AsyncStream { continuation in
            let task = Task {
                for await signal in signals {
                    guard let values = try? signal.body(matching: "sss"),
                        let changed = try? values[0].asString(), let old = try? values[1].asString(),
                        let new = try? values[2].asString()
                    else { continue }
                    continuation.yield(
                        DBusNameOwnerChange(
                            name: changed, oldOwner: old.isEmpty ? nil : old, newOwner: new.isEmpty ? nil : new))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Waits until `name` has an owner.
    ///
    /// Subscribes to `NameOwnerChanged` first and then asks `NameHasOwner`, so an owner that
    /// appears in between is not missed.
    /// - Returns: the owner's unique name.
    /// - Throws: ``DBusError`` `.timedOut` when nobody owns the name by the deadline.
    @discardableResult
    public func waitForName(_ name: String, timeout: Duration) async throws(DBusError) -> String {
        let changes = try await nameOwnerChanges(for: name)
        return try await withDeadline(timeout, "waiting for \(name) to appear on the bus") {
            () async throws(DBusError) -> String in
            if let owner = try await self.nameOwner(name) { return owner }
            for await change in changes {
                if let owner = change.newOwner { return owner }
            }
            if Task.isCancelled { throw DBusError.cancelled("waiting for \(name) to appear on the bus") }
            throw self.closedReason ?? DBusError(.disconnected, "the bus connection ended while waiting for \(name)")
        }
    }
}

extension DBusConnection {
    /// The process ID of the connection that owns `name`, as the bus saw it when that
    /// connection authenticated (`org.freedesktop.DBus.GetConnectionUnixProcessID`).
    /// - Throws: ``DBusError``: `org.freedesktop.DBus.Error.NameHasNoOwner` when nobody owns
    ///   `name`; an error when the bus does not know the process (a connection from another machine).
    public func processID(ofOwnerOf name: String, timeout: Duration? = nil) async throws -> UInt32 {
        guard DBusNames.isValidBusName(name) else {
            throw DBusError(.invalidArgument, "invalid bus name '\(name)'")
        }
        let reply = try await callBus("GetConnectionUnixProcessID", [.string(name)], timeout: timeout)
        return try reply.body(matching: "u")[0].asUInt32()
    }
}
