/* Baseline for dbus-bench: the same sequential Peer.Ping loop written in C directly against
 * libdbus (blocking send_with_reply_and_block), the way a plain C client would do it.
 * Built and run by scripts/bench-dbus; not part of the package. */
#include <dbus/dbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 5000;
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    DBusError error;
    dbus_error_init(&error);
    DBusConnection *connection = dbus_bus_get_private(DBUS_BUS_SESSION, &error);
    if (!connection) {
        fprintf(stderr, "connect: %s\n", error.message);
        return 1;
    }
    double rates[64];
    if (rounds > 64) rounds = 64;
    for (int round = -1; round < rounds; round++) {
        int n = round < 0 ? 200 : count; /* round -1 warms up */
        double start = now();
        for (int i = 0; i < n; i++) {
            DBusMessage *call = dbus_message_new_method_call(
                "org.freedesktop.secrets", "/org/freedesktop/secrets", "org.freedesktop.DBus.Peer", "Ping");
            DBusMessage *reply = dbus_connection_send_with_reply_and_block(connection, call, 25000, &error);
            dbus_message_unref(call);
            if (!reply) {
                fprintf(stderr, "ping: %s\n", error.message);
                return 1;
            }
            dbus_message_unref(reply);
        }
        if (round >= 0) rates[round] = n / (now() - start);
    }
    /* median */
    for (int i = 0; i < rounds; i++)
        for (int j = i + 1; j < rounds; j++)
            if (rates[j] < rates[i]) { double t = rates[i]; rates[i] = rates[j]; rates[j] = t; }
    printf("c_libdbus_sequential_pings_per_second: %d\n", (int)rates[rounds / 2]);
    dbus_connection_close(connection);
    dbus_connection_unref(connection);
    return 0;
}
