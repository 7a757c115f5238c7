// Conversion between libdbus messages and Swift values. Runs on a connection's thread.

internal import CKeyringDBus

enum LibDBusMessage {
    // MARK: Building

    /// A new libdbus message (owned by the caller, who must `dbus_message_unref` it).
    static func make(_ outgoing: OutgoingMessage) throws(DBusError) -> OpaquePointer {
        let typeCode: Int32
        switch outgoing.kind {
        case .methodCall: typeCode = cdbus_message_type_method_call
        case .methodReturn: typeCode = cdbus_message_type_method_return
        case .error: typeCode = cdbus_message_type_error
        case .signal: typeCode = cdbus_message_type_signal
        }
        guard let message = dbus_message_new(typeCode) else {
            throw DBusError(.invalidArgument, "out of memory building a D-Bus message")
        }
        var ok = true
        if let destination = outgoing.destination { ok = ok && dbus_message_set_destination(message, destination) != 0 }
        if let path = outgoing.path { ok = ok && dbus_message_set_path(message, path.rawValue) != 0 }
        if let interface = outgoing.interface { ok = ok && dbus_message_set_interface(message, interface) != 0 }
        if let member = outgoing.member { ok = ok && dbus_message_set_member(message, member) != 0 }
        if let errorName = outgoing.errorName { ok = ok && dbus_message_set_error_name(message, errorName) != 0 }
        if let replySerial = outgoing.replySerial { ok = ok && dbus_message_set_reply_serial(message, replySerial) != 0 }
        if outgoing.noReplyExpected || outgoing.kind != .methodCall { dbus_message_set_no_reply(message, 1) }
        if !outgoing.body.isEmpty {
            var iter = DBusMessageIter()
            dbus_message_iter_init_append(message, &iter)
            do {
                for value in outgoing.body { try append(value, to: &iter) }
            } catch {
                dbus_message_unref(message)
                throw error
            }
        }
        guard ok else {
            dbus_message_unref(message)
            throw DBusError(.invalidArgument, "could not set the header fields of \(outgoing.summary)")
        }
        return message
    }

    private static func check(_ result: dbus_bool_t) throws(DBusError) {
        if result == 0 { throw DBusError(.invalidArgument, "libdbus refused a value (out of memory)") }
    }

    private static func appendBasic<T>(_ iter: inout DBusMessageIter, _ type: Int32, _ value: T) throws(DBusError) {
        var copy = value
        try check(withUnsafePointer(to: &copy) { dbus_message_iter_append_basic(&iter, type, $0) })
    }

    private static func appendString(_ iter: inout DBusMessageIter, _ type: Int32, _ text: String) throws(DBusError) {
        let result = text.withCString { cString -> dbus_bool_t in
            var pointer: UnsafePointer<CChar>? = cString
            return dbus_message_iter_append_basic(&iter, type, &pointer)
        }
        try check(result)
    }

    private static func container(
        _ iter: inout DBusMessageIter, _ type: Int32, _ signature: String?,
        _ body: (inout DBusMessageIter) throws(DBusError) -> Void
    ) throws(DBusError) {
        var sub = DBusMessageIter()
        let opened: dbus_bool_t
        if let signature {
            opened = signature.withCString { dbus_message_iter_open_container(&iter, type, $0, &sub) }
        } else {
            opened = dbus_message_iter_open_container(&iter, type, nil, &sub)
        }
        try check(opened)
        do {
            try body(&sub)
        } catch {
            dbus_message_iter_abandon_container(&iter, &sub)
            throw error
        }
        try check(dbus_message_iter_close_container(&iter, &sub))
    }

    /// Appends one validated value.
    static func append(_ value: DBusValue, to iter: inout DBusMessageIter) throws(DBusError) {
        switch value {
        case .byte(let v): try appendBasic(&iter, cdbus_type_byte, v)
        case .boolean(let v): try appendBasic(&iter, cdbus_type_boolean, dbus_bool_t(v ? 1 : 0))
        case .int16(let v): try appendBasic(&iter, cdbus_type_int16, v)
        case .uint16(let v): try appendBasic(&iter, cdbus_type_uint16, v)
        case .int32(let v): try appendBasic(&iter, cdbus_type_int32, v)
        case .uint32(let v): try appendBasic(&iter, cdbus_type_uint32, v)
        case .int64(let v): try appendBasic(&iter, cdbus_type_int64, v)
        case .uint64(let v): try appendBasic(&iter, cdbus_type_uint64, v)
        case .double(let v): try appendBasic(&iter, cdbus_type_double, v)
        case .unixFD(let v): try appendBasic(&iter, cdbus_type_unix_fd, v)
        case .string(let v): try appendString(&iter, cdbus_type_string, v)
        case .objectPath(let v): try appendString(&iter, cdbus_type_object_path, v.rawValue)
        case .signature(let v): try appendString(&iter, cdbus_type_signature, v.rawValue)
        case .bytes(let bytes):
            try container(&iter, cdbus_type_array, "y") { sub throws(DBusError) in
                guard !bytes.isEmpty else { return }
                let result = bytes.withUnsafeBufferPointer { buffer -> dbus_bool_t in
                    var base: UnsafePointer<UInt8>? = buffer.baseAddress
                    return dbus_message_iter_append_fixed_array(&sub, cdbus_type_byte, &base, Int32(buffer.count))
                }
                try check(result)
            }
        case .array(let element, let items):
            try container(&iter, cdbus_type_array, element.signature) { sub throws(DBusError) in
                for item in items { try append(item, to: &sub) }
            }
        case .dictionary(let key, let valueType, let entries):
            let entrySignature = "{" + key.signature + valueType.signature + "}"
            try container(&iter, cdbus_type_array, entrySignature) { sub throws(DBusError) in
                for entry in entries {
                    try container(&sub, cdbus_type_dict_entry, nil) { pair throws(DBusError) in
                        try append(entry.key, to: &pair)
                        try append(entry.value, to: &pair)
                    }
                }
            }
        case .structure(let fields):
            try container(&iter, cdbus_type_struct, nil) { sub throws(DBusError) in
                for field in fields { try append(field, to: &sub) }
            }
        case .variant(let inner):
            try container(&iter, cdbus_type_variant, inner.type.signature) { sub throws(DBusError) in
                try append(inner, to: &sub)
            }
        }
    }

    // MARK: Reading

    /// Decodes header fields and body. libdbus has already validated the wire data.
    static func decode(_ message: OpaquePointer) throws(DBusError) -> DBusMessage {
        let kind: DBusMessage.Kind
        switch dbus_message_get_type(message) {
        case cdbus_message_type_method_call: kind = .methodCall
        case cdbus_message_type_method_return: kind = .methodReturn
        case cdbus_message_type_error: kind = .error
        default: kind = .signal
        }
        let signatureText = string(dbus_message_get_signature(message)) ?? ""
        let signature = try DBusSignature(signatureText)
        var body: [DBusValue] = []
        var iter = DBusMessageIter()
        if dbus_message_iter_init(message, &iter) != 0 {
            repeat {
                body.append(try read(&iter))
            } while dbus_message_iter_next(&iter) != 0
        }
        let replySerial = dbus_message_get_reply_serial(message)
        return DBusMessage(
            kind: kind,
            serial: dbus_message_get_serial(message),
            replySerial: replySerial == 0 ? nil : replySerial,
            sender: string(dbus_message_get_sender(message)),
            destination: string(dbus_message_get_destination(message)),
            path: string(dbus_message_get_path(message)).map(DBusObjectPath.init(unchecked:)),
            interface: string(dbus_message_get_interface(message)),
            member: string(dbus_message_get_member(message)),
            errorName: string(dbus_message_get_error_name(message)),
            noReplyExpected: dbus_message_get_no_reply(message) != 0,
            signature: signature,
            body: body)
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private static func readBasic<T>(_ iter: inout DBusMessageIter, _ initial: T) -> T {
        var value = initial
        withUnsafeMutablePointer(to: &value) { dbus_message_iter_get_basic(&iter, $0) }
        return value
    }

    private static func readString(_ iter: inout DBusMessageIter) -> String {
        var pointer: UnsafePointer<CChar>? = nil
        dbus_message_iter_get_basic(&iter, &pointer)
        return pointer.map { String(cString: $0) } ?? ""
    }

    /// The complete type at `iter`, from libdbus's signature for it.
    private static func currentType(_ iter: inout DBusMessageIter) throws(DBusError) -> DBusType {
        guard let cSignature = dbus_message_iter_get_signature(&iter) else {
            throw DBusError(.typeMismatch, "out of memory reading a signature")
        }
        defer { dbus_free(cSignature) }
        let types = try DBusType.parse(String(cString: cSignature))
        guard types.count == 1 else { throw DBusError(.typeMismatch, "malformed container signature") }
        return types[0]
    }

    /// Reads the value at `iter` (does not advance it).
    static func read(_ iter: inout DBusMessageIter) throws(DBusError) -> DBusValue {
        let type = dbus_message_iter_get_arg_type(&iter)
        switch type {
        case cdbus_type_byte: return .byte(readBasic(&iter, UInt8(0)))
        case cdbus_type_boolean: return .boolean(readBasic(&iter, dbus_bool_t(0)) != 0)
        case cdbus_type_int16: return .int16(readBasic(&iter, Int16(0)))
        case cdbus_type_uint16: return .uint16(readBasic(&iter, UInt16(0)))
        case cdbus_type_int32: return .int32(readBasic(&iter, Int32(0)))
        case cdbus_type_uint32: return .uint32(readBasic(&iter, UInt32(0)))
        case cdbus_type_int64: return .int64(readBasic(&iter, Int64(0)))
        case cdbus_type_uint64: return .uint64(readBasic(&iter, UInt64(0)))
        case cdbus_type_double: return .double(readBasic(&iter, Double(0)))
        case cdbus_type_unix_fd: return .unixFD(readBasic(&iter, Int32(-1)))
        case cdbus_type_string: return .string(readString(&iter))
        case cdbus_type_object_path: return .objectPath(DBusObjectPath(unchecked: readString(&iter)))
        case cdbus_type_signature: return .signature(try DBusSignature(readString(&iter)))
        case cdbus_type_variant:
            var sub = DBusMessageIter()
            dbus_message_iter_recurse(&iter, &sub)
            return .variant(try read(&sub))
        case cdbus_type_struct:
            var sub = DBusMessageIter()
            dbus_message_iter_recurse(&iter, &sub)
            var fields: [DBusValue] = []
            while dbus_message_iter_get_arg_type(&sub) != cdbus_type_invalid {
                fields.append(try read(&sub))
                dbus_message_iter_next(&sub)
            }
            return .structure(fields)
        case cdbus_type_array:
            let elementCode = dbus_message_iter_get_element_type(&iter)
            var sub = DBusMessageIter()
            dbus_message_iter_recurse(&iter, &sub)
            if elementCode == cdbus_type_byte {
                var base: UnsafePointer<UInt8>? = nil
                var count: Int32 = 0
                withUnsafeMutablePointer(to: &base) { dbus_message_iter_get_fixed_array(&sub, $0, &count) }
                guard let base, count > 0 else { return .bytes([]) }
                return .bytes(Array(UnsafeBufferPointer(start: base, count: Int(count))))
            }
            let arrayType = try currentType(&iter)
            if case .dictionary(let keyType, let valueType) = arrayType {
                var entries: [DBusDictionaryEntry] = []
                while dbus_message_iter_get_arg_type(&sub) == cdbus_type_dict_entry {
                    var pair = DBusMessageIter()
                    dbus_message_iter_recurse(&sub, &pair)
                    let key = try read(&pair)
                    dbus_message_iter_next(&pair)
                    let value = try read(&pair)
                    entries.append(DBusDictionaryEntry(key: key, value: value))
                    dbus_message_iter_next(&sub)
                }
                return .dictionary(key: keyType, value: valueType, entries)
            }
            guard case .array(let elementType) = arrayType else {
                throw DBusError(.typeMismatch, "array with a non-array signature")
            }
            var items: [DBusValue] = []
            while dbus_message_iter_get_arg_type(&sub) != cdbus_type_invalid {
                items.append(try read(&sub))
                dbus_message_iter_next(&sub)
            }
            return .array(elementType, items)
        default:
            throw DBusError(.typeMismatch, "unsupported D-Bus type code \(type)")
        }
    }
}
