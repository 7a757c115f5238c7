import Foundation
import KeyringKit
import TestSupport

#if OpenBao
import KeyringOpenBao

extension BackendFixture {
    /// A real `bao server -dev` (one for the suite, TestSupport's BaoServer), each instance
    /// under a prefix of its own; the default keyring is the KV mount `secret`.
    static let openBao = BackendFixture(
        name: "openbao", isReadOnly: false, supportsBinary: true, supportsKeyrings: false,
        make: { seed in
            let server = try await BaoServer.shared()
            let prefix = BackendSetting(key: "prefix", value: "conformance/\(UUID().uuidString)", origin: "the fixture")
            let backend = try OpenBaoBackend(environment: server.environment(), settings: [prefix])
            for entry in seed {
                try await backend.set(entry.secret, service: entry.service, account: entry.account, keyring: nil, label: nil)
            }
            return FixtureInstance(backend: backend, resources: [server])
        },
        listedAccount: { $0 }, defaultKeyringName: "secret")

    /// The fixtures of backends built only with a package trait.
    static let withTraits: [BackendFixture] = [.openBao]
}
#else
extension BackendFixture {
    /// The fixtures of backends built only with a package trait: none in this build.
    static let withTraits: [BackendFixture] = []
}
#endif
