// Where things are, for tests: the package, its fixtures, and the built executables.

public import Foundation

/// The package's root folder (the one holding Package.swift), found from this file's path.
public var packageDirectory: URL {
    URL(fileURLWithPath: #filePath)  // Tests/TestSupport/TestPaths.swift
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()
}

/// `dbus-fixtures/`: session.conf, start-bus, stop-bus, keyring-ctl.
public var fixturesDirectory: URL {
    packageDirectory.appendingPathComponent("dbus-fixtures", isDirectory: true)
}

/// Where `swift build` put the executables (`.build/debug`, `.build/release`, ...): the folder
/// holding the running test bundle.
public var productsDirectory: URL {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    // On Linux the bundle is an executable file `NAME.xctest`; on Darwin a folder holding
    // Contents/MacOS/NAME. Either way the products are beside the `.xctest`.
    var url = executable
    while url.path != "/" {
        if url.pathExtension == "xctest" { return url.deletingLastPathComponent() }
        url.deleteLastPathComponent()
    }
    return executable.deletingLastPathComponent()
}
