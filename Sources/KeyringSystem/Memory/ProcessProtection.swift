internal import CKeyringSystem
internal import Glibc

/// Protections for a whole process that holds secrets, beyond what ``SecureBytes`` does for
/// its own pages: secrets also pass through buffers this package does not own (libdbus
/// messages, the C library's, the environment).
public enum ProcessProtection {
    /// Makes the process non-dumpable and sets its core-file size limit to zero.
    ///
    /// A crash then writes no core file (or only one that root may read, when the system's
    /// `fs.suid_dumpable` is 2), and other processes of the same user can no longer attach a
    /// debugger or read `/proc/PID/mem` and `/proc/PID/environ`. Call it first thing in a program
    /// that will hold secrets; the `keyring` command does. Irreversible for the process's
    /// lifetime except by `exec` (the flag is reset for the new program).
    ///
    /// Wraps `prctl(PR_SET_DUMPABLE, 0)` and `setrlimit(RLIMIT_CORE, 0)`.
    /// - Returns: whether the process is now non-dumpable.
    @discardableResult
    public static func disableCoreDumps() -> Bool {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        if getrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit) == 0 {
            limit.rlim_cur = 0
            _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &limit)
        }
        return swift_keyring_set_not_dumpable() == 0
    }

    /// Whether the process may write a core file (`prctl(PR_GET_DUMPABLE)`).
    public static var isDumpable: Bool {
        swift_keyring_is_dumpable() != 0
    }
}
