// The session's Diffie-Hellman arithmetic on its own (no D-Bus): the key pair (g^x mod p) and
// the shared secret (y^x mod p) for the 1024-bit group, full-size private exponents.

import KeyringDH

enum DHBench {
    /// `keyring-bench dh --count N`: median microseconds of each exponentiation over N runs.
    static func run(count: Int) {
        let group = DHGroup.ietf1024
        let peer = DHKeyPair(group: group)
        var keyPairTimes: [Double] = []
        var sharedTimes: [Double] = []
        for _ in 0..<max(count, 10) {
            var pair: DHKeyPair?
            keyPairTimes.append(SecretServiceBench.seconds(ContinuousClock().measure { pair = DHKeyPair(group: group) }))
            let keyPair = pair!
            sharedTimes.append(
                SecretServiceBench.seconds(
                    ContinuousClock().measure {
                        _ = keyPair.sharedSecret(checkedPeerPublicKey: peer.publicKey)
                    }))
        }
        print(
            "dh_key_pair_us: \(SecretServiceBench.format(SecretServiceBench.median(keyPairTimes) * 1e6))  (g^x mod p, 1024-bit x)"
        )
        print("dh_shared_secret_us: \(SecretServiceBench.format(SecretServiceBench.median(sharedTimes) * 1e6))  (y^x mod p)")
    }
}
