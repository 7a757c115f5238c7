#ifndef SWIFT_KEYRING_SD_DAEMON_STUBS_H
#define SWIFT_KEYRING_SD_DAEMON_STUBS_H

// The declarations in <systemd/sd-daemon.h> of the functions sd-daemon.c stands in for. Nothing in
// Swift calls them; the header is here because SwiftPM wants one in a C target.
int sd_listen_fds(int unset_environment);
int sd_is_socket(int fd, int family, int type, int listening);

#endif
