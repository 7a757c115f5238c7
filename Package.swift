// swift-tools-version: 6.1
import PackageDescription

/// When the keyring tool is a static executable (its linker settings, CKeyringStaticLink).
let staticLink = BuildSettingCondition.when(platforms: [.linux], configuration: .release)
/// Only with the `OpenBao` trait (the OpenBao backend and its HTTP client).
let openBao = TargetDependencyCondition.when(traits: ["OpenBao"])

let package = Package(
    name: "swift-keyring",
    products: [
        // What programs depend on: `Keyring` and its backends, with `Secret` and `SecureBytes`
        // re-exported from KeyringSystem (one import). The Secret Service client and the D-Bus
        // layer are products too, for programs that talk to them directly (and to name
        // `SecretServiceClient` for `SecretServiceBackend(client:)`).
        .library(name: "KeyringKit", targets: ["KeyringKit"]),
        .library(name: "KeyringSecretService", targets: ["KeyringSecretService"]),
        .library(name: "KeyringDBus", targets: ["KeyringDBus"]),
        .executable(name: "keyring", targets: ["keyring"]),
        // The OpenBao / Vault backend (the `OpenBao` trait): `OpenBaoBackend`, and
        // `OpenBaoBackend.provider` to hand to `BackendSelection`. Without the trait it is empty
        // and its HTTP client is neither fetched nor built.
        .library(name: "KeyringOpenBao", targets: ["KeyringOpenBao"]),
        // The benchmarks (dbus-bench, keyring-bench) are executable targets without products:
        // `swift build --product NAME` and `swift run NAME` work for them here, in the root
        // package, and a package that depends on this one never sees them.
    ],
    traits: [
        .trait(
            name: "OpenBao",
            description: "The OpenBao / Vault backend (KeyringOpenBao) and `keyring -b openbao`, with its HTTP client"),
        // Off unless asked for (`--traits OpenBao`, or `traits: ["OpenBao"]` on a package's
        // dependency line): the HTTP client is about 20 packages and ten minutes of building.
        .default(enabledTraits: []),
    ],
    dependencies: [
        // Ranges, so that a program that also depends on these resolves one version they all
        // accept. swift-crypto 3.12.3 and 4.x both build (KeyringKit's consumers, checked with each);
        // its AES-CBC comes from the `_CryptoExtras` product, which both have. With nothing else
        // asking, the newest (4.x) is chosen, which needs only FoundationEssentials: with 3.x the
        // static `keyring` links full Foundation and ICU, about twice the size (README,
        // "Dependencies").
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // `swift package generate-documentation --target KeyringKit` (KeyringKit.docc); a plugin,
        // so nothing of it is built into the libraries or the tool.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
        // The OpenBao backend's HTTP client (HTTP/1.1 and 2, TLS from BoringSSL, no Foundation).
        // Only with the `OpenBao` trait: every use below is `.when(traits: ["OpenBao"])`, so
        // without it nothing of these is fetched, resolved or built.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // C shims: module.modulemap + shim.h, nothing else. Prefixed: not API, and `CDBus` is taken.
        .systemLibrary(
            name: "CKeyringDBus",
            pkgConfig: "dbus-1",
            providers: [.apt(["libdbus-1-dev"])]
        ),
        // prctl, add_key/keyctl and SO_PEERCRED, which Swift cannot call directly (no library).
        .systemLibrary(name: "CKeyringSystem"),
        .systemLibrary(
            name: "CKeyringSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),

        // Layers, each on the ones below:
        //   KeyringSystem         secret memory, libsodium, process protection, the kernel keyring,
        //                         local sockets, threads, display text
        //   KeyringDBus           the D-Bus connection over libdbus
        //   KeyringDH             the constant-time 1024-bit Diffie-Hellman arithmetic
        //   KeyringSecretService  the Secret Service client
        //   KeyringKit            Keyring and its backends
        //   keyring               the command-line tool
        .target(name: "KeyringSystem", dependencies: ["CKeyringSodium", "CKeyringSystem"]),
        .target(name: "KeyringDBus", dependencies: ["CKeyringDBus", "KeyringSystem"]),
        .target(name: "KeyringDH", dependencies: ["KeyringSystem"]),
        .target(
            name: "KeyringSecretService",
            dependencies: [
                "KeyringDBus", "KeyringDH", "KeyringSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                // `_CryptoExtras`: the name both 3.x and 4.x have (4.x renamed it CryptoExtras
                // and kept the old name as a re-export).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "KeyringKit", dependencies: ["KeyringSecretService", "KeyringSystem"]),
        // Beside KeyringKit, not under it: KeyringKit knows nothing of it, and programs add it to
        // a BackendSelection (`OpenBaoBackend.provider`). Its sources are all `#if OpenBao`.
        .target(
            name: "KeyringOpenBao",
            dependencies: [
                "KeyringKit", "KeyringSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client", condition: openBao),
                .product(name: "NIOCore", package: "swift-nio", condition: openBao),
                .product(name: "NIOHTTP1", package: "swift-nio", condition: openBao),
                .product(name: "NIOPosix", package: "swift-nio", condition: openBao),
                .product(name: "NIOSSL", package: "swift-nio-ssl", condition: openBao),
            ]),
        .executableTarget(
            name: "keyring",
            dependencies: [
                "KeyringKit", "CKeyringStaticLink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .target(name: "KeyringOpenBao", condition: openBao),
            ],
            // Start-up time is the product (docs/cli.md, "Speed"). The release keyring is a static
            // executable: the Swift runtime, libdbus, libsodium, libstdc++ and glibc are linked in,
            // so the loader maps and relocates nothing (libdbus-1.so alone brought in libsystemd and
            // six more libraries: 2 ms of a 5 ms `keyring get`; glibc's loader 0.5 ms more). Nothing
            // links full Foundation (ICU): only FoundationEssentials, which swift-crypto 4 also uses.
            // lld, because gold warns on every build that glibc's user-database functions (the
            // HOME fallback's getpwuid, libdbus's) load NSS modules at run time; they still work,
            // from the glibc the binary was built against.
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-executable", "-l_FoundationCShims", "-l_FoundationCollections", "-use-ld=lld",
                    ], staticLink)
            ]
        ),

        // The two libsystemd functions that libdbus-1.a calls, stubbed for the static keyring,
        // which has no libsystemd.a to link (Sources/CKeyringStaticLink/sd-daemon.c). Debug builds,
        // tests and the other programs link libdbus-1.so, and through it libsystemd.
        .target(
            name: "CKeyringStaticLink",
            cSettings: [.define("KEYRING_STATIC_LIBDBUS", staticLink)]
        ),

        // Benchmarks, run with `swift run -c release`.
        .executableTarget(name: "dbus-bench", dependencies: ["KeyringDBus"]),
        .executableTarget(
            name: "keyring-bench", dependencies: ["KeyringKit", "KeyringSecretService", "KeyringDBus", "KeyringDH"]),

        // Tests. `<Module>Tests` need no bus and no daemon (scripts/test --quick runs only them);
        // `<Module>IntegrationTests` and KeyringCLITests start private buses and real daemons.
        .target(
            name: "TestSupport",
            dependencies: [
                "KeyringKit", "KeyringDBus", "KeyringSecretService", "KeyringDH", "KeyringSystem",
                .target(name: "KeyringOpenBao", condition: openBao),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "KeyringSystemTests", dependencies: ["KeyringSystem", "TestSupport"]),
        .testTarget(
            name: "KeyringDHTests", dependencies: ["KeyringDH", "KeyringSecretService", "KeyringSystem", "TestSupport"],
            resources: [.copy("Resources/dh-ietf1024-sha256-aes128-cbc-pkcs7.txt")]),
        .testTarget(name: "KeyringDBusTests", dependencies: ["KeyringDBus", "TestSupport"]),
        .testTarget(
            name: "KeyringSecretServiceTests",
            dependencies: ["KeyringSecretService", "KeyringDH", "KeyringSystem", "TestSupport"]),
        .testTarget(
            name: "KeyringKitTests", dependencies: ["KeyringSystem", "KeyringKit", "KeyringSecretService", "TestSupport"]),
        .testTarget(name: "KeyringDBusIntegrationTests", dependencies: ["KeyringDBus", "TestSupport"]),
        .testTarget(
            name: "KeyringSecretServiceIntegrationTests",
            dependencies: ["KeyringSecretService", "KeyringDBus", "KeyringDH", "KeyringSystem", "TestSupport"]),
        .testTarget(
            name: "KeyringKitIntegrationTests",
            dependencies: [
                "KeyringSystem", "KeyringKit", "KeyringSecretService", "TestSupport",
                // The conformance suite runs against a real OpenBao too, with the trait.
                .target(name: "KeyringOpenBao", condition: openBao),
            ]),
        // The OpenBao backend: no server needed (KeyringOpenBaoTests), and against real `bao`
        // servers (KeyringOpenBaoIntegrationTests, scripts/test-openbao). Empty without the trait.
        .testTarget(
            name: "KeyringOpenBaoTests",
            dependencies: ["KeyringKit", "KeyringSystem", .target(name: "KeyringOpenBao", condition: openBao)]),
        .testTarget(
            name: "KeyringOpenBaoIntegrationTests",
            dependencies: [
                "KeyringKit", "KeyringSystem", "TestSupport", .target(name: "KeyringOpenBao", condition: openBao),
            ]),
        // A child process for KeyringKit's kill-and-concurrency tests; found next to the test bundle.
        .executableTarget(
            name: "keyring-file-stress", dependencies: ["KeyringKit"], path: "Tests/keyring-file-stress"),
        // Runs a command in a new session keyring, or with the kernel keyring calls refused by
        // seccomp as in a container (the session-unlock tests); found next to the test bundle.
        .executableTarget(name: "keyring-test-exec", path: "Tests/keyring-test-exec"),
        .testTarget(
            name: "KeyringCLITests",
            dependencies: ["KeyringSystem", "KeyringKit", "KeyringSecretService", "KeyringDBus", "TestSupport"]),
    ]
)

// One settings array for every target.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
}
