internal import KeyringKit

#if OpenBao
internal import KeyringOpenBao
#endif

/// The backends this build adds to KeyringKit's built-in ones, by name: `openbao` (also
/// `vault`) when built with the `OpenBao` trait, none otherwise.
enum BackendProviders {
    static let all: [BackendProvider] = {
        #if OpenBao
        [OpenBaoBackend.provider]
        #else
        []
        #endif
    }()

    /// The provider a name (`-b NAME`) chooses, or `nil`.
    static func provider(named name: String) -> BackendProvider? {
        all.first { $0.answers(to: name.lowercased()) }
    }
}
