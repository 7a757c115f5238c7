#ifndef SWIFT_KEYRING_CSODIUM_SHIM_H
#define SWIFT_KEYRING_CSODIUM_SHIM_H
#include <sodium.h>
#endif
