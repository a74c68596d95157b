import CXXHash
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The signature of a batch's record source (``Engine/add(count:identifierCapacity:concurrentRecord:entity:)``):
/// fills the buffer with record `index`'s identifiers, returns its key and identifier count.
public typealias ConcurrentRecordSource = @Sendable (_ index: Int, _ identifiers: UnsafeMutableBufferPointer<RawIdentifier>)
    -> (key: UnsafeRawBufferPointer, identifierCount: Int)

/// A second thread that prepares a batch's records (checks, normalizes, hashes them, and tests
/// their values against the placeholder guard) ahead of the thread that adds them: the add
/// thread then spends its time on the engine's tables alone.
///
/// The feeder reads only copies of the engine's settings taken when the batch starts (kinds,
/// tombstones, fingerprinter, hasher) and the caller's records, never the engine itself, so the
/// engine may change under it. What it prepared from stale settings is prepared again by the
/// add thread (``AddPipeline``): after an erase during the batch, and for any record it
/// refused (a kind registered during the batch).
///
/// Records go through a ring of ``ringSize`` entries. The feeder publishes how many it has
/// prepared (`produced`, release order) and the add thread how many it has finished
/// (`consumed`); each side reads the other's counter only when it runs out of work, so the
/// counters' cache line moves between the cores a few times per ring, not per record.
package final class RecordFeeder: @unchecked Sendable {
    // @unchecked: the ring entries are handed between the two threads through `produced` and
    // `consumed` (acquire / release); everything else is immutable or owned by one thread.

    /// Ring entries: record `r` is prepared into entry `r % ringSize`.
    package static let ringSize = 256
    /// Batches smaller than this are prepared on the adding thread: a thread costs tens of
    /// microseconds to start, as much as a few dozen adds.
    package static let minimumCount = 1_024

    /// Held unmanaged (retained once, in `init`) and lent out by ``withPrepared(_:_:)`` and
    /// ``withEntry(_:_:)``: an array of class references retains each entry it hands out, which
    /// cost 5–8% of a batch add.
    private let ring: UnsafeMutableBufferPointer<Unmanaged<PreparedAdd>>
    /// Where each ring entry's objects live (fixed for the feeder's life), so the add thread
    /// can ask for their lines without reading them (``prefetch(_:)``).
    private let objects: UnsafeMutableBufferPointer<(entry: UnsafeRawPointer, values: UnsafeRawPointer, items: UnsafeRawPointer)>
    private let produced = Atomic<Int>(0)
    private let consumed = Atomic<Int>(0)
    private let stop = Atomic<Bool>(false)
    /// The add thread's last reading of `produced`.
    @exclusivity(unchecked) private var producedSeen = 0
    private var thread = pthread_t()

    // The feeder thread's own state.
    private let count: Int
    private let record: ConcurrentRecordSource
    private let kinds: KindRegistry
    private let tombstones: Set<Fingerprint>
    private let fingerprinter: ValueFingerprinter
    private let valueHasher: KeyHasher
    private let recordHasher: KeyHasher
    private let limits: ResolverConfiguration.Limits
    private let erasures: Int
    private let scratch: UnsafeMutablePointer<UInt8>
    private let scratchCapacity: Int
    private let raws: UnsafeMutableBufferPointer<RawIdentifier>
    private let capacity: Int

    /// Starts a feeder for records `0..<count` of `record` (at most `identifierCapacity`
    /// identifiers each) with `engine`'s current settings, or returns nil when no thread could
    /// be started (the caller then prepares on its own thread).
    package init?(engine e: Engine, count: Int, identifierCapacity: Int, record: @escaping ConcurrentRecordSource) {
        self.count = count
        self.record = record
        kinds = e.kinds
        tombstones = e.tombstones
        fingerprinter = e.fingerprinter
        valueHasher = e.values.hasher
        recordHasher = e.records.hasher
        limits = e.configuration.limits
        erasures = e.erasures
        scratchCapacity = e.scratchCapacity
        scratch = .allocate(capacity: scratchCapacity)
        raws = .allocate(capacity: max(identifierCapacity, 1))
        capacity = identifierCapacity
        ring = .allocate(capacity: RecordFeeder.ringSize)
        objects = .allocate(capacity: RecordFeeder.ringSize)
        for i in ring.indices {
            let p = PreparedAdd()
            p.values.scrubs = e.fingerprinter.isKeyed
            ring.initializeElement(at: i, to: Unmanaged.passRetained(p))
            objects.initializeElement(at: i, to: (UnsafeRawPointer(Unmanaged.passUnretained(p).toOpaque()),
                                                  UnsafeRawPointer(Unmanaged.passUnretained(p.values).toOpaque()),
                                                  p.values.itemsObject))
        }
        let me = Unmanaged.passRetained(self).toOpaque()
        guard pthread_create(&thread, nil, { raw in
            let feeder = Unmanaged<RecordFeeder>.fromOpaque(raw!).takeRetainedValue()
            feeder.run()
            return nil
        }, me) == 0 else {
            Unmanaged<RecordFeeder>.fromOpaque(me).release()
            return nil
        }
    }

    deinit {
        for entry in ring { entry.release() }
        ring.deallocate()
        objects.deallocate()
        scratch.update(repeating: 0, count: scratchCapacity)
        scratch.deallocate()
        raws.deallocate()
    }

    /// Stops the feeder and waits for its thread (call once, before the batch returns).
    package func finish() {
        stop.store(true, ordering: .relaxed)
        pthread_join(thread, nil)
    }

    /// Calls `body` with record `r`'s entry once the feeder has prepared it (waits if it has
    /// not yet). The add thread owns the entry until ``release(through:)`` passes `r`.
    @inline(__always)
    package func withPrepared<R>(_ r: Int, _ body: (PreparedAdd) -> R) -> R {
        if r >= producedSeen {
            var spins = 0
            while true {
                producedSeen = produced.load(ordering: .acquiring)
                if r < producedSeen { break }
                spins += 1
                if spins & 63 == 0 { sched_yield() }
            }
        }
        return withEntry(r, body)
    }

    /// Calls `body` with record `r`'s entry, already waited for by ``withPrepared(_:_:)``.
    @inline(__always)
    package func withEntry<R>(_ r: Int, _ body: (PreparedAdd) -> R) -> R {
        ring[r % RecordFeeder.ringSize]._withUnsafeGuaranteedRef(body)
    }

    /// Asks the CPU for the lines of record `r`'s entry objects (a hint), if the feeder is known
    /// to have prepared it; otherwise does nothing (the lines may still be being written).
    ///
    /// Why: the feeder's core wrote those lines, so each first read from this core waits for
    /// a transfer between cores, and the reads depend on one another (entry, value list, item
    /// column, items). Read on demand they took a fifth of a batch add's time at 10M records.
    @inline(__always)
    package func prefetch(_ r: Int) {
        guard r < producedSeen else { return }
        let o = objects[r % RecordFeeder.ringSize]
        idr_prefetch(o.entry)
        idr_prefetch(o.entry + 64)
        idr_prefetch(o.values)
        idr_prefetch(o.values + 64)
        idr_prefetch(o.items)
        idr_prefetch(o.items + 32)
    }

    /// Asks for the lines of record `r`'s prepared values, once its objects are in cache
    /// (``prefetch(_:)`` a few steps earlier); does nothing if `r` is not known to be prepared.
    @inline(__always)
    package func prefetchValues(_ r: Int) {
        guard r < producedSeen else { return }
        withEntry(r) { $0.values.prefetchContents() }
    }

    /// Hands the entries of records before `r + 1` back to the feeder.
    @inline(__always)
    package func release(through r: Int) {
        // Every 16 records: the feeder is rarely short of room, and each store pulls the line
        // away from the feeder's core.
        if r & 15 == 15 || r == count - 1 { consumed.store(r + 1, ordering: .releasing) }
    }

    /// The feeder thread: prepares records in order while the ring has room.
    private func run() {
        var consumedSeen = 0
        for r in 0..<count {
            if r - consumedSeen >= RecordFeeder.ringSize {
                var spins = 0
                while true {
                    if stop.load(ordering: .relaxed) { return }
                    consumedSeen = consumed.load(ordering: .acquiring)
                    if r - consumedSeen < RecordFeeder.ringSize { break }
                    spins += 1
                    if spins & 63 == 0 { sched_yield() }
                }
            }
            if stop.load(ordering: .relaxed) { return }
            ring[r % RecordFeeder.ringSize]._withUnsafeGuaranteedRef { prepare(r, into: $0) }
            if r & 7 == 7 || r == count - 1 { produced.store(r + 1, ordering: .releasing) }
        }
    }

    /// Prepares record `r` as ``Engine/prepareAhead(_:key:identifiers:)`` would, from the copies.
    private func prepare(_ r: Int, into p: PreparedAdd) {
        p.reset(erasures: erasures)
        let (key, n) = record(r, raws)
        guard (0...capacity).contains(n) else {
            p.error = IDRError(.invalidArgument, "record \(r) has \(n) identifiers, more than identifierCapacity \(capacity)")
            return
        }
        do {
            let base = try kinds.validate(recordKey: key, identifiers: UnsafeBufferPointer(rebasing: raws[0..<n]), limits: limits)
            p.key = UnsafeRawBufferPointer(start: base, count: key.count)
        } catch {
            p.error = error
            return
        }
        Engine.prepare(UnsafeBufferPointer(rebasing: raws[0..<n]), into: p.values, kinds: kinds, tombstones: tombstones,
                       fingerprinter: fingerprinter, hasher: valueHasher, checkPlaceholders: true,
                       scratch: scratch, scratchCapacity: scratchCapacity)
        p.keyHash = recordHasher.hash(p.key.baseAddress, p.key.count, tag: 0)
        p.idHash = XXH3.hash64(p.key)
    }
}
