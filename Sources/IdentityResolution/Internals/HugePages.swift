#if canImport(Glibc)
import Glibc
#endif

/// Transparent huge pages for the engine's big arrays.
///
/// Lookups and adds touch the hash slots and per-value arrays at random: with 4 KiB pages
/// nearly every access also misses the TLB and walks the page table (more DRAM reads). Asking
/// for 2 MiB pages (`MADV_HUGEPAGE`, honoured when the system's THP mode is `madvise` or
/// `always`) made lookups 25% and adds 20% faster on 2M records, and cuts page faults when a
/// snapshot fills fresh arrays. A hint only: nothing depends on it being taken.
package enum HugePages {
    static let size = 2 << 20

    /// Advises the 2 MiB-aligned part of `[p, p + n)`.
    package static func advise(_ p: UnsafeMutableRawPointer?, _ n: Int) {
        #if os(Linux)
        guard let p, n >= 2 * size else { return }
        let start = (Int(bitPattern: p) + size - 1) & ~(size - 1)
        let end = (Int(bitPattern: p) + n) & ~(size - 1)
        if end > start { _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_HUGEPAGE) }
        #endif
    }

    /// Spans below this are left to ordinary page faults: a system call per column per small
    /// batch would cost more than the faults it saves.
    static let prefaultMinimum = 1 << 20

    /// Faults in the pages of `[p, p + n)` now, writable (`MADV_POPULATE_WRITE`, Linux 5.14 and
    /// later; elsewhere nothing), when the span is at least `minimum` bytes (by default
    /// ``prefaultMinimum``).
    ///
    /// Why: the first write to each fresh page traps into the kernel, which zeroes the page
    /// (2 MiB at once for a huge page) in the middle of the add that touched it, evicting the
    /// lines that add had fetched ahead. Faulting a reserve's pages in one call cost less than
    /// the faults it replaces (`idr-bench online`, 1M records: see the README). A hint: a
    /// kernel that refuses it changes nothing but the timing; the contents are not touched.
    package static func prefault(_ p: UnsafeMutableRawPointer?, _ n: Int, minimum: Int = prefaultMinimum) {
        #if os(Linux)
        guard let p, n > 0, n >= minimum else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        // madvise wants a page-aligned start; the pages around the span belong to the same
        // allocation or to the allocator, and populating them writes nothing.
        let start = Int(bitPattern: p) & ~(page - 1)
        let end = (Int(bitPattern: p) + n + page - 1) & ~(page - 1)
        // A large span is faulted in on two cores, half each: on the development VM, where a
        // fresh page costs the host's time as well as the kernel's zeroing, a 10M-record online
        // reserve took 3.6-3.8 s this way against 4.3-4.5 s on one core (three alternated pairs).
        guard end - start >= 2 * parallelPrefaultMinimum else {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_POPULATE_WRITE)
            return
        }
        let mid = (start + (end - start) / 2) & ~(size - 1)
        SideThread.run({
            _ = madvise(UnsafeMutableRawPointer(bitPattern: mid), end - mid, MADV_POPULATE_WRITE)
        }, alongside: {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: start), mid - start, MADV_POPULATE_WRITE)
        })
        #endif
    }

    /// The least each core faults in when ``prefault(_:_:minimum:)`` uses two (a thread costs
    /// tens of microseconds; 32 MiB of fresh pages, milliseconds).
    static let parallelPrefaultMinimum = 32 << 20

    /// Advises the whole allocation of `array` (its capacity, not only its count).
    package static func advise<T>(_ array: inout [T]) {
        let bytes = array.capacity * MemoryLayout<T>.stride
        guard bytes >= 2 * size else { return }
        array.withUnsafeMutableBytes { advise($0.baseAddress, bytes) }
    }
}

extension Array where Element: BitwiseCopyable {
    /// `count` elements written by `fill` (which must initialize all of them) into memory
    /// advised for huge pages before it is first touched.
    package init(hugeCount count: Int, _ fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        // An empty array is the shared empty storage: writing its count from two threads is
        // a race ThreadSanitizer reports (two engines created at once).
        guard count > 0 else {
            self = []
            return
        }
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            HugePages.advise(UnsafeMutableRawPointer(buffer.baseAddress), count * MemoryLayout<Element>.stride)
            fill(buffer)
            initialized = count
        }
    }

    /// `count` elements left unwritten, in memory advised for huge pages: for plain values that
    /// the caller writes before it reads them (filling memory that a pass overwrites anyway
    /// costs a pass over fresh pages).
    package init(hugeUnwrittenCount count: Int) {
        self.init(hugeCount: count) { _ in }
    }

    /// Makes room for `n` more elements (as ``Column/reserveCapacity(_:)``: at least doubling
    /// when it must grow), asks for huge pages and faults in the next `n` elements' memory.
    package mutating func reserve(more n: Int) {
        let needed = count + Swift.max(n, 0)
        if needed > capacity { reserveCapacity(Swift.max(needed, capacity * 2)) }
        HugePages.advise(&self)
        let stride = MemoryLayout<Element>.stride, start = count * stride
        withUnsafeMutableBytes { HugePages.prefault($0.baseAddress.map { $0 + start }, Swift.max(n, 0) * stride) }
    }

    /// `count` copies of `value`, in memory advised for huge pages. A large array's pages are
    /// faulted in first, on two cores (``HugePages/prefault(_:_:minimum:)``): the fill alone
    /// faulted them in one at a time on one core.
    package init(hugeRepeating value: Element, count: Int) {
        self.init(hugeCount: count) { buffer in
            HugePages.prefault(UnsafeMutableRawPointer(buffer.baseAddress), buffer.count * MemoryLayout<Element>.stride)
            buffer.initialize(repeating: value)
        }
    }
}
