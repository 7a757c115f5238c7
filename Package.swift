// swift-tools-version: 6.1
import PackageDescription

/// When the keyring tool is a static executable (its linker settings, CStaticLink).
let staticLink = BuildSettingCondition.when(platforms: [.linux], configuration: .release)

let package = Package(
    name: "swift-keyring",
    products: [
        .library(name: "DBus", targets: ["DBus"]),
        .library(name: "SecretService", targets: ["SecretService"]),
        .library(name: "KeyringKit", targets: ["KeyringKit"]),
        .executable(name: "keyring", targets: ["keyring"]),
        .executable(name: "keyring-bench", targets: ["keyring-bench"]),
        .executable(name: "dbus-bench", targets: ["dbus-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
    ],
    targets: [
        // C shims: module.modulemap + shim.h, nothing else.
        .systemLibrary(
            name: "CDBus",
            pkgConfig: "dbus-1",
            providers: [.apt(["libdbus-1-dev"]), .brew(["dbus"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),

        // Layers: DBus -> SecretService -> KeyringKit -> keyring.
        .target(name: "DBus", dependencies: ["CDBus"]),
        .target(
            name: "SecretService",
            dependencies: [
                "DBus", "CSodium",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "KeyringKit", dependencies: ["SecretService"]),
        .executableTarget(
            name: "keyring",
            dependencies: [
                "KeyringKit", "SecretService", "CStaticLink",
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
        // which has no libsystemd.a to link (Sources/CStaticLink/sd-daemon.c). Debug builds,
        // tests and the other programs link libdbus-1.so, and through it libsystemd.
        .target(
            name: "CStaticLink",
            cSettings: [.define("KEYRING_STATIC_LIBDBUS", staticLink)]
        ),

        // Benchmarks, run with `swift run -c release`.
        .executableTarget(name: "dbus-bench", dependencies: ["DBus"]),
        .executableTarget(name: "keyring-bench", dependencies: ["KeyringKit", "SecretService", "DBus"]),

        // Tests.
        .target(name: "TestSupport", dependencies: ["DBus", "SecretService"], path: "Tests/TestSupport"),
        .testTarget(name: "DBusTests", dependencies: ["DBus", "TestSupport"]),
        .testTarget(name: "SecretServiceTests", dependencies: ["SecretService", "DBus", "TestSupport"]),
        .testTarget(name: "KeyringKitTests", dependencies: ["KeyringKit", "SecretService", "TestSupport"]),
        // A child process for KeyringKit's kill-and-concurrency tests; found next to the test bundle.
        .executableTarget(
            name: "keyring-file-stress", dependencies: ["KeyringKit", "SecretService"], path: "Tests/keyring-file-stress"),
        .testTarget(name: "KeyringCLITests", dependencies: ["KeyringKit", "SecretService", "DBus", "TestSupport"]),
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
