// The two libsystemd functions that libdbus-1.a calls, for the release keyring, which links libdbus
// statically and so loads no libsystemd (Package.swift, CStaticLink).
//
// libdbus calls them only in _dbus_listen_systemd_sockets, behind dbus_server_listen("systemd:"): a
// bus daemon started by systemd socket activation. A client never listens, so keyring never gets
// there; if it did, "no sockets were passed" is libsystemd's own answer outside socket activation,
// and dbus_server_listen would fail with an error.
//
// KEYRING_STATIC_LIBDBUS comes with the static link (release builds on Linux): debug builds and
// tests have no stubs, and their libdbus-1.so calls libsystemd. The stubs are also hidden: they
// stay out of the dynamic symbol table and serve only the static libdbus linked beside them. So a
// release keyring that falls back to libdbus-1.so (Package.swift, headersOnly) still reaches
// libsystemd, and no library loaded at run time (an NSS module, say) can bind to a stub instead of
// libsystemd.
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
