// swift-keyring runs on Linux only: it talks to the Secret Service over libdbus, keeps secret
// memory out of core dumps with Linux's madvise and prctl, and its modules import Glibc (or Musl).
// Elsewhere the build of the lowest layer stops here, with a message that says so, beside
// whatever else fails to compile.
#if !os(Linux)
#error("swift-keyring supports Linux only (glibc or musl, with libdbus-1 and libsodium); see README.md, Platforms")
#endif
