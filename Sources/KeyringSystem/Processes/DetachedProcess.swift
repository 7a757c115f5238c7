internal import Glibc

/// Starts a program that outlives its parent: in a session of its own (no controlling
/// terminal, not in the caller's process group, so a terminal's hang-up or Ctrl-C does not
/// reach it), with standard input, output and error on `/dev/null`.
package enum DetachedProcess {
    /// Starts `executable` with `arguments` (argv[1...]) and the current environment.
    /// - Returns: its process ID, or `nil` with `errno` when it could not be started.
    package static func spawn(_ executable: String, arguments: [String]) -> (pid: Int32?, errno: Int32) {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // POSIX_SPAWN_SETSID (glibc 2.26), which Swift's Glibc module does not show.
        posix_spawnattr_setflags(&attributes, Int16(0x80))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        return result == 0 ? (pid, 0) : (nil, result)
    }
}
