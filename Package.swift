// swift-tools-version: 6.1
import PackageDescription

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
                "KeyringKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Start-up time is the product (docs/cli.md, "Speed"). A statically linked Swift
            // runtime halves the time of `keyring get`. Nothing links full Foundation (ICU): only
            // FoundationEssentials, which swift-crypto 4 also uses. A position-dependent
            // executable has no 50,000 pointers for the loader to relocate, and one that exports
            // no symbols keeps the runtime's start-up `dladdr` from scanning 10,000 of them:
            // together about 1.3 ms of every run.
            linkerSettings: [.unsafeFlags([
                "-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections",
                "-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic",
            ], .when(configuration: .release))]
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
        .testTarget(name: "KeyringCLITests", dependencies: ["KeyringKit", "TestSupport"]),
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
