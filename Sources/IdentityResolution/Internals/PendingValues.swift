import CXXHash

/// The prepared identifier values of the write in progress: kind, placeholder flag (hash-only
/// mode) and bytes, in one reused buffer, so an add allocates nothing for them in steady state.
///
/// A class with manually managed storage because callers hold pointers into the bytes while
/// they intern them; an array could move under those pointers.
package final class PendingValues {
    // Unchecked exclusivity: one writer thread by contract, and dynamic checks on these
    // properties showed up in the add profile (about 2%).
    @exclusivity(unchecked) private var bytes: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var used = 0
    /// A column, not an array: an array read from a class property is retained per access.
    private let items = Column<(kind: UInt32, placeholder: Bool, start: Int, count: Int, hash: UInt64)>()
    /// Values dropped as invalid / as erased while preparing.
    @exclusivity(unchecked) package var invalid = 0
    @exclusivity(unchecked) package var erased = 0
    /// Whether each value's placeholder flag was decided while preparing (hash-only mode, or a
    /// batch's second thread); otherwise the add tests new values.
    @exclusivity(unchecked) package var placeholdersChecked = false
    /// Whether ``reset()`` zeroes the bytes: only worth it when they must not outlive the call
    /// (hash-only mode); otherwise the same bytes are in the engine's arena anyway.
    package var scrubs = false

    package init() {
        capacity = 256
        bytes = .allocate(capacity: capacity)
    }

    deinit {
        bytes.update(repeating: 0, count: capacity)
        bytes.deallocate()
    }

    /// Number of values.
    package var count: Int { items.count }

    /// Empties the list (zeroing the bytes when ``scrubs``).
    package func reset() {
        if scrubs, used > 0 { bytes.update(repeating: 0, count: used) }
        used = 0
        placeholdersChecked = false
        items.removeAll()
        invalid = 0
        erased = 0
    }

    /// Appends a value and its hash (by the value table's hasher, with the kind as tag).
    package func append(kind: UInt32, placeholder: Bool, _ value: UnsafeRawBufferPointer, hash: UInt64) {
        if used + value.count > capacity {
            var grown = capacity * 2
            while grown < used + value.count { grown *= 2 }
            let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
            fresh.update(from: bytes, count: used)
            bytes.update(repeating: 0, count: capacity)
            bytes.deallocate()
            bytes = fresh
            capacity = grown
        }
        if let base = value.baseAddress, value.count > 0 {
            (bytes + used).update(from: base.assumingMemoryBound(to: UInt8.self), count: value.count)
        }
        items.append((kind, placeholder, used, value.count, hash))
        used += value.count
    }

    /// Value `i`; its bytes stay valid until the next ``reset()`` or ``append(kind:placeholder:_:)``.
    package subscript(i: Int) -> (kind: UInt32, placeholder: Bool, bytes: UnsafeRawBufferPointer) {
        let item = items[i]
        return (item.kind, item.placeholder, UnsafeRawBufferPointer(start: bytes + item.start, count: item.count))
    }

    /// The hash given with value `i`.
    @inline(__always)
    package func hash(_ i: Int) -> UInt64 { items[i].hash }

    /// The address of the item column object (fixed for the list's life), for
    /// ``RecordFeeder``'s prefetches: a hint only, never read through.
    package var itemsObject: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(items).toOpaque()) }

    /// Asks the CPU for the lines holding the items and the bytes (a hint: reads only this
    /// object and its column's header, which should be in cache already).
    @inline(__always)
    package func prefetchContents() {
        let n = items.count
        if n > 0 {
            let first = UnsafeRawPointer(items.base)
            let end = first + n * MemoryLayout<(kind: UInt32, placeholder: Bool, start: Int, count: Int, hash: UInt64)>.stride
            var line = first
            while line < end {
                idr_prefetch(line)
                line += 64
            }
            idr_prefetch(end - 1)
        }
        if used > 0 {
            idr_prefetch(bytes)
            idr_prefetch(bytes + (used - 1))
        }
    }
}
