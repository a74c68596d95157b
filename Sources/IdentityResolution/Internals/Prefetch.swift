import CXXHash

extension Array {
    /// Asks the CPU to fetch the cache line of element `i` (a hint: no effect on any result;
    /// an index out of range does nothing).
    ///
    /// For pipelines that know which elements a later step will read: the fetch overlaps with
    /// other work instead of stalling that step (``Engine/add(count:identifierCapacity:record:entity:)``).
    @inline(__always)
    func prefetch(_ i: Int) {
        if let line = lineAddress(i) { idr_prefetch(line) }
    }

    /// The address of element `i` (in range), for a prefetch hint only: it is never read
    /// through. The C call stays out of the closure because Swift copies an array (and the
    /// struct holding it: a retain and release per array) across any call it cannot see into.
    @inline(__always)
    func address(of i: Int) -> UnsafeRawPointer {
        withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + i) }
    }

    /// The address of element `i`, or `nil` when `i` is out of range (for ``CacheLines``).
    @inline(__always)
    func lineAddress(_ i: Int) -> UnsafeRawPointer? {
        guard i >= 0, i < count else { return nil }
        return address(of: i)
    }
}

/// Up to two cache lines that a table names while it is borrowed and that are fetched after
/// the borrow ends (``prefetch()``).
///
/// Why: a table reached through an addressor (``PinnedTables``, `Engine.slotOfID`) is copied
/// (a retain and release of each array inside it) when a call Swift cannot see into, such as
/// the C prefetch, happens while it is borrowed. Asking for the addresses first and fetching
/// them once the table expression has ended keeps the borrow free of calls. Measured: the
/// engine's `fetchSlots` made 12 retains and 12 releases per record this way before
/// (callgrind, online batch add of 200K records).
package struct CacheLines {
    /// The first line's address, or `nil` for none (an index out of range).
    package let first: UnsafeRawPointer?
    /// The second line's address (a slot's hint word, say), or `nil` for none.
    package let second: UnsafeRawPointer?

    /// The lines at `first` and `second` (either may be `nil`).
    @inline(__always)
    init(_ first: UnsafeRawPointer?, _ second: UnsafeRawPointer? = nil) {
        self.first = first
        self.second = second
    }

    /// Asks the CPU to fetch the lines (a hint: no effect on any result).
    @inline(__always)
    package func prefetch() {
        if let first { idr_prefetch(first) }
        if let second { idr_prefetch(second) }
    }
}
