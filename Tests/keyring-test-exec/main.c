// keyring-test-exec: runs a command in the conditions the session-unlock tests need.
//
//   keyring-test-exec [--new-session-keyring] [--deny-keyctl] -- COMMAND [ARG...]
//
// --new-session-keyring  joins a new anonymous session keyring first, as pam_keyinit does at
//                        login: COMMAND and its children are one "login session" of the kernel.
// --deny-keyctl          installs a seccomp filter that fails add_key, request_key and keyctl
//                        with EPERM, as Docker's default seccomp profile does, so COMMAND runs
//                        as in a container where the kernel keyring is unavailable.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int deny_keyctl(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_add_key, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_request_key, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_keyctl, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
    };
    struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0);
}

int main(int argc, char **argv) {
    int index = 1;
    for (; index < argc && strcmp(argv[index], "--") != 0; index++) {
        if (strcmp(argv[index], "--new-session-keyring") == 0) {
            if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0) {
                perror("keyring-test-exec: keyctl(JOIN_SESSION_KEYRING)");
                return 125;
            }
        } else if (strcmp(argv[index], "--deny-keyctl") == 0) {
            if (deny_keyctl() != 0) {
                perror("keyring-test-exec: seccomp");
                return 125;
            }
        } else {
            fprintf(stderr, "keyring-test-exec: unknown option %s\n", argv[index]);
            return 125;
        }
    }
    if (index + 1 >= argc) {
        fprintf(stderr, "usage: keyring-test-exec [--new-session-keyring] [--deny-keyctl] -- COMMAND [ARG...]\n");
        return 125;
    }
    execvp(argv[index + 1], argv + index + 1);
    perror("keyring-test-exec: exec");
    return 126;
}
