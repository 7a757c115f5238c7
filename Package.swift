// swift-tools-version: 6.1
import PackageDescription

/// When the keyring tool is a static executable (its linker settings, CKeyringStaticLink).
let staticLink = BuildSettingCondition.when(platforms: [.linux], configuration: .release)

let package = Package(
    name: "swift-keyring",
    products: [
        // The API: Keyring, KeyringBackend and the backends, SecureBytes and Secret (re-exported
        // from KeyringSystem). The lower layers are products too, for programs that talk to the
        // Secret Service or D-Bus directly.
        .library(name: "KeyringKit", targets: ["KeyringKit"]),
        .library(name: "KeyringSecretService", targets: ["KeyringSecretService"]),
        .library(name: "KeyringDBus", targets: ["KeyringDBus"]),
        .executable(name: "keyring", targets: ["keyring"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
    ],
    targets: [
        // C shims: module.modulemap + shim.h, nothing else. Prefixed: not API, and `CDBus` is taken.
        .systemLibrary(
            name: "CKeyringDBus",
            pkgConfig: "dbus-1",
            providers: [.apt(["libdbus-1-dev"])]
        ),
        .systemLibrary(
            name: "CKeyringSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),

        // Layers, each on the ones below:
        //   KeyringSystem         secret memory, libsodium, process protection, threads, display text
        //   KeyringDBus           the D-Bus connection over libdbus
        //   KeyringDH             the constant-time 1024-bit Diffie-Hellman arithmetic
        //   KeyringSecretService  the Secret Service client
        //   KeyringKit            Keyring and its backends
        //   keyring               the command-line tool
        .target(name: "KeyringSystem", dependencies: ["CKeyringSodium"]),
        .target(name: "KeyringDBus", dependencies: ["CKeyringDBus", "KeyringSystem"]),
        .target(name: "KeyringDH", dependencies: ["KeyringSystem"]),
        .target(
            name: "KeyringSecretService",
            dependencies: [
                "KeyringDBus", "KeyringDH", "KeyringSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "KeyringKit", dependencies: ["KeyringSecretService", "KeyringSystem"]),
        .executableTarget(
            name: "keyring",
            dependencies: [
                "KeyringKit", "CKeyringStaticLink",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Start-up time is the product (docs/cli.md, "Speed"). The release keyring is a static
            // executable: the Swift runtime, libdbus, libsodium, libstdc++ and glibc are linked in,
            // so the loader maps and relocates nothing (libdbus-1.so alone brought in libsystemd and
            // six more libraries: 2 ms of a 5 ms `keyring get`; glibc's loader 0.5 ms more). Nothing
            // links full Foundation (ICU): only FoundationEssentials, which swift-crypto 4 also uses.
            // lld, because gold warns on every build that glibc's user-database functions (the
            // HOME fallback's getpwuid, libdbus's) load NSS modules at run time; they still work,
            // from the glibc the binary was built against.
            linkerSettings: [.unsafeFlags([
                "-static-executable", "-l_FoundationCShims", "-l_FoundationCollections", "-use-ld=lld",
            ], staticLink)]
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
        .executableTarget(name: "keyring-bench", dependencies: ["KeyringKit", "KeyringSecretService", "KeyringDBus", "KeyringDH"]),

        // Tests. `<Module>Tests` need no bus and no daemon (scripts/test --quick runs only them);
        // `<Module>IntegrationTests` and KeyringCLITests start private buses and real daemons.
        .target(
            name: "TestSupport", dependencies: ["KeyringKit", "KeyringDBus", "KeyringSecretService", "KeyringDH", "KeyringSystem"], path: "Tests/TestSupport"),
        .testTarget(name: "KeyringSystemTests", dependencies: ["KeyringSystem", "TestSupport"]),
        .testTarget(name: "KeyringDHTests", dependencies: ["KeyringDH", "KeyringSecretService", "KeyringSystem", "TestSupport"]),
        .testTarget(name: "KeyringDBusTests", dependencies: ["KeyringDBus", "TestSupport"]),
        .testTarget(name: "KeyringSecretServiceTests", dependencies: ["KeyringSecretService", "KeyringDH", "KeyringSystem", "TestSupport"]),
        .testTarget(name: "KeyringKitTests", dependencies: ["KeyringSystem", "KeyringKit", "KeyringSecretService", "TestSupport"]),
        .testTarget(name: "KeyringDBusIntegrationTests", dependencies: ["KeyringDBus", "TestSupport"]),
        .testTarget(
            name: "KeyringSecretServiceIntegrationTests",
            dependencies: ["KeyringSecretService", "KeyringDBus", "KeyringDH", "KeyringSystem", "TestSupport"]),
        .testTarget(name: "KeyringKitIntegrationTests", dependencies: ["KeyringSystem", "KeyringKit", "KeyringSecretService", "TestSupport"]),
        // A child process for KeyringKit's kill-and-concurrency tests; found next to the test bundle.
        .executableTarget(
            name: "keyring-file-stress", dependencies: ["KeyringKit"], path: "Tests/keyring-file-stress"),
        .testTarget(name: "KeyringCLITests", dependencies: ["KeyringSystem", "KeyringKit", "KeyringSecretService", "KeyringDBus", "TestSupport"]),
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
