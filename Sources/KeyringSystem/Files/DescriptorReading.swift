internal import Glibc

/// A `read(2)` that failed, or a descriptor with more to read than allowed (`EFBIG`).
package struct ReadFailure: Error, Sendable {
    package let errno: Int32
}

/// Reads from a file descriptor: the one read loop of the package (standard input, keyring files).
package enum DescriptorReading {
    /// Reads until end of file, or until `count` bytes when `count` is given, retrying on
    /// `EINTR`. The buffer grows by doubling, and every buffer left behind is wiped, so no stray
    /// copy of a secret read this way stays in freed memory.
    /// - Parameters:
    ///   - descriptor: the open descriptor.
    ///   - count: read at most this many bytes (fewer only at end of file); `nil` for all.
    ///   - sizeHint: how many bytes to expect, for the first buffer.
    ///   - limit: fail with `EFBIG` once more than this many bytes were read.
    /// - Throws: ``ReadFailure`` with `read`'s error number.
    package static func read(
        _ descriptor: Int32, count: Int? = nil, sizeHint: Int = 64 * 1024, limit: Int = .max
    ) throws(ReadFailure) -> [UInt8] {
        let wanted = count ?? .max
        var buffer = [UInt8](repeating: 0, count: max(1, min(count ?? max(sizeHint, 0) + 1, max(sizeHint, 0) + 1)))
        var filled = 0
        while filled < wanted {
            if filled == buffer.count {
                guard buffer.count <= limit else {
                    buffer.wipe()
                    throw ReadFailure(errno: EFBIG)
                }
                var larger = [UInt8](repeating: 0, count: min(buffer.count * 2, wanted))
                larger.withUnsafeMutableBytes { target in
                    buffer.withUnsafeBytes { source in target.copyMemory(from: source) }
                }
                buffer.wipe()
                buffer = larger
            }
            let got = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + filled, raw.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                let code = errno
                buffer.wipe()
                throw ReadFailure(errno: code)
            }
            if got == 0 { break }
            filled += got
        }
        if filled > limit {
            buffer.wipe()
            throw ReadFailure(errno: EFBIG)
        }
        let result = Array(buffer[..<filled])
        buffer.wipe()
        return result
    }
}
