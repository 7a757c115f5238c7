// The one file that calls the kernel's key retention service (keyrings(7)): add_key and keyctl.

internal import CKeyringSystem
internal import Glibc

/// Keys of type `user` in the calling process's session keyring, readable only by its user.
///
/// A key lives in kernel memory: never on disk, never in a core file, gone at reboot, at its
/// timeout (the kernel expires it), when the session keyring is destroyed (at logout, when
/// `pam_keyinit` made one for the login) and when it is invalidated. Its permissions give the
/// owning user view, read, write, search and setattr, and nothing to possessors, the group or
/// others: a process of another user that shares the session keyring (a child started with
/// `setpriv` or `su` without a new session) cannot read it.
package enum KernelKeyring {
    /// A failed call, with `errno`.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package let call: String
        package let errno: Int32

        /// The calls are refused outright: a seccomp profile (Docker's default) or an old kernel.
        package var isUnavailable: Bool { errno == ENOSYS || errno == EPERM }

        package var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
    }

    /// Why the kernel keyring cannot hold keys for this process's login session, or `nil` when it can.
    package static func unavailability() -> String? {
        let session: Int
        do {
            session = try keyctl(Operation.getKeyringId, Self.sessionKeyring, 0, call: "keyctl(GET_KEYRING_ID @s)")
        } catch {
            return error.isUnavailable
                ? "the kernel keyring calls are refused here (\(error)), as in a container's default seccomp profile"
                : "the session keyring cannot be found (\(error))"
        }
        guard
            let userSession = try? keyctl(Operation.getKeyringId, Self.userSessionKeyring, 0, call: "keyctl(GET_KEYRING_ID @us)")
        else {
            return "the user session keyring cannot be found"
        }
        if session == userSession {
            // No keyring was made for this login (no pam_keyinit): @s is the user's shared
            // default, which outlives every login; it is no boundary of a session.
            return "this process has no session keyring of its own (no pam_keyinit for this login)"
        }
        return nil
    }

    /// The serial number of this process's session keyring, for `diagnose`.
    package static var sessionKeyringSerial: Int? {
        try? keyctl(Operation.getKeyringId, Self.sessionKeyring, 0, call: "keyctl(GET_KEYRING_ID @s)")
    }

    /// The key's payload, or `nil` when the session keyring has no usable key of that name
    /// (none, expired, or one that is not this user's own with the permissions set by ``store(_:named:timeoutSeconds:)``).
    package static func load(named name: String) throws(Failure) -> SecureBytes? {
        guard let serial = try find(name), isOwnPrivateKey(serial) else { return nil }
        let key = SecureBytes(count: 256)
        let length = try key.withUnsafeMutableBytes { (raw) throws(Failure) -> Int in
            try keyctl(
                Operation.read, serial, Int(bitPattern: UInt(bitPattern: raw.baseAddress)), raw.count, call: "keyctl(READ)")
        }
        guard length > 0, length <= key.count else { return nil }
        return length == key.count
            ? key : key.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// Stores `payload` (at most 256 bytes) under `name`, replacing a key of that name, with a timeout.
    ///
    /// The key is made with a placeholder payload, its owner and permissions are set and
    /// checked, and only then does it receive the payload: a key of that name planted by
    /// another user who shares the session keyring is unlinked, never written to.
    package static func store(_ payload: SecureBytes, named name: String, timeoutSeconds: Int) throws(Failure) {
        precondition(payload.count > 0 && payload.count <= 256)
        try remove(named: name)
        var placeholder: UInt8 = 0
        let serial = Int(swift_keyring_add_key("user", name, &placeholder, 1, Int32(truncatingIfNeeded: sessionKeyring)))
        guard serial > 0 else { throw Failure(call: "add_key", errno: errno) }
        guard isOwn(serial) else {
            _ = try? keyctl(Operation.unlink, serial, sessionKeyring, call: "keyctl(UNLINK)")
            throw Failure(call: "add_key (a key of another user took its place)", errno: EACCES)
        }
        _ = try keyctl(Operation.setperm, serial, Self.ownerOnly, call: "keyctl(SETPERM)")
        guard isOwnPrivateKey(serial) else {
            try invalidate(serial)
            throw Failure(call: "keyctl(SETPERM) did not take", errno: EACCES)
        }
        _ = try payload.withUnsafeBytes { (raw) throws(Failure) -> Int in
            try keyctl(
                Operation.update, serial, Int(bitPattern: UInt(bitPattern: raw.baseAddress)), raw.count,
                call: "keyctl(UPDATE)")
        }
        // After the update, which resets the expiry; a key that cannot expire is not kept.
        do {
            _ = try keyctl(Operation.setTimeout, serial, max(1, timeoutSeconds), call: "keyctl(SET_TIMEOUT)")
        } catch {
            try? invalidate(serial)
            throw error
        }
    }

    /// Destroys the key named `name` in the session keyring (and any of that name another user planted).
    /// - Returns: whether there was one.
    @discardableResult
    package static func remove(named name: String) throws(Failure) -> Bool {
        var removed = false
        while let serial = try find(name) {
            if isOwn(serial) {
                try invalidate(serial)
            } else {
                _ = try keyctl(Operation.unlink, serial, sessionKeyring, call: "keyctl(UNLINK)")
            }
            removed = true
        }
        return removed
    }

    /// Destroys every key of this user in the session keyring whose name starts with `prefix`.
    /// - Returns: how many.
    @discardableResult
    package static func removeAll(prefix: String) throws(Failure) -> Int {
        var removed = 0
        for serial in try sessionKeyringContents() {
            guard let described = describe(serial), described.type == "user", described.name.hasPrefix(prefix) else { continue }
            if described.owner == geteuid() {
                try invalidate(serial)
            } else {
                _ = try? keyctl(Operation.unlink, serial, sessionKeyring, call: "keyctl(UNLINK)")
            }
            removed += 1
        }
        return removed
    }

    /// The names of this user's keys in the session keyring whose names start with `prefix`.
    package static func names(prefix: String) -> [String] {
        guard let contents = try? sessionKeyringContents() else { return [] }
        return contents.compactMap { serial in
            guard let described = describe(serial), described.type == "user", described.owner == geteuid(),
                described.name.hasPrefix(prefix)
            else { return nil }
            return described.name
        }
    }

    // MARK: Helpers

    /// keyctl(2) operations (linux/keyctl.h).
    private enum Operation {
        static let getKeyringId: Int32 = 0  // KEYCTL_GET_KEYRING_ID
        static let update: Int32 = 2  // KEYCTL_UPDATE
        static let revoke: Int32 = 3  // KEYCTL_REVOKE
        static let setperm: Int32 = 5  // KEYCTL_SETPERM
        static let describe: Int32 = 6  // KEYCTL_DESCRIBE
        static let unlink: Int32 = 9  // KEYCTL_UNLINK
        static let search: Int32 = 10  // KEYCTL_SEARCH
        static let read: Int32 = 11  // KEYCTL_READ
        static let setTimeout: Int32 = 15  // KEYCTL_SET_TIMEOUT
        static let invalidate: Int32 = 21  // KEYCTL_INVALIDATE
    }

    private static let sessionKeyring = -3  // KEY_SPEC_SESSION_KEYRING
    private static let userSessionKeyring = -5  // KEY_SPEC_USER_SESSION_KEYRING
    /// KEY_USR_VIEW | READ | WRITE | SEARCH | SETATTR; nothing for possessors, the group or others.
    private static let ownerOnly = 0x0001_0000 | 0x0002_0000 | 0x0004_0000 | 0x0008_0000 | 0x0020_0000

    private static func keyctl(_ operation: Int32, _ a2: Int, _ a3: Int, _ a4: Int = 0, _ a5: Int = 0, call: String)
        throws(Failure) -> Int
    {
        let result = swift_keyring_keyctl(
            operation, UInt(bitPattern: a2), UInt(bitPattern: a3), UInt(bitPattern: a4), UInt(bitPattern: a5))
        guard result >= 0 else { throw Failure(call: call, errno: errno) }
        return result
    }

    private static func find(_ name: String) throws(Failure) -> Int? {
        let result = name.withCString { name in
            "user".withCString { type in
                swift_keyring_keyctl(
                    Operation.search, UInt(bitPattern: sessionKeyring), UInt(bitPattern: type),
                    UInt(bitPattern: name), 0)
            }
        }
        if result >= 0 { return result }
        switch errno {
        case ENOKEY, EKEYEXPIRED, EKEYREVOKED, EACCES: return nil
        default: throw Failure(call: "keyctl(SEARCH)", errno: errno)
        }
    }

    private static func invalidate(_ serial: Int) throws(Failure) {
        do {
            _ = try keyctl(Operation.invalidate, serial, 0, call: "keyctl(INVALIDATE)")
        } catch {
            _ = try keyctl(Operation.revoke, serial, 0, call: "keyctl(REVOKE)")
        }
    }

    private struct Described {
        let type: String
        let owner: UInt32
        let permissions: UInt32
        let name: String
    }

    /// KEYCTL_DESCRIBE: "type;uid;gid;perm;description".
    private static func describe(_ serial: Int) -> Described? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let length = buffer.withUnsafeMutableBytes { raw in
            swift_keyring_keyctl(Operation.describe, UInt(serial), UInt(bitPattern: raw.baseAddress), UInt(raw.count), 0)
        }
        guard length > 1, length <= buffer.count else { return nil }
        let text = String(decoding: buffer[0..<(length - 1)], as: UTF8.self)
        let fields = text.split(separator: ";", maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5, let owner = UInt32(fields[1]), let permissions = UInt32(fields[3], radix: 16) else {
            return nil
        }
        return Described(type: String(fields[0]), owner: owner, permissions: permissions, name: String(fields[4]))
    }

    private static func isOwn(_ serial: Int) -> Bool {
        describe(serial).map { $0.type == "user" && $0.owner == geteuid() } ?? false
    }

    private static func isOwnPrivateKey(_ serial: Int) -> Bool {
        describe(serial).map { $0.type == "user" && $0.owner == geteuid() && $0.permissions == UInt32(ownerOnly) } ?? false
    }

    private static func sessionKeyringContents() throws(Failure) -> [Int] {
        var serials = [Int32](repeating: 0, count: 1024)
        let length = serials.withUnsafeMutableBytes { raw in
            swift_keyring_keyctl(
                Operation.read, UInt(bitPattern: sessionKeyring), UInt(bitPattern: raw.baseAddress), UInt(raw.count), 0)
        }
        guard length >= 0 else { throw Failure(call: "keyctl(READ @s)", errno: errno) }
        return serials.prefix(min(length, serials.count * 4) / 4).map { Int($0) }
    }
}
