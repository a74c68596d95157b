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
        withUnsafeBufferPointer { idr_prefetch($0.baseAddress! + i) }
    }
}
