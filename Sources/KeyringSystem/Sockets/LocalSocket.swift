// The one file that makes socket calls: AF_UNIX stream sockets for the key agent.

internal import CKeyringSystem
internal import Glibc

/// A connected or listening `AF_UNIX` stream socket, closed when released.
package final class LocalSocket {
    /// A failed socket call, with `errno`.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package let call: String
        package let errno: Int32

        /// Nobody listens at the path, or nothing is there.
        package var isAbsent: Bool { errno == ENOENT || errno == ECONNREFUSED }

        package var description: String { "\(call): \(String(cString: strerror(errno))) (errno \(errno))" }
    }

    package let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { _ = Glibc.close(descriptor) }

    /// The longest path a socket address holds.
    package static let maximumPathLength = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Connects to the socket at `path`.
    package static func connect(to path: String) throws(Failure) -> LocalSocket {
        let socket = try make()
        let result = withAddress(path) { address, length in Glibc.connect(socket.descriptor, address, length) }
        guard result == 0 else { throw Failure(call: "connect", errno: errno) }
        return socket
    }

    /// Binds a new socket at `path` (which must not exist) with mode 0600 and listens on it.
    package static func listen(at path: String) throws(Failure) -> LocalSocket {
        let socket = try make()
        let previous = umask(0o177)
        let bound = withAddress(path) { address, length in bind(socket.descriptor, address, length) }
        let bindError = errno
        umask(previous)
        guard bound == 0 else { throw Failure(call: "bind", errno: bindError) }
        guard Glibc.listen(socket.descriptor, 16) == 0 else { throw Failure(call: "listen", errno: errno) }
        return socket
    }

    /// Accepts one connection; `nil` when none is waiting (the socket is polled first).
    package func accept() -> LocalSocket? {
        let accepted = Glibc.accept(descriptor, nil, nil)
        guard accepted >= 0 else { return nil }
        _ = fcntl(accepted, F_SETFD, FD_CLOEXEC)
        return LocalSocket(descriptor: accepted)
    }

    /// Waits until a connection or data is ready, up to `milliseconds`; whether one is.
    package func waitReadable(milliseconds: Int) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, Int32(clamping: milliseconds))
        return ready > 0
    }

    /// The user ID of the connected peer, from the kernel (`SO_PEERCRED`).
    package func peerUserID() throws(Failure) -> UInt32 {
        var uid: UInt32 = 0
        guard swift_keyring_peer_uid(descriptor, &uid) == 0 else { throw Failure(call: "getsockopt(SO_PEERCRED)", errno: errno) }
        return uid
    }

    /// Sets how long one read or write may block before failing with `EAGAIN`.
    package func setTimeout(milliseconds: Int) {
        var interval = timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
        let size = socklen_t(MemoryLayout<timeval>.size)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &interval, size)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &interval, size)
    }

    /// Writes all of `bytes`.
    package func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        var offset = 0
        while offset < bytes.count {
            let written = send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(call: "send", errno: errno)
            }
            offset += written
        }
    }

    /// Reads exactly `buffer.count` bytes; fails with `ECONNRESET` at end of stream before that.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(Failure) {
        var offset = 0
        while offset < buffer.count {
            let got = recv(descriptor, buffer.baseAddress! + offset, buffer.count - offset, 0)
            if got < 0 {
                if errno == EINTR { continue }
                throw Failure(call: "recv", errno: errno)
            }
            if got == 0 { throw Failure(call: "recv (the other end closed)", errno: ECONNRESET) }
            offset += got
        }
    }

    /// Reads exactly `count` bytes (no secrets: those go to ``read(into:)`` of a ``SecureBytes``).
    package func read(count: Int) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let failure = bytes.withUnsafeMutableBytes { raw -> Failure? in
            do throws(Failure) { try read(into: raw) } catch { return error }
            return nil
        }
        if let failure { throw failure }
        return bytes
    }

    // MARK: Helpers

    private static func make() throws(Failure) -> LocalSocket {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", errno: errno) }
        return LocalSocket(descriptor: descriptor)
    }

    private static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8.prefix(maximumPathLength))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
