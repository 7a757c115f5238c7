internal import Glibc
import Synchronization

/// Where ``SecureBytes`` live: memory the kernel keeps out of core dumps (`MADV_DONTDUMP`) and,
/// as far as `RLIMIT_MEMLOCK` allows, out of swap (`mlock`), wiped before it is reused.
///
/// `madvise` and `mlock` work on whole pages, and each mapping with its own flags is one entry
/// in the process's map (at most `vm.max_map_count`, 65,530). So small buffers share slabs: 64
/// KiB mappings cut into slots of one size (32 bytes to 2 KiB, by powers of two), and a freed
/// slot is wiped and kept for the next buffer of its size. A keyring file with 10,000 entries
/// then takes a few dozen mappings, not 40,000. Larger buffers get a mapping of their own,
/// unmapped when freed.
///
/// Like `malloc`, the arena belongs to the process: its slabs are kept for reuse, never given back.
enum SecureArena {
    /// Slot sizes of the slabs; larger buffers are mapped on their own.
    static let slotSizes = [32, 64, 128, 256, 512, 1024, 2048]
    static let slabSize = 64 * 1024
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Free slots' addresses (pointers are not `Sendable`), by size class.
    private static let free = Mutex<[[UInt]]>(Array(repeating: [], count: slotSizes.count))

    /// `count` zeroed bytes (at least 1) out of core dumps; `nil` when the system refuses memory.
    static func allocate(_ count: Int) -> UnsafeMutableRawBufferPointer? {
        let size = max(count, 1)
        guard let index = slotSizes.firstIndex(where: { $0 >= size }) else {
            guard let region = map(roundedToPages(size)) else { return nil }
            return UnsafeMutableRawBufferPointer(start: region, count: size)
        }
        let address = free.withLock { free -> UInt? in
            if free[index].isEmpty {
                guard let slab = map(slabSize) else { return nil }
                let slotSize = slotSizes[index]
                // Handed out from the front of the slab first.
                let start = UInt(bitPattern: slab)
                free[index] = stride(from: slabSize - slotSize, through: 0, by: -slotSize).map { start + UInt($0) }
            }
            return free[index].popLast()
        }
        guard let address, let slot = UnsafeMutableRawPointer(bitPattern: address) else { return nil }
        return UnsafeMutableRawBufferPointer(start: slot, count: size)  // zero: fresh, or wiped by release
    }

    /// Wipes `buffer` and gives its memory back: to its slab, or to the system.
    static func release(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        let size = max(buffer.count, 1)
        guard let index = slotSizes.firstIndex(where: { $0 >= size }) else {
            Sodium.wipe(UnsafeMutableRawBufferPointer(start: base, count: size))
            munmap(base, roundedToPages(size))
            return
        }
        // The whole slot: a buffer may have been shorter than the slot it had.
        Sodium.wipe(UnsafeMutableRawBufferPointer(start: base, count: slotSizes[index]))
        let address = UInt(bitPattern: base)
        free.withLock { $0[index].append(address) }
    }

    private static func roundedToPages(_ size: Int) -> Int {
        (size + pageSize - 1) / pageSize * pageSize
    }

    /// A fresh anonymous mapping (zero-filled by the kernel), excluded from core dumps and locked
    /// in memory when the limit allows.
    private static func map(_ length: Int) -> UnsafeMutableRawPointer? {
        let region = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let region, region != MAP_FAILED else { return nil }
        _ = madvise(region, length, MADV_DONTDUMP)
        _ = mlock(region, length)  // RLIMIT_MEMLOCK may refuse; out of dumps all the same
        return region
    }
}
