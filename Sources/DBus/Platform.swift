// swift-keyring runs on Linux only: it talks to the Secret Service over libdbus, keeps secret
// memory with Linux's madvise/prctl, and its modules import Glibc (or Musl). Elsewhere the build
// stops here, in the lowest layer, with one message instead of a page of missing-module errors.
#if !os(Linux)
#error("swift-keyring supports Linux only (glibc or musl, with libdbus-1 and libsodium); see README.md, Platforms")
#endif
