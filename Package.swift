// swift-tools-version: 6.1
import PackageDescription

/// When the keyring tool is a static executable (its linker settings, CStaticLink).
let staticLink = BuildSettingCondition.when(platforms: [.linux], configuration: .release)

let package = Package(
    name: "swift-keyring",
    products: [
        // What programs depend on: `Keyring` and its backends. Its API uses `Secret`, `SecureBytes`
        // and `SecretServiceClient` from SecretService, which uses `DBusConnection` from DBus, so
        // those two layers are products too (README, "Using it from a Swift package").
        .library(name: "KeyringKit", targets: ["KeyringKit"]),
        .library(name: "SecretService", targets: ["SecretService"]),
        .library(name: "DBus", targets: ["DBus"]),
        .executable(name: "keyring", targets: ["keyring"]),
        // The benchmarks (dbus-bench, keyring-bench) are executable targets without products:
        // `swift build --product NAME` and `swift run NAME` work for them here, in the root
        // package, and a package that depends on this one never sees them.
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
    ],
    targets: [
        // C shims: module.modulemap + shim.h, nothing else.
        .systemLibrary(
            name: "CDBus",
            pkgConfig: "dbus-1",
            providers: [.apt(["libdbus-1-dev"])]
        ),
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),

        // Layers: DBus -> SecretService -> KeyringKit -> keyring.
        .target(name: "DBus", dependencies: ["CDBus"]),
        .target(
            name: "SecretService",
            dependencies: [
                "DBus", "CSodium",
                .product(name: "Crypto", package: "swift-crypto"),
                // `_CryptoExtras`: the name both 3.x and 4.x have (4.x renamed it CryptoExtras
                // and kept the old name as a re-export).
                .product(name: "_CryptoExtras", package: "swift-crypto"),
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

        // Benchmarks, run with `swift run -c release dbus-bench|keyring-bench ...` (no products).
        .executableTarget(name: "dbus-bench", dependencies: ["DBus"]),
        .executableTarget(name: "keyring-bench", dependencies: ["KeyringKit", "SecretService", "DBus"]),

        // Tests.
        .target(name: "TestSupport", dependencies: ["DBus", "SecretService"], path: "Tests/TestSupport"),
        .testTarget(name: "DBusTests", dependencies: ["DBus", "TestSupport"]),
        .testTarget(
            name: "SecretServiceTests", dependencies: ["SecretService", "DBus", "TestSupport"],
            resources: [.copy("Resources/dh-ietf1024-sha256-aes128-cbc-pkcs7.txt")]),
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
