/// Address ranges of growing arrays that upcoming appends will write, for another thread to
/// fault in (``HugePages/prefault(_:_:minimum:)``) before the owner reaches them.
///
/// Why: a bulk load appends to a dozen arrays whose capacity it reserved untouched (touching
/// it all up front cost peak memory for an estimate). Each first write to a fresh huge page
/// then stops the adding thread while the kernel zeroes 2 MiB: 0.8 s of the adding thread's
/// time at 10M records (perf). The parsing thread has time to spare, so it takes the faults.
///
/// Only addresses cross threads, never the arrays: the owner computes the spans from its own
/// arrays, and the other thread asks the kernel to populate them, which writes nothing. A
/// span that has gone stale (the array grew into a new buffer meanwhile) names memory that
/// is freed, unmapped or reused: populating it changes no contents either, so a wrong span
/// costs time, never correctness.
package struct GrowthSpans: Sendable {
    /// Each span's first byte's address, and its length in bytes.
    package private(set) var starts: [Int] = []
    package private(set) var counts: [Int] = []

    /// No spans.
    package init() {}

    /// Number of spans.
    package var count: Int { starts.count }

    /// Total bytes the spans cover.
    package var bytes: Int { counts.reduce(0, +) }

    /// Adds the part of `array`'s reserved capacity that the `rows` rows after the next `skip`
    /// will fill, at the array's average growth per row over the `rowsSoFar` rows it holds
    /// (nothing before the first row: there is no average yet). Skipping the rows the owner is
    /// about to append keeps the two threads from faulting the same pages at once.
    package mutating func add<T>(_ array: [T], rowsSoFar: Int, skip: Int, rows: Int) {
        guard let base = array.withUnsafeBufferPointer({ $0.baseAddress }) else { return }
        add(base: UnsafeRawPointer(base), count: array.count, capacity: array.capacity, stride: MemoryLayout<T>.stride,
            rowsSoFar: rowsSoFar, skip: skip, rows: rows)
    }

    /// The same for a column.
    package mutating func add<T>(_ column: Column<T>, rowsSoFar: Int, skip: Int, rows: Int) {
        add(base: UnsafeRawPointer(column.base), count: column.count, capacity: column.capacity,
            stride: MemoryLayout<T>.stride, rowsSoFar: rowsSoFar, skip: skip, rows: rows)
    }

    private mutating func add(base: UnsafeRawPointer, count: Int, capacity: Int, stride: Int,
                              rowsSoFar: Int, skip: Int, rows: Int) {
        guard rowsSoFar > 0, count > 0, capacity > count else { return }
        let perRow = Double(count) / Double(rowsSoFar)
        let first = count + Int(perRow * Double(skip))
        let end = min(capacity, count + Int((perRow * Double(skip + rows)).rounded(.up)))
        guard end > first else { return }
        starts.append(Int(bitPattern: base) + first * stride)
        counts.append((end - first) * stride)
    }

    /// Faults the spans' pages in, writable; their contents are not touched.
    package func populate() {
        for i in starts.indices {
            HugePages.prefault(UnsafeMutableRawPointer(bitPattern: starts[i]), counts[i], minimum: 1)
        }
    }
}
