/// Records on their way into an ``Engine``, a few at a time: record `r` is normalized and hashed
/// at step `r` (its key, values and the ID it may get are then fetched from their tables'
/// slots), the entries those slots name are fetched at step `r + 4`, their bytes, record lists
/// and entities at step `r + 8`, those entities' roots at step `r + 10`, and it is added at
/// step `r + 12`. By then most of what the add reads is in cache: a lone add waits for a dozen
/// dependent memory reads, one after the other.
///
/// Prefetches are hints; the add itself finds everything again, so no stale hint can change a
/// result. What is prepared ahead (normalized values, their hashes) depends only on the record
/// and the engine's settings, except for erasure tombstones: a record prepared before an erase
/// is prepared again before its add.
///
/// With a ``RecordFeeder`` (a concurrent record source and a large enough batch) records are
/// prepared on a second thread instead, and this thread only asks for their slots at step `r`.
///
/// Each step may run under its own write lock (a ``SharedEngine`` batch takes the lock per
/// step, so readers wait for one add at most; with a read mirror, per 1024 steps, since readers
/// do not wait); the pipeline must stay with one engine, and ``finish()`` must be called before
/// the batch returns (it stops and joins the feeder's thread).
package final class AddPipeline {
    /// Steps between preparing a record and adding it.
    package static let lag = 12
    static let ringSize = 16
    /// Steps between preparing a record and fetching its entries, its lists and its roots.
    static let (entriesStage, listsStage, rootsStage) = (4, 8, 10)

    private let ring: [PreparedAdd]
    private let raws: UnsafeMutableBufferPointer<RawIdentifier>
    /// Entries in `raws`: the most identifiers a record may have.
    private let capacity: Int
    private let engine: ObjectIdentifier
    /// Held unmanaged (retained in `init`, released in `deinit`) and lent to each step: held
    /// as a strong reference it was retained and released at every step, and each of those
    /// writes to its reference count missed the cache, since the feeder thread touches the
    /// counters beside it (7% of the adding thread's `perf` samples in a batch add of 1M).
    private let feeder: Unmanaged<RecordFeeder>?
    /// Whether ``finish()`` ran.
    private var finished = false

    /// A pipeline for `engine` whose records have at most `identifierCapacity` identifiers;
    /// with `concurrentRecord`, a batch of `count` records (at least `feederMinimum`) is
    /// prepared by a ``RecordFeeder``.
    ///
    /// - Throws: `invalidArgument` when the capacity is negative or above
    ///   `maxIdentifiersPerRecord`.
    package init(engine: Engine, identifierCapacity: Int, count: Int = 0,
                 concurrentRecord: ConcurrentRecordSource? = nil, feederMinimum: Int = RecordFeeder.minimumCount) throws(IDRError) {
        let limit = engine.configuration.limits.maxIdentifiersPerRecord
        guard (0...limit).contains(identifierCapacity) else {
            throw IDRError(.invalidArgument, "identifierCapacity \(identifierCapacity) is not within 0...maxIdentifiersPerRecord (\(limit))")
        }
        raws = .allocate(capacity: max(identifierCapacity, 1))
        self.engine = ObjectIdentifier(engine)
        self.capacity = identifierCapacity
        if let concurrentRecord, count >= feederMinimum,
           let started = RecordFeeder(engine: engine, count: count, identifierCapacity: identifierCapacity, record: concurrentRecord) {
            feeder = Unmanaged.passRetained(started)
        } else {
            feeder = nil
        }
        // With a feeder the records live in its ring; this one serves the sequential steps.
        ring = feeder != nil ? [] : (0..<AddPipeline.ringSize).map { _ in
            let p = PreparedAdd()
            p.values.scrubs = engine.fingerprinter.isKeyed
            return p
        }
    }

    deinit {
        finish()
        feeder?.release()
        raws.deallocate()
    }

    /// Stops the feeder thread, if any (idempotent).
    package func finish() {
        if let feeder, !finished { feeder._withUnsafeGuaranteedRef { $0.finish() } }
        finished = true
    }

    /// Runs step `step` of a batch of `count` records: prepares record `step`, fetches ahead for
    /// the ones behind it, and adds record `step - lag`, returning its index and entity.
    ///
    /// - Throws: record `step - lag`'s error.
    package func step(
        _ step: Int, count: Int, engine e: Engine,
        record: (Int, UnsafeMutableBufferPointer<RawIdentifier>) -> (key: UnsafeRawBufferPointer, identifierCount: Int)
    ) throws(IDRError) -> (Int, UInt64)? {
        precondition(ObjectIdentifier(e) == engine, "a pipeline stays with the engine it was made for")
        if let feeder {
            // A Result: the lending closure cannot throw a typed error.
            let fed: Result<(Int, UInt64)?, IDRError> = feeder._withUnsafeGuaranteedRef { f in
                Result { () throws(IDRError) -> (Int, UInt64)? in try fedStep(step, count: count, feeder: f, engine: e, record: record) }
            }
            return try fed.get()
        }
        if step < count { prepare(step, e, record) }
        AddPipeline.fetchAhead(step, count: count, ring: ring, engine: e)
        let r = step - AddPipeline.lag
        guard r >= 0, r < count else { return nil }
        let p = ring[r % AddPipeline.ringSize]
        // Prepared before an erase, or refused (perhaps for a kind registered since): again,
        // from the engine as it is now, as a lone add would be.
        if p.erasures != e.erasures || p.error != nil { prepare(r, e, record) }
        if let error = p.error { throw error }
        return (r, try e.addPrepared(key: p.key, keyHash: p.keyHash, p.values, logging: true))
    }

    /// The fetch stages of step `step` for records prepared into `ring` (record `r` in entry
    /// `r % ringSize`): the entries of the record ``entriesStage`` steps behind, the lists of
    /// the one ``listsStage`` behind, the roots of the one ``rootsStage`` behind. Shared with
    /// the mirror's replay (``ChangeFeed``), which prepares its records from feed entries.
    @inline(__always)
    static func fetchAhead(_ step: Int, count: Int, ring: [PreparedAdd], engine e: Engine) {
        let (s1, s2, s3) = (step - entriesStage, step - listsStage, step - rootsStage)
        if s1 >= 0, s1 < count { e.fetchEntries(ring[s1 % ringSize]) }
        if s2 >= 0, s2 < count { e.fetchLists(ring[s2 % ringSize]) }
        if s3 >= 0, s3 < count { e.fetchRoots(ring[s3 % ringSize]) }
    }

    /// ``step(_:count:engine:record:)`` with records prepared by `feeder`: record `step`'s
    /// slots are asked for as soon as it is prepared. A record prepared from settings that
    /// changed since (an erase), or refused (perhaps for a kind registered since), is prepared
    /// again here, from the engine itself.
    private func fedStep(
        _ step: Int, count: Int, feeder: RecordFeeder, engine e: Engine,
        record: (Int, UnsafeMutableBufferPointer<RawIdentifier>) -> (key: UnsafeRawBufferPointer, identifierCount: Int)
    ) throws(IDRError) -> (Int, UInt64)? {
        if step + 8 < count { feeder.prefetch(step + 8) }
        if step + 4 < count { feeder.prefetchValues(step + 4) }
        if step < count { feeder.withPrepared(step) { e.fetchSlots($0) } }
        let (s1, s2, s3) = (step - AddPipeline.entriesStage, step - AddPipeline.listsStage, step - AddPipeline.rootsStage)
        if s1 >= 0, s1 < count { feeder.withEntry(s1) { e.fetchEntries($0) } }
        if s2 >= 0, s2 < count { feeder.withEntry(s2) { e.fetchLists($0) } }
        if s3 >= 0, s3 < count { feeder.withEntry(s3) { e.fetchRoots($0) } }
        let r = step - AddPipeline.lag
        guard r >= 0, r < count else { return nil }
        // A Result: the entry is lent to a closure that cannot throw a typed error.
        let added: Result<UInt64, IDRError> = feeder.withEntry(r) { p in
            if p.erasures != e.erasures || p.error != nil { prepare(r, e, record, into: p) }
            if let error = p.error { return .failure(error) }
            do throws(IDRError) { return .success(try e.addPrepared(key: p.key, keyHash: p.keyHash, p.values, logging: true)) } catch {
                return .failure(error)
            }
        }
        feeder.release(through: r)
        return (r, try added.get())
    }

    /// Checks and normalizes record `r` into its ring entry (``Engine/prepareAhead(_:key:identifiers:)``).
    private func prepare(
        _ r: Int, _ e: Engine, _ record: (Int, UnsafeMutableBufferPointer<RawIdentifier>) -> (key: UnsafeRawBufferPointer, identifierCount: Int),
        into entry: PreparedAdd? = nil
    ) {
        let p = entry ?? ring[r % AddPipeline.ringSize]
        let (key, n) = record(r, raws)
        guard (0...capacity).contains(n) else {
            p.reset(erasures: e.erasures)
            p.error = IDRError(.invalidArgument, "record \(r) has \(n) identifiers, more than identifierCapacity \(capacity)")
            return
        }
        e.prepareAhead(p, key: key, identifiers: UnsafeBufferPointer(rebasing: raws[0..<n]))
    }
}

/// A record prepared ahead of its add by an ``AddPipeline``.
package final class PreparedAdd {
    let values = PendingValues()
    @exclusivity(unchecked) var key = UnsafeRawBufferPointer(start: nil, count: 0)
    @exclusivity(unchecked) var keyHash: UInt64 = 0
    /// XXH3-64 of the key: the ID a new entity would get (unless taken).
    @exclusivity(unchecked) var idHash: UInt64 = 0
    @exclusivity(unchecked) var error: IDRError? = nil
    /// ``Engine/erasures`` when it was prepared.
    @exclusivity(unchecked) var erasures = 0
    /// The entry a probe for the key / for each value compares first, or -1.
    @exclusivity(unchecked) var keyCandidate = -1
    let candidates = Column<Int>()

    /// Empties it for a new record.
    func reset(erasures: Int) {
        error = nil
        self.erasures = erasures
        values.reset()
        keyCandidate = -1
        candidates.removeAll()
    }
}
