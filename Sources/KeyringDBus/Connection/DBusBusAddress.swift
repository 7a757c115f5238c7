internal import KeyringSystem
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which bus to connect to.
public enum DBusBus: Sendable, Hashable {
    /// The user's session bus: `DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus`.
    case session
    /// The system bus: `DBUS_SYSTEM_BUS_ADDRESS`, else `/var/run/dbus/system_bus_socket`.
    case system
    /// An explicit address such as `unix:path=/tmp/bus`.
    case address(String)

    /// The address libdbus will be given.
    ///
    /// Never starts anything: `autolaunch:` addresses (which spawn a bus through X11) are
    /// dropped, and when nothing is left the error says exactly what was looked at.
    /// - Parameter environment: looks up a variable; the process environment by default.
    /// - Throws: ``DBusError`` `.noBus`.
    public func resolve(environment: (String) -> String? = DBusBus.processEnvironment) throws(DBusError) -> String {
        switch self {
        case .address(let text):
            return try Self.usable(text, source: "the given address")
        case .session:
            if let text = environment("DBUS_SESSION_BUS_ADDRESS"), !text.isEmpty {
                return try Self.usable(text, source: "DBUS_SESSION_BUS_ADDRESS")
            }
            guard let runtime = environment("XDG_RUNTIME_DIR"), !runtime.isEmpty else {
                throw DBusError(
                    .noBus,
                    "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and XDG_RUNTIME_DIR is not set "
                        + "(typical of SSH sessions, containers and services without a desktop login)")
            }
            let socket = runtime + "/bus"
            guard Self.isSocket(socket) else {
                throw DBusError(
                    .noBus,
                    "no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and \(socket) does not exist "
                        + "(no desktop session, or no user bus running)")
            }
            return "unix:path=" + socket
        case .system:
            if let text = environment("DBUS_SYSTEM_BUS_ADDRESS"), !text.isEmpty {
                return try Self.usable(text, source: "DBUS_SYSTEM_BUS_ADDRESS")
            }
            let socket = "/var/run/dbus/system_bus_socket"
            guard Self.isSocket(socket) else {
                throw DBusError(.noBus, "no D-Bus system bus: DBUS_SYSTEM_BUS_ADDRESS is not set and \(socket) does not exist")
            }
            return "unix:path=" + socket
        }
    }

    /// Reads the process environment.
    public static let processEnvironment: @Sendable (String) -> String? = { name in
        ProcessEnvironment.value(of: name)
    }

    private static func usable(_ text: String, source: String) throws(DBusError) -> String {
        let parts = text.split(separator: ";").filter { !$0.hasPrefix("autolaunch:") && !$0.isEmpty }
        guard !parts.isEmpty else {
            throw DBusError(.noBus, "no usable D-Bus address in \(source): autolaunch is never attempted")
        }
        return parts.joined(separator: ";")
    }

    private static func isSocket(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFSOCK
    }
}
