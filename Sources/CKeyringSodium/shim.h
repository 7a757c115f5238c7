#ifndef SWIFT_KEYRING_CSODIUM_SHIM_H
#define SWIFT_KEYRING_CSODIUM_SHIM_H
#include <sodium.h>
#include <sys/prctl.h>

// prctl(2) is variadic, so Swift cannot call it: the one call the secret-memory layer needs.
// Makes the process non-dumpable: no core file, /proc/PID/{mem,environ} and ptrace closed to
// other processes of the same user.
static inline int swift_keyring_set_not_dumpable(void) {
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static inline int swift_keyring_is_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}
#endif
