#!/usr/bin/python3
# Runs libsecret's own test double of the Secret Service (libsecret/mock/service.py from the
# Debian source package, fetched by dbus-fixtures/fetch-libsecret-mock) and makes it own
# org.freedesktop.secrets on the session bus.
#
#   libsecret-mock.py MOCK_PARENT_DIR
#
# MOCK_PARENT_DIR is the directory that holds the mock/ package (libsecret-0.20.5/libsecret).
# Instead of libsecret's test fixtures (collections full of numbered items), it starts with what
# a fresh keyring has: an empty unlocked collection `default` (alias default) and a second empty
# unlocked collection `second`. Everything stays in memory: a restart starts empty again.
import sys

mock_parent = sys.argv[1]
sys.argv = sys.argv[:1]  # mock/service.py reads its own options from sys.argv
sys.path.insert(0, mock_parent)

import dbus  # noqa: E402  (python3-dbus)
import mock  # noqa: E402  (libsecret's mock/ package)

service = mock.SecretService()
default = mock.SecretCollection(service, "default", label="Default keyring", locked=False)
service.set_alias("default", default)
mock.SecretCollection(service, "second", label="Second keyring", locked=False)
# Fails (and exits) when another process owns the name already.
name = dbus.service.BusName("org.freedesktop.secrets", service.bus, do_not_queue=True)
service.listen()
