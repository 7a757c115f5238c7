// The test vectors for dh-ietf1024-sha256-aes128-cbc-pkcs7 (one with a leading-zero shared secret,
// docs/secret-service-protocol.md), a resource of this test target
// (Resources/dh-ietf1024-sha256-aes128-cbc-pkcs7.txt), checked field by field.

import Foundation
@testable import KeyringDH
import KeyringSystem
import TestSupport
import KeyringSecretService
import Testing

/// One `## NAME` section of the vector file: its `key = value` lines.
struct SessionVector: CustomStringConvertible {
    var name: String
    var fields: [String: String]
    var description: String { name }

    /// The field's value decoded from hex; records a failure and returns nil when missing or bad.
    func hex(_ key: String, sourceLocation: SourceLocation = #_sourceLocation) -> [UInt8]? {
        guard let text = fields[key] else {
            Issue.record("\(name): missing field \(key)", sourceLocation: sourceLocation)
            return nil
        }
        guard let value = bytes(fromHex: text) else {
            Issue.record("\(name): \(key) is not hex", sourceLocation: sourceLocation)
            return nil
        }
        return value
    }
}

/// The vector file in the test target's resource bundle, or `nil` when the bundle lacks it.
func sessionVectorFileURL() -> URL? {
    Bundle.module.url(forResource: "dh-ietf1024-sha256-aes128-cbc-pkcs7", withExtension: "txt")
}

/// Parses `## NAME` sections of `key = value` lines; `#` lines are comments.
func parseSessionVectors(_ text: String) -> [SessionVector] {
    var vectors: [SessionVector] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("## ") {
            vectors.append(SessionVector(name: String(trimmed.dropFirst(3)), fields: [:]))
        } else if trimmed.hasPrefix("#") || trimmed.isEmpty {
            continue
        } else if let equals = trimmed.firstIndex(of: "="), !vectors.isEmpty {
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            vectors[vectors.count - 1].fields[key] = value
        }
    }
    return vectors
}

/// Decodes a Python bytes literal such as `b'hunter2'` (with `\\`, `\'`, `\n`, `\t`, `\xNN`).
func pythonBytesLiteral(_ literal: String) -> [UInt8]? {
    let singleQuoted = literal.hasPrefix("b'") && literal.hasSuffix("'")
    let doubleQuoted = literal.hasPrefix("b\"") && literal.hasSuffix("\"")
    guard literal.count >= 3, singleQuoted || doubleQuoted else { return nil }
    let body = Array(literal.utf8.dropFirst(2).dropLast())
    var out: [UInt8] = []
    var index = 0
    while index < body.count {
        let byte = body[index]
        guard byte == UInt8(ascii: "\\") else {
            out.append(byte)
            index += 1
            continue
        }
        guard index + 1 < body.count else { return nil }
        switch body[index + 1] {
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "'"): out.append(UInt8(ascii: "'"))
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "n"): out.append(0x0a)
        case UInt8(ascii: "r"): out.append(0x0d)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "x"):
            guard index + 3 < body.count,
                let value = bytes(fromHex: String(decoding: body[(index + 2)...(index + 3)], as: UTF8.self))
            else { return nil }
            out.append(value[0])
            index += 2
        default: return nil
        }
        index += 2
    }
    return out
}

@Suite("dh-ietf1024-sha256-aes128-cbc-pkcs7 test vectors")
struct DHVectorTests {
    /// Every field the file uses; an unknown field fails the test rather than going unchecked.
    static let knownFields: Set<String> = [
        "client_priv", "server_priv", "client_pub(128B)", "server_pub(128B)", "shared(128B)",
        "shared_leading_zero_bytes", "aes_key", "aes_key_if_NOT_padded (WRONG)", "iv", "plaintext",
        "ciphertext",
    ]

    func loadVectors() throws -> [SessionVector] {
        let url = try #require(
            sessionVectorFileURL(), "the test bundle has no dh-ietf1024-sha256-aes128-cbc-pkcs7.txt resource")
        let text = try #require(
            try? String(contentsOf: url, encoding: .utf8), "cannot read the vector file at \(url.path)")
        return parseSessionVectors(text)
    }

    @Test("the file holds vectors, one of them with a leading-zero shared secret")
    func fileHasTheLeadingZeroCase() throws {
        let vectors = try loadVectors()
        #expect(vectors.count >= 2)
        #expect(vectors.contains { ($0.hex("shared(128B)")?.first ?? 1) == 0 })
        for vector in vectors {
            let unknown = Set(vector.fields.keys).subtracting(Self.knownFields)
            #expect(unknown.isEmpty, "\(vector.name): fields this test does not check: \(unknown.sorted())")
        }
    }

    @Test("every field of every vector")
    func everyField() throws {
        let vectors = try loadVectors()
        try #require(!vectors.isEmpty)
        for vector in vectors {
            try check(vector)
        }
    }

    func check(_ vector: SessionVector) throws {
        let group = DHGroup.ietf1024
        let name = vector.name
        guard let clientPrivate = vector.hex("client_priv"), let serverPrivate = vector.hex("server_priv"),
            let clientPublic = vector.hex("client_pub(128B)"), let serverPublic = vector.hex("server_pub(128B)"),
            let shared = vector.hex("shared(128B)"), let aesKey = vector.hex("aes_key"),
            let iv = vector.hex("iv"), let ciphertext = vector.hex("ciphertext")
        else { return }
        let leadingZeros = try #require(vector.fields["shared_leading_zero_bytes"].flatMap { Int($0) }, "\(name)")
        let plaintext = try #require(vector.fields["plaintext"].flatMap(pythonBytesLiteral), "\(name): plaintext")

        // Public keys: g^x mod p, exactly 128 bytes.
        let client = try DHKeyPair(group: group, privateKey: clientPrivate)
        let server = try DHKeyPair(group: group, privateKey: serverPrivate)
        #expect(client.publicKey.count == 128, "\(name)")
        #expect(client.publicKey == clientPublic, "\(name): client public key")
        #expect(server.publicKey == serverPublic, "\(name): server public key")

        // Shared secret, from both sides, left-padded to 128 bytes.
        #expect(shared.count == 128, "\(name): the vector's shared secret")
        #expect(shared.prefix(while: { $0 == 0 }).count == leadingZeros, "\(name): shared_leading_zero_bytes")
        let clientShared = try client.sharedSecret(peerPublicKey: serverPublic)
        let serverShared = try server.sharedSecret(peerPublicKey: clientPublic)
        #expect(clientShared.count == 128, "\(name)")
        #expect(clientShared.unprotectedArray == shared, "\(name): client's shared secret")
        #expect(serverShared.unprotectedArray == shared, "\(name): server's shared secret")
        // A peer key sent without its leading zeros gives the same secret.
        let strippedShared = try client.sharedSecret(peerPublicKey: strippingLeadingZeros(serverPublic))
        #expect(strippedShared.unprotectedArray == shared, "\(name): stripped peer key")

        // HKDF-SHA256 of the padded secret.
        let key = SessionKey(sharedSecret: clientShared)
        #expect(key.keyBytes.unprotectedArray == aesKey, "\(name): aes_key")
        if let wrongText = vector.fields["aes_key_if_NOT_padded (WRONG)"] {
            let wrong = try #require(bytes(fromHex: wrongText))
            let unpadded = SessionKey(sharedSecret: SecureBytes(strippingLeadingZeros(shared)))
            #expect(unpadded.keyBytes.unprotectedArray == wrong, "\(name): the documented wrong key")
            #expect(wrong != aesKey, "\(name): padding must change the key")
        }

        // AES-128-CBC with PKCS#7, both ways.
        let encrypted = try plaintext.withUnsafeBytes { try key.encrypt($0, iv: iv) }
        #expect(encrypted == ciphertext, "\(name): ciphertext")
        let decrypted = try key.decrypt(iv: iv, ciphertext: ciphertext)
        #expect(decrypted.unprotectedArray == plaintext, "\(name): decrypted plaintext")
    }
}
