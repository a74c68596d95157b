extension Resolver {
    /// Frees the hash index that finds records and values by their bytes, for a caller that
    /// has added every record and needs the memory for ``resolve()``.
    ///
    /// The index is 8 bytes per hash slot, about 1.7 slots per record and per distinct value:
    /// 256 MiB at 10M generated records, a fifth of the bulk resolve's peak memory.
    /// ``resolve()``, ``forEachEntity(of:_:)`` and the record keys by index need no index; the
    /// next add, ``recordIndex(forKey:)`` or explanation rebuilds it first (one pass over the
    /// interned keys and values), so nothing is lost, only time. `idr-bench resolve` frees it
    /// between ingest and linking, whose tables then reuse the memory (see the README).
    public func releaseIndex() {
        records.releaseSlots()
        values.releaseSlots()
    }

    /// Whether ``releaseIndex()`` freed the index and nothing has rebuilt it since.
    public var indexReleased: Bool { records.slotsReleased || values.slotsReleased }

    /// Rebuilds the index if ``releaseIndex()`` freed it. Every find calls this first (a find
    /// in released slots finds nothing); interns restore the slots themselves, so adds need no
    /// check per row, and a batch's prefetch restores them once so its fetches are useful.
    @inline(__always)
    func restoreIndex() {
        if records.slotsReleased { records.restoreSlots() }
        if values.slotsReleased { values.restoreSlots() }
    }
}
