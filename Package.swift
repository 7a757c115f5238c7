// swift-tools-version: 6.1
import PackageDescription

/// When the keyring tool links libdbus, libsodium and libstdc++ statically (CStaticLink).
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
        // C shims: module.modulemap + shim.h, nothing else; a .pc gives their compiler flags.
        .systemLibrary(
            name: "CDBus",
            pkgConfig: headersOnly("CDBus", else: "dbus-1"),
            providers: [.apt(["libdbus-1-dev"]), .brew(["dbus"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: headersOnly("CSodium", else: "libsodium"),
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
                "KeyringKit", "CStaticLink",
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

        // The release keyring links libdbus, libsodium and libstdc++ statically: libdbus-1.so alone
        // brings in libsystemd and six more libraries, and loading them all took about 2 ms of a
        // 5 ms `keyring get` (docs/cli.md, "Speed"). The module maps and the Swift runtime ask for
        // -ldbus-1, -lsodium and -lstdc++; lib/ holds linker scripts of those names that point at
        // the .a files, and this -L puts them ahead of the linker's default path (nothing else
        // comes first: see Sources/CDBus/CDBus.pc). sd-daemon.c stands in for the two libsystemd
        // functions that libdbus-1.a needs. Debug builds, tests and the other programs link
        // dynamically.
        .target(
            name: "CStaticLink",
            exclude: ["lib"],
            cSettings: [.define("KEYRING_STATIC_LIBDBUS", staticLink)],
            linkerSettings: [
                .unsafeFlags(["-L", Context.packageDirectory + "/Sources/CStaticLink/lib"], staticLink),
            ]
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

/// The pkg-config file beside a C module's module map: the system library's compiler flags without
/// its link flags (Sources/CDBus/CDBus.pc). SwiftPM splits `pkgConfig` at spaces, so a checkout
/// whose path has one uses the system file instead, whose -L makes its keyring link libdbus and
/// libsodium dynamically.
func headersOnly(_ module: String, else system: String) -> String {
    let file = "\(Context.packageDirectory)/Sources/\(module)/\(module).pc"
    return file.contains(" ") ? system : file
}
