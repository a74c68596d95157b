import CXXHash
#if canImport(Glibc)
import Glibc
#endif

/// A growable array of plain values in memory of its own: the engine's per-record, per-value,
/// per-node and per-entity tables.
///
/// Why not `Array`: the engine keeps these tables in class properties, and Swift copies an
/// array read from a class property (a retain and a release of its buffer) whenever anything
/// that might release memory lies between the read and its use, and checks uniqueness on
/// every write. The add profile showed 15% of its time in those retains, releases and checks.
/// A column is held by a `let`, so a read borrows it, and its elements are reached through a
/// plain pointer: no reference counting and no uniqueness check per access.
///
/// Indices are checked (an out-of-range index traps, as `Array`'s does). Large columns ask for
/// huge pages (``HugePages``). Not thread-safe: writers need the owner's lock, like the engine.
package final class Column<Element: BitwiseCopyable>: RandomAccessCollection, MutableCollection {
    package typealias Index = Int

    /// The first element; `capacity` elements are allocated, `count` initialized.
    @exclusivity(unchecked) package private(set) var base: UnsafeMutablePointer<Element>
    /// Number of elements.
    @exclusivity(unchecked) package private(set) var count = 0
    /// Elements that fit before the next growth.
    @exclusivity(unchecked) package private(set) var capacity = 0

    /// An empty column.
    package init() {
        base = Column.allocate(0)
    }

    /// A column holding `elements`.
    package convenience init(_ elements: some Collection<Element>) {
        self.init()
        replace(with: elements)
    }

    /// A column of `count` copies of `value`.
    package convenience init(repeating value: Element, count: Int) {
        self.init()
        append(repeating: value, count: count)
    }

    /// A column of `count` elements written by `fill`, which must initialize all of them.
    package convenience init(count n: Int, _ fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        self.init()
        reserveCapacity(n)
        fill(UnsafeMutableBufferPointer(start: base, count: n))
        count = n
    }

    deinit { free(base) }

    package var startIndex: Int { 0 }
    package var endIndex: Int { count }

    /// Element `i`.
    @inline(__always)
    package subscript(i: Int) -> Element {
        get {
            precondition(UInt(bitPattern: i) < UInt(bitPattern: count), "Column index out of range")
            return base[i]
        }
        set {
            precondition(UInt(bitPattern: i) < UInt(bitPattern: count), "Column index out of range")
            base[i] = newValue
        }
    }

    /// Element `i`, which the caller has shown to be below ``count``: for a reader of several
    /// columns that grow together, one bounds check per row instead of one per column (the
    /// checks were 86 of the adding thread's instructions per row, callgrind, 1M records).
    @inline(__always)
    package subscript(unchecked i: Int) -> Element {
        assert(UInt(bitPattern: i) < UInt(bitPattern: count), "Column index out of range")
        return base[i]
    }

    /// Appends `element`.
    @inline(__always)
    package func append(_ element: Element) {
        if count == capacity { grow(to: count + 1) }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Appends `n` copies of `value`.
    package func append(repeating value: Element, count n: Int) {
        precondition(n >= 0, "negative count")
        guard n > 0 else { return }
        if count + n > capacity { grow(to: count + n) }
        (base + count).initialize(repeating: value, count: n)
        count += n
    }

    /// Removes and returns the last element, or `nil` when empty.
    @inline(__always)
    package func popLast() -> Element? {
        guard count > 0 else { return nil }
        count -= 1
        return base[count]
    }

    /// Removes the last `n` elements.
    package func removeLast(_ n: Int) {
        precondition(n >= 0 && n <= count, "cannot remove more elements than the column holds")
        count -= n
    }

    /// Removes every element, keeping the memory.
    package func removeAll() { count = 0 }

    /// Makes room for `n` elements in all (never shrinks). When it must grow it at least
    /// doubles, as appends do: a caller that reserves a little more before each batch (the C
    /// ABI's batch call) would otherwise copy the whole column every time.
    package func reserveCapacity(_ n: Int) {
        if n > capacity { grow(exactly: Swift.max(n, capacity * 2)) }
    }

    /// Makes room for `n` more elements (``reserveCapacity(_:)``) and faults in their memory now,
    /// in one call, instead of a page fault at a time during the appends that fill them
    /// (``HugePages/prefault(_:_:)``).
    package func reserve(more n: Int) {
        let n = Swift.max(n, 0)
        reserveCapacity(count + n)
        HugePages.prefault(base + count, n * MemoryLayout<Element>.stride)
    }

    /// Replaces the contents with `elements`.
    package func replace(with elements: some Collection<Element>) {
        count = 0
        reserveCapacity(elements.count)
        for e in elements {
            (base + count).initialize(to: e)
            count += 1
        }
    }

    /// Exchanges contents with `other` (to install tables built elsewhere without copying).
    package func swapContents(with other: Column) {
        swap(&base, &other.base)
        swap(&count, &other.count)
        swap(&capacity, &other.capacity)
    }

    /// The elements as an array (for persistence and tests).
    package var elements: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Calls `body` with the elements (valid only during the call).
    @inline(__always)
    package func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Calls `body` with the elements, writable (valid only during the call).
    @inline(__always)
    package func withUnsafeMutableBufferPointer<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// Asks the CPU to fetch the cache line of element `i` (a hint: no effect on any result;
    /// an index out of range does nothing).
    @inline(__always)
    package func prefetch(_ i: Int) {
        guard UInt(bitPattern: i) < UInt(bitPattern: count) else { return }
        idr_prefetch(base + i)
    }

    /// Grows by doubling to at least `minimum`.
    @inline(never)
    private func grow(to minimum: Int) {
        grow(exactly: Swift.max(minimum, capacity * 2, 16))
    }

    @inline(never)
    private func grow(exactly n: Int) {
        let fresh = Column.allocate(n)
        fresh.update(from: base, count: count)
        free(base)
        base = fresh
        capacity = n
    }

    /// Memory for `n` elements (at least one byte); 2 MiB-aligned and advised for huge pages
    /// when it spans a few of them.
    private static func allocate(_ n: Int) -> UnsafeMutablePointer<Element> {
        let (bytes, overflow) = n.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        precondition(!overflow, "Column capacity overflows")
        let huge = bytes >= 2 * HugePages.size
        let alignment = huge ? HugePages.size : Swift.max(16, MemoryLayout<Element>.alignment)
        var p: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&p, alignment, Swift.max(bytes, 1)) == 0, let p else {
            fatalError("out of memory: a Column of \(n) elements")
        }
        if huge { HugePages.advise(p, bytes) }
        return p.bindMemory(to: Element.self, capacity: n)
    }
}

extension Column where Element == UInt8 {
    /// Appends `bytes` (one copy; `Array`'s generic `append(contentsOf:)` cost about 100
    /// instructions per short value).
    @inline(__always)
    package func append(contentsOf bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        if count + n > capacity { reserveCapacity(count + n) }
        UnsafeMutableRawPointer(base + count).copyMemory(from: bytes.baseAddress!, byteCount: n)
        count += n
    }
}
