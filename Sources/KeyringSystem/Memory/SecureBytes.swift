/// Bytes that hold key or secret material: on pages that are kept out of swap where
/// the system allows it and out of core dumps, wiped when released, never printed.
///
/// A reference type so that copies share one buffer and exactly one owner frees it. Immutable
/// once made (its contents are set by its initialisers, or by package code before it is
/// handed out), so sharing it between tasks and threads is sound.
/// Its memory comes from ``SecureArena`` (`MADV_DONTDUMP`, `mlock`, wiped on release).
public final class SecureBytes: @unchecked Sendable {
    // The buffer is written only by initialisers and `withUnsafeMutableBytes`, which callers
    // use before publishing the value to other threads.
    private let storage: UnsafeMutableRawBufferPointer

    /// The number of bytes held.
    public let count: Int

    /// Whether ``storage`` came from ``SecureArena`` (else from the heap, wiped all the same).
    private let isProtected: Bool

    /// Zero-filled secure storage of `count` bytes.
    ///
    /// The bytes live in ``SecureArena``: on pages excluded from core dumps and locked out of
    /// swap where the memory limit allows. Only when the system refuses memory for the arena do
    /// they go on the ordinary heap, still wiped when released.
    public init(count: Int) {
        precondition(count >= 0)
        self.count = count
        // Never allocate zero bytes: keeps baseAddress non-nil for C calls.
        if let protected = SecureArena.allocate(count) {
            storage = protected
            isProtected = true
        } else {
            storage = .allocate(byteCount: max(count, 1), alignment: 16)
            storage.initializeMemory(as: UInt8.self, repeating: 0)
            isProtected = false
        }
    }

    /// Copies `bytes` into secure storage. The caller remains responsible for wiping its copy.
    public convenience init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        self.init(count: bytes.count)
        _ = UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]).initializeMemory(as: UInt8.self, from: bytes)
    }

    /// Copies the UTF-8 of `string` into secure storage.
    public convenience init(utf8 string: String) {
        self.init(string.utf8)  // straight from the string: no temporary array left unwiped
    }

    /// Copies the bytes of `buffer` into secure storage.
    public convenience init(copying buffer: UnsafeRawBufferPointer) {
        self.init(count: buffer.count)
        if buffer.count > 0 {
            storage.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: buffer.count)
        }
    }

    deinit {
        if isProtected {
            SecureArena.release(storage)  // wipes, then reuses or unmaps
        } else {
            Sodium.wipe(storage)
            storage.deallocate()
        }
    }

    /// Calls `body` with a read-only view of exactly `count` bytes; `baseAddress` is never nil.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// Calls `body` with a mutable view of exactly `count` bytes: for filling a buffer right
    /// after creating it, before anyone else holds it. Package-only, so that a published
    /// `SecureBytes` is never changed: its bytes are fixed once it leaves the code that made it,
    /// which is what makes sharing it between threads sound.
    package func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// A copy as an ordinary array. The array is not wiped: use only at a boundary that needs it.
    public var unprotectedArray: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Constant-time equality of contents.
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        withUnsafeBytes { a in other.withUnsafeBytes { b in Sodium.constantTimeEqual(a, b) } }
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "<redacted \(count) bytes>" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}

extension Array where Element == UInt8 {
    /// Overwrites the array's bytes with zeros (`sodium_memzero`) and empties it.
    package mutating func wipe() {
        withUnsafeMutableBytes { Sodium.wipe($0) }
        removeAll()
    }
}
