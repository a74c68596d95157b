#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Reads that never wait for a write: the left-right protocol over the engine and a mirror.
///
/// With the reader-writer lock a lookup that arrives during an add waits for the add to end;
/// beside a writer adding one record at a time that put the lookups' p99 at 2 µs, against
/// 0.7 µs without the writer (README, "Performance"). A mirror is a second copy of the engine.
/// Readers read one copy while the writer changes the other: a write runs on the engine (the
/// copy with the log, the events and the snapshots) while readers read the mirror, then readers
/// are sent to the engine and the mirror applies the write from the engine's change feed
/// (``ChangeFeed``: the log's entries, with normalized values, so the mirror redoes no
/// normalizing or hashing). Sending readers over and waiting for the last reader of the old copy
/// to leave is the writer's job (Ramalhete and Correia's left-right protocol): a reader only
/// raises and lowers one of two counters, whatever the writer is doing.
///
/// The costs: twice the engine's memory, and each write done twice, plus a wait for the readers
/// of a copy to leave it (at most one query each) twice per write. A reader sees every write
/// once the write's call has returned, as with the lock; during the call it may see the state
/// before it.
extension SharedEngine {
    /// Gives readers a mirror of the engine from now on, so they never wait for writers. The
    /// mirror is built from a snapshot of the engine, in memory (as long as a save takes, while
    /// readers go on reading; other writers wait). Calling it again does nothing.
    ///
    /// Everything that changes the engine must then go through ``write(_:)`` or
    /// ``add(recordKey:identifiers:)``, as before; an ``Engine/eventHandler`` must not change the
    /// engine itself (the mirror would not see that change).
    ///
    /// - Throws: what loading the snapshot throws (nothing short of a bug); the engine is then
    ///   shared as before.
    public func mirrorReads() throws(IDRError) {
        pthread_mutex_lock(writers)
        defer { pthread_mutex_unlock(writers) }
        guard !mirrored.load(ordering: .relaxed) else { return }
        // Only writers change the engine, and they wait for `writers`: readers may go on.
        let copy = try engine.makeMirror()
        exclusive { (e) -> Void in
            e.feed = ChangeFeed()
            mirror = copy
            front.store(1, ordering: .sequentiallyConsistent)
            mirrored.store(true, ordering: .releasing)
        }
    }

    /// Whether readers read a mirror (``mirrorReads()``).
    public var mirrorsReads: Bool { mirrored.load(ordering: .acquiring) }

    /// Why the mirror was dropped, if it was: readers then take the lock again. (Rebuilding a
    /// mirror whose replay failed can fail only short of a bug.)
    public var mirrorFailure: IDRError? {
        pthread_mutex_lock(writers)
        defer { pthread_mutex_unlock(writers) }
        return droppedMirror
    }

    /// A reader's side: raise the counter of the current version, read the copy in front, lower it.
    @inline(__always)
    func readMirrored<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        let v = version.load(ordering: .sequentiallyConsistent)
        if v == 0 { arrivals0.wrappingAdd(1, ordering: .sequentiallyConsistent) } else { arrivals1.wrappingAdd(1, ordering: .sequentiallyConsistent) }
        defer {
            if v == 0 { arrivals0.wrappingSubtract(1, ordering: .releasing) } else { arrivals1.wrappingSubtract(1, ordering: .releasing) }
        }
        // The mirror was dropped: a writer waits for this counter before it takes the lock.
        guard mirrored.load(ordering: .sequentiallyConsistent) else { return try readLocked(body) }
        let copy = front.load(ordering: .sequentiallyConsistent) == 0 ? engine : mirror.unsafelyUnwrapped
        return try body(copy)
    }

    /// A write in mirrored mode; the caller holds `writers`. The engine changes while readers
    /// read the mirror; then the mirror catches up while they read the engine.
    func writeMirrored<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        if front.load(ordering: .relaxed) == 0 { publish(1) }
        let result = Result { () throws(E) -> R in try body(engine) }
        catchUp()
        return try result.get()
    }

    /// Sends readers to copy `f` and waits until no reader is left on the other one.
    private func publish(_ f: Int) {
        front.store(f, ordering: .sequentiallyConsistent)
        // Readers that read the old front have raised a counter before reading it. Wait for
        // the idle counter to empty, switch new readers over to it, then wait for the other.
        let v = version.load(ordering: .relaxed)
        waitForReaders(1 - v)
        version.store(1 - v, ordering: .sequentiallyConsistent)
        waitForReaders(v)
    }

    private func waitForReaders(_ v: Int) {
        var n = 0
        while (v == 0 ? arrivals0.load(ordering: .sequentiallyConsistent) : arrivals1.load(ordering: .sequentiallyConsistent)) != 0 {
            // A reader holds a counter for one query; one preempted holds it for a time slice.
            n += 1
            if n >= SharedEngine.spins { sched_yield() }
        }
    }

    /// Applies the engine's new writes to the mirror, with readers on the engine. A mirror
    /// whose replay fails (a bug: the feed is the engine's own) is rebuilt from the engine, and
    /// if that fails too, dropped (``dropMirror(_:)``).
    private func catchUp() {
        guard let feed = engine.feed, !feed.isEmpty, let copy = mirror else { return }
        publish(0)
        do throws(IDRError) {
            try feed.drain(into: copy)
        } catch {
            do throws(IDRError) {
                mirror = try engine.makeMirror()
            } catch let failure {
                dropMirror(failure)
            }
        }
    }

    /// Goes back to the lock: readers arriving from now on take it, and the writer waits for
    /// the ones already on the left-right path (each re-checks `mirrored` after raising its
    /// counter, so none can slip past) before writers change the engine under the lock again.
    private func dropMirror(_ failure: IDRError) {
        mirrored.store(false, ordering: .sequentiallyConsistent)
        waitForReaders(0)
        waitForReaders(1)
        mirror = nil
        engine.feed = nil
        droppedMirror = failure
    }
}

extension Engine {
    /// A copy of this engine built from its snapshot, in memory: the same records, entities,
    /// IDs, kinds and configuration, and no storage, log, events or feed. It has room for as
    /// many more records and identifiers as the engine (a reserve made before the mirror):
    /// otherwise its tables would grow, a rehash at a time, during the mirrored writes that
    /// the engine's reserve was made for.
    ///
    /// - Throws: what loading the snapshot throws.
    package func makeMirror() throws(IDRError) -> Engine {
        let bytes = snapshotBytes(generation: 0)
        let loaded: Result<Engine, IDRError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(IDRError) -> Engine in
                try Engine.parseSnapshot(buffer, name: "mirror snapshot", secret: configuration.hashOnlySecret).0
            }
        }
        let copy = try loaded.get()
        copy.reserveCapacity(records: max(reservedFor.records - recordSeq.count, 0),
                             identifiers: max(reservedFor.identifiers - occRecord.count, 0))
        return copy
    }
}
