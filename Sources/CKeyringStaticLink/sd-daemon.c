// The two libsystemd functions that libdbus-1.a calls, for the release keyring, a static executable
// with no libsystemd.a to link (Package.swift, CKeyringStaticLink).
//
// libdbus calls them only in _dbus_listen_systemd_sockets, behind dbus_server_listen("systemd:"): a
// bus daemon started by systemd socket activation. A client never listens, so keyring never gets
// there; if it did, "no sockets were passed" is libsystemd's own answer outside socket activation,
// and dbus_server_listen would fail with an error.
//
// KEYRING_STATIC_LIBDBUS comes with the static link (release builds on Linux): debug builds and
// tests have no stubs, and their libdbus-1.so calls libsystemd. The stubs are hidden, so that no
// library loaded at run time (an NSS module, say) can bind to one instead of libsystemd.
#include "sd-daemon-stubs.h"

#ifdef KEYRING_STATIC_LIBDBUS

__attribute__((visibility("hidden")))
int sd_listen_fds(int unset_environment) {
    (void)unset_environment;
    return 0;
}

__attribute__((visibility("hidden")))
int sd_is_socket(int fd, int family, int type, int listening) {
    (void)fd, (void)family, (void)type, (void)listening;
    return 0;
}

#endif
