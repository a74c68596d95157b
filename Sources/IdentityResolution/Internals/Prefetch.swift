import CXXHash

extension Array {
    /// Asks the CPU to fetch the cache line of element `i` (a hint: no effect on any result;
    /// an index out of range does nothing).
    ///
    /// For pipelines that know which elements a later step will read: the fetch overlaps with
    /// other work instead of stalling that step (``Engine/add(count:identifierCapacity:record:entity:)``).
    @inline(__always)
    func prefetch(_ i: Int) {
        guard i >= 0, i < count else { return }
        idr_prefetch(address(of: i))
    }

    /// The address of element `i` (in range), for a prefetch hint only: it is never read
    /// through. The C call stays out of the closure because Swift copies an array (and the
    /// struct holding it: a retain and release per array) across any call it cannot see into.
    @inline(__always)
    func address(of i: Int) -> UnsafeRawPointer {
        withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + i) }
    }
}
