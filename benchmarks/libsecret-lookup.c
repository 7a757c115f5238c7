/* Baseline for `keyring-bench lookup`: the same sequential lookup through libsecret's
 * secret_password_lookup_sync, on the same daemon and entry. Built and run by
 * scripts/bench-keyring; not part of the package. */
#include <libsecret/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const SecretSchema schema = {
    "org.swiftkeyring.Bench", SECRET_SCHEMA_DONT_MATCH_NAME,
    { { "bench", SECRET_SCHEMA_ATTRIBUTE_STRING }, { "service", SECRET_SCHEMA_ATTRIBUTE_STRING }, { NULL, 0 } }
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 1000;
    GError *error = NULL;
    for (int i = 0; i < 50; i++) { /* warm up: connects and opens the session */
        gchar *value = secret_password_lookup_sync(&schema, NULL, &error, "bench", "lookup", "service", "keyring-bench", NULL);
        if (!value) { fprintf(stderr, "lookup failed: %s\n", error ? error->message : "not found"); return 1; }
        secret_password_free(value);
    }
    double start = now();
    for (int i = 0; i < count; i++) {
        gchar *value = secret_password_lookup_sync(&schema, NULL, &error, "bench", "lookup", "service", "keyring-bench", NULL);
        if (!value) { fprintf(stderr, "lookup failed\n"); return 1; }
        secret_password_free(value);
    }
    printf("libsecret_lookups_per_second: %d\n", (int)(count / (now() - start)));
    return 0;
}
