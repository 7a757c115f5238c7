#ifndef SWIFT_KEYRING_CDBUS_SHIM_H
#define SWIFT_KEYRING_CDBUS_SHIM_H

#include <dbus/dbus.h>
#include <sys/eventfd.h>

// Type codes and flags are macros that Swift cannot import (casts, character literals):
// re-declared here as constants.
static const int cdbus_type_invalid = DBUS_TYPE_INVALID;
static const int cdbus_type_byte = DBUS_TYPE_BYTE;
static const int cdbus_type_boolean = DBUS_TYPE_BOOLEAN;
static const int cdbus_type_int16 = DBUS_TYPE_INT16;
static const int cdbus_type_uint16 = DBUS_TYPE_UINT16;
static const int cdbus_type_int32 = DBUS_TYPE_INT32;
static const int cdbus_type_uint32 = DBUS_TYPE_UINT32;
static const int cdbus_type_int64 = DBUS_TYPE_INT64;
static const int cdbus_type_uint64 = DBUS_TYPE_UINT64;
static const int cdbus_type_double = DBUS_TYPE_DOUBLE;
static const int cdbus_type_string = DBUS_TYPE_STRING;
static const int cdbus_type_object_path = DBUS_TYPE_OBJECT_PATH;
static const int cdbus_type_signature = DBUS_TYPE_SIGNATURE;
static const int cdbus_type_unix_fd = DBUS_TYPE_UNIX_FD;
static const int cdbus_type_array = DBUS_TYPE_ARRAY;
static const int cdbus_type_variant = DBUS_TYPE_VARIANT;
static const int cdbus_type_struct = DBUS_TYPE_STRUCT;
static const int cdbus_type_dict_entry = DBUS_TYPE_DICT_ENTRY;

static const int cdbus_message_type_method_call = DBUS_MESSAGE_TYPE_METHOD_CALL;
static const int cdbus_message_type_method_return = DBUS_MESSAGE_TYPE_METHOD_RETURN;
static const int cdbus_message_type_error = DBUS_MESSAGE_TYPE_ERROR;
static const int cdbus_message_type_signal = DBUS_MESSAGE_TYPE_SIGNAL;

static const unsigned int cdbus_name_flag_allow_replacement = DBUS_NAME_FLAG_ALLOW_REPLACEMENT;
static const unsigned int cdbus_name_flag_replace_existing = DBUS_NAME_FLAG_REPLACE_EXISTING;
static const unsigned int cdbus_name_flag_do_not_queue = DBUS_NAME_FLAG_DO_NOT_QUEUE;

// The connection thread's wake-up descriptor (a non-blocking, close-on-exec eventfd).
static inline int cdbus_make_wakeup_fd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

#endif
