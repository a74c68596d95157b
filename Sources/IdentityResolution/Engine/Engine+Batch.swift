extension Engine {
    /// Adds `count` records in one call, with the same result as calling
    /// ``add(recordKey:identifiers:)`` for each in order: upserts, events, log entries and IDs
    /// are the same. It is faster because each record is normalized and hashed a few records
    /// ahead of its add, and the table slots it will touch are fetched from memory meanwhile
    /// (``AddPipeline``).
    ///
    /// - Parameters:
    ///   - identifierCapacity: the most identifiers one record has (at most
    ///     `maxIdentifiersPerRecord`); the buffer `record` fills has this many entries.
    ///   - record: writes record `index`'s identifiers into the buffer and returns its key and
    ///     how many identifiers it wrote. The key and value bytes must stay valid until the call
    ///     returns. It may be called more than once for one index (after an ``erase(_:_:)`` from
    ///     an event handler) and must then describe the same record.
    ///   - entity: called with each record's index and entity ID once it is added, in order.
    /// - Throws: the first record's error (as ``add(recordKey:identifiers:)``); the records
    ///   before it are added (their `entity` calls were made), it and the ones after are not.
    public func add(
        count: Int, identifierCapacity: Int,
        record: (_ index: Int, _ identifiers: UnsafeMutableBufferPointer<RawIdentifier>) -> (key: UnsafeRawBufferPointer, identifierCount: Int),
        entity: (_ index: Int, _ id: UInt64) -> Void
    ) throws(IDRError) {
        guard count > 0 else { return }
        let pipeline = try AddPipeline(engine: self, identifierCapacity: identifierCapacity)
        for step in 0..<(count + AddPipeline.lag) {
            if let (r, id) = try pipeline.step(step, count: count, engine: self, record: record) { entity(r, id) }
        }
    }
}

extension Engine {
    /// ``add(count:identifierCapacity:record:entity:)`` with the records prepared (checked,
    /// normalized, hashed, tested against the placeholder guard) on a second thread while this
    /// one adds them: the same result, about a third less time per record on this thread.
    ///
    /// `record` is called from the second thread, and sometimes from this one at the same
    /// time (a record prepared again after an erase during the batch): it must only read memory
    /// that stays unchanged during the call, as columns of a parsed file or a data frame do.
    /// Batches under ``RecordFeeder/minimumCount`` records, or when no thread can be started,
    /// run on this thread alone.
    ///
    /// - Throws: as ``add(count:identifierCapacity:record:entity:)``.
    public func add(
        count: Int, identifierCapacity: Int,
        concurrentRecord record: ConcurrentRecordSource,
        entity: (_ index: Int, _ id: UInt64) -> Void
    ) throws(IDRError) {
        try add(count: count, identifierCapacity: identifierCapacity, concurrentRecord: record, entity: entity,
                feederMinimum: RecordFeeder.minimumCount)
    }

    /// The concurrent batch with the smallest batch given a second thread (tests use 0).
    func add(
        count: Int, identifierCapacity: Int, concurrentRecord record: ConcurrentRecordSource,
        entity: (_ index: Int, _ id: UInt64) -> Void, feederMinimum: Int
    ) throws(IDRError) {
        guard count > 0 else { return }
        // The second thread holds the closure only until the pipeline finishes, within this call.
        let result: Result<Void, IDRError> = withoutActuallyEscaping(record) { record in
            Result { () throws(IDRError) in
                let pipeline = try AddPipeline(engine: self, identifierCapacity: identifierCapacity, count: count,
                                               concurrentRecord: record, feederMinimum: feederMinimum)
                defer { pipeline.finish() }
                for step in 0..<(count + AddPipeline.lag) {
                    if let (r, id) = try pipeline.step(step, count: count, engine: self, record: record) { entity(r, id) }
                }
            }
        }
        try result.get()
    }
}

extension Engine {
    // The stages of an ``AddPipeline``. They are engine methods, not pipeline ones: reached
    // from another class, the kinds and intern tables were copied on each call (a retain and
    // release per array inside them).

    /// Checks and normalizes a record into `p`, hashes its key and values, and asks for the
    /// slots they probe. Changes nothing in the engine.
    func prepareAhead(_ p: PreparedAdd, key: UnsafeRawBufferPointer, identifiers: UnsafeBufferPointer<RawIdentifier>) {
        p.reset(erasures: erasures)
        do {
            let base = try kinds.validate(recordKey: key, identifiers: identifiers, limits: configuration.limits)
            p.key = UnsafeRawBufferPointer(start: base, count: key.count)
        } catch {
            p.error = error
            return
        }
        prepare(identifiers, into: p.values)
        p.keyHash = keyHash(p.key)
        p.idHash = XXH3.hash64(p.key)
        fetchSlots(p)
    }

    /// Asks for the table slots a prepared record's add probes: its key's, its values' and
    /// that of the ID a new entity would get (unless taken).
    func fetchSlots(_ p: PreparedAdd) {
        guard p.error == nil else { return }
        // Each hash is read before the table is named, and the table names its lines before
        // they are fetched: a call while a table is borrowed would make Swift copy it (a retain
        // and release per array inside; ``CacheLines``).
        let kh = p.keyHash
        records.slotLines(hash: kh).prefetch()
        for i in 0..<p.values.count {
            let h = p.values.hash(i)
            values.slotLines(hash: h).prefetch()
        }
        let id = p.idHash
        slotOfID.lines(id: id).prefetch()
    }

    /// Reads the slots fetched by ``prepareAhead(_:key:identifiers:)`` and asks for the
    /// entries and per-value state they name.
    func fetchEntries(_ p: PreparedAdd) {
        guard p.error == nil else { return }
        if let k = records.candidate(hash: p.keyHash) {
            p.keyCandidate = k
            records.entryLine(k).prefetch()
            recordAlive.prefetch(k)
            recordHead.prefetch(k)
            uf.parent.prefetch(k)
        }
        for i in 0..<p.values.count {
            guard let v = values.candidate(hash: p.values.hash(i)) else {
                p.candidates.append(-1)
                continue
            }
            p.candidates.append(v)
            values.entryLine(v).prefetch()
            valueHead.prefetch(v)
            valueDegree.prefetch(v)
            valueSlot.prefetch(v)
            valueIsPlaceholder.prefetch(v)
            valueGeneric.prefetch(v)
        }
    }

    /// Asks for the candidates' bytes (the add compares them) and the first record of each
    /// value's list (the add joins its entity).
    func fetchLists(_ p: PreparedAdd) {
        guard p.error == nil else { return }
        if p.keyCandidate >= 0 { records.bytesLine(p.keyCandidate).prefetch() }
        for v in p.candidates where v >= 0 && v < valueHead.count {
            values.bytesLine(v).prefetch()
            let head = valueHead[v]
            if head != Engine.none {
                occRecord.prefetch(Int(head))
                occNext.prefetch(Int(head))
            }
            // The entity the value holds: the add joins it through its forward and anchor, and
            // compares its creation time (``joinComponents(record:)``).
            let slot = Int(valueSlot[v])
            slotForward.prefetch(slot)
            entityAnchor.prefetch(slot)
            entityCreated.prefetch(slot)
        }
    }

    /// Asks for the root record of each entity a value holds (the anchor ``fetchLists(_:)``
    /// brought in): the add unites the roots' sets and returns the survivor's ID.
    func fetchRoots(_ p: PreparedAdd) {
        guard p.error == nil else { return }
        for v in p.candidates where v >= 0 && v < valueSlot.count {
            var slot = Int(valueSlot[v])
            guard slot < slotForward.count else { continue }
            if slotForward[slot] != Engine.none { slot = Int(slotForward[slot]) }
            entityID.prefetch(slot)
            guard slot < entityAnchor.count else { continue }
            let root = Int(entityAnchor[slot])
            uf.parent.prefetch(root)
            uf.size.prefetch(root)
            rootEntity.prefetch(root)
        }
    }
}
