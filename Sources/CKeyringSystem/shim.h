#ifndef SWIFT_KEYRING_CSYSTEM_SHIM_H
#define SWIFT_KEYRING_CSYSTEM_SHIM_H
// The Linux calls KeyringSystem makes that Swift cannot: variadic ones (prctl, syscall) and
// structures glibc shows only under _GNU_SOURCE (struct ucred). Nothing else lives here.
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

// Makes the process non-dumpable: no core file, /proc/PID/{mem,environ} and ptrace closed to
// other processes of the same user.
static inline int swift_keyring_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static inline int swift_keyring_is_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

// The kernel's key retention service (keyrings(7)); glibc has no wrappers, and libkeyutils
// would be one more library for three system calls. -1 and errno on failure.
static inline int32_t swift_keyring_add_key(
    const char *type, const char *description, const void *payload, size_t length, int32_t keyring) {
    return (int32_t)syscall(SYS_add_key, type, description, payload, length, keyring);
}

static inline long swift_keyring_keyctl(
    int operation, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return syscall(SYS_keyctl, operation, a2, a3, a4, a5);
}

// The user ID of the process at the other end of a connected AF_UNIX socket (SO_PEERCRED).
static inline int swift_keyring_peer_uid(int descriptor, uint32_t *uid) {
    struct {
        pid_t pid;
        uid_t uid;
        gid_t gid;
    } credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    *uid = credentials.uid;
    return 0;
}
#endif
