#if canImport(Glibc)
import Glibc
#endif

/// Batch adds on a shared engine, written in parts so that readers see the batch as it goes.
///
/// `write { try $0.add(count: ...) }` is one write: without a mirror, readers wait for the whole
/// batch; with one, they see none of it until it ends. Here each part is a write of its own, and
/// other writers wait for the whole batch (the batch holds the writers' lock throughout, so no
/// other write lands between its records).
extension SharedEngine {
    /// Steps of a batch per write with a read mirror: enough to make the mirror's replay a batch
    /// (``ChangeFeed/drain(into:)``), few enough that readers see a batch's records while it is
    /// still running. Without a mirror each step is a write: a reader that arrives during a
    /// write waits for its end (at 1M records, 16 records per write put the lookups' p50 at 59 µs).
    package static let mirroredStepsPerWrite = 1024

    /// Adds `count` records as ``Engine/add(count:identifierCapacity:concurrentRecord:entity:)``
    /// does: the same results, events, log entries and IDs, each record prepared on a second
    /// thread when the batch is large enough.
    ///
    /// Readers see the records as they are added: without a mirror the lock is taken for each
    /// record, with one (``mirrorReads()``) the batch is written 1024 records at a time. Other
    /// writers wait for the whole batch.
    ///
    /// - Throws: the first failing record's error; the records before it are added (their
    ///   `entity` calls were made), it and the ones after are not.
    public func add(
        count: Int, identifierCapacity: Int,
        concurrentRecord record: ConcurrentRecordSource,
        entity: (_ index: Int, _ id: UInt64) -> Void
    ) throws(IDRError) {
        guard count > 0 else { return }
        pthread_mutex_lock(writers)
        defer { pthread_mutex_unlock(writers) }
        // The feeder thread holds the closure only until the pipeline finishes, within this call.
        let result: Result<Void, IDRError> = withoutActuallyEscaping(record) { record in
            Result { () throws(IDRError) in
                let pipeline = try AddPipeline(engine: engine, identifierCapacity: identifierCapacity, count: count,
                                               concurrentRecord: record)
                defer { pipeline.finish() }
                try addParts(pipeline, count: count, record: record, entity: entity)
            }
        }
        try result.get()
    }

    /// ``add(count:identifierCapacity:concurrentRecord:entity:)`` with records read on this
    /// thread only, as ``Engine/add(count:identifierCapacity:record:entity:)`` reads them.
    ///
    /// - Throws: as ``add(count:identifierCapacity:concurrentRecord:entity:)``.
    public func add(
        count: Int, identifierCapacity: Int,
        record: (_ index: Int, _ identifiers: UnsafeMutableBufferPointer<RawIdentifier>) -> (key: UnsafeRawBufferPointer, identifierCount: Int),
        entity: (_ index: Int, _ id: UInt64) -> Void
    ) throws(IDRError) {
        guard count > 0 else { return }
        pthread_mutex_lock(writers)
        defer { pthread_mutex_unlock(writers) }
        let pipeline = try AddPipeline(engine: engine, identifierCapacity: identifierCapacity)
        try addParts(pipeline, count: count, record: record, entity: entity)
    }

    /// Runs every step of `pipeline`, a part per write; the caller holds `writers`, so the
    /// mirror cannot be switched on between parts (``mirrorReads()`` waits for it), but it may
    /// be dropped (a failed replay), which is why the mode is read again for each part.
    private func addParts(
        _ pipeline: AddPipeline, count: Int,
        record: (Int, UnsafeMutableBufferPointer<RawIdentifier>) -> (key: UnsafeRawBufferPointer, identifierCount: Int),
        entity: (Int, UInt64) -> Void
    ) throws(IDRError) {
        let end = count + AddPipeline.lag
        var first = 0
        while first < end {
            let mirroredNow = mirrored.load(ordering: .relaxed)
            let steps = first..<min(first + (mirroredNow ? SharedEngine.mirroredStepsPerWrite : 1), end)
            let part = { (e: Engine) throws(IDRError) -> Void in
                for step in steps {
                    if let (r, id) = try pipeline.step(step, count: count, engine: e, record: record) { entity(r, id) }
                }
            }
            if mirroredNow { try writeMirrored(part) } else { try exclusive(part) }
            first = steps.upperBound
        }
    }
}
