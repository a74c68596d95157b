/// Loading of snapshot versions 1 and 2, which stored each record with its values: the engine
/// is rebuilt through its normal paths (every value re-checked, every link redone), then the
/// stored entities are checked against the rebuilt partition. Slow (about 4 µs per record) but
/// only met once: the next save writes the current version.
extension Engine {
    /// Rebuilds records, statuses and links from the snapshot, then installs and checks the
    /// stored entities.
    func restoreLegacy(records rr: inout ByteReader, entities er: inout ByteReader, version: UInt32) throws(IDRError) {
        let count = try rr.count(minimumSize: 16)
        guard count <= configuration.limits.maxRecords else { throw rr.corrupt("more records than max_records") }
        var order: [UInt32] = []
        order.reserveCapacity(count)
        // About 1.5 identifiers per record in customer data; the bytes left bound it anyway.
        reserveCapacity(records: count, identifiers: min(count * 2, rr.remaining / 8))
        var maxSeq: UInt64 = 0
        for _ in 0..<count {
            let key = try rr.blob(limit: configuration.limits.maxRecordKeyLength)
            let seq = try rr.u64()
            let n = Int(try rr.u32())
            guard n <= configuration.limits.maxIdentifiersPerRecord else { throw rr.corrupt("too many identifiers") }
            pending.reset()
            // Stored flags are trusted in hash-only mode only (the bytes are fingerprints there).
            pending.placeholdersChecked = fingerprinter.isKeyed
            for _ in 0..<n {
                let kind = try rr.u32()
                let placeholder = version >= 2 ? try rr.u8() : 0
                let value = try rr.blob(limit: maxStoredValueLength)
                guard Int(kind) < kinds.count, kinds[Int(kind)].registered, placeholder <= 1 else {
                    throw rr.corrupt("an unknown kind")
                }
                guard isNormal(value, kind: kind) else {
                    throw IDRError(.corruptData, "snapshot holds a value that is not in normal form")
                }
                appendPending(pending, kind: kind, placeholder: placeholder == 1, value)
            }
            let r = try insertWithoutLinking(key: key, seq: seq)
            guard r == order.count else { throw rr.corrupt("a record key appears twice") }
            order.append(UInt32(r))
            maxSeq = max(maxSeq, seq)
        }
        guard rr.remaining == 0 else { throw rr.corrupt("trailing bytes") }
        // Statuses and links, as any sequence of adds would have left them.
        for v in 0..<values.count where links(v) && isGenericNow(v) {
            valueGeneric[v] = true
            genericValueCount += 1
        }
        for v in 0..<values.count where links(v) {
            var first = Engine.none
            forEachRecord(of: v) { r in
                if first == Engine.none { first = r } else { uf.union(first, r) }
            }
        }
        // Entities.
        sequence = try er.u64()
        invalidValueCount = Int(clamping: try er.u64())
        let slots = try er.count(minimumSize: 21)
        for _ in 0..<slots {
            let id = try er.u64(), created = try er.u64(), alive = try er.u8(), forward = try er.u32()
            guard id != 0, slotOfID[id] == nil, alive <= 1, forward == Engine.none || Int(forward) < slots else {
                throw er.corrupt("a bad entity slot")
            }
            guard (alive == 1) == (forward == Engine.none) || alive == 0 else { throw er.corrupt("a live slot forwards") }
            guard entityCreated.last.map({ $0 < created }) ?? true else { throw er.corrupt("entity slots out of creation order") }
            slotOfID.insert(id, slot: UInt32(entityID.count))
            entityID.append(id)
            entityCreated.append(created)
            entityAlive.append(alive == 1)
            slotForward.append(forward)
            entityAnchor.append(Engine.none)
            maxSeq = max(maxSeq, created)
        }
        // A merge's survivor is the older entity, so forwards point to lower slots: no cycles.
        for s in 0..<slots where slotForward[s] != Engine.none {
            guard slotForward[s] < UInt32(s) else { throw er.corrupt("a slot forwards to a newer one") }
        }
        guard sequence >= maxSeq else { throw er.corrupt("the sequence is behind the records") }
        for r in order {
            let slot = try er.u32()
            guard Int(slot) < slots, entityAlive[Int(slot)] else { throw er.corrupt("a record in a dead or unknown entity") }
            let root = Int(uf.find(r))
            if rootEntity[root] == Engine.none {
                guard entityAnchor[Int(slot)] == Engine.none else { throw er.corrupt("two entities share a slot") }
                rootEntity[root] = slot
                entityAnchor[Int(slot)] = UInt32(root)
            } else if rootEntity[root] != slot {
                throw er.corrupt("one entity's records name different slots")
            }
        }
        guard er.remaining == 0 else { throw er.corrupt("trailing bytes") }
        for s in 0..<slots where entityAlive[s] {
            guard entityAnchor[s] != Engine.none else { throw er.corrupt("a live entity without records") }
            liveEntities += 1
        }
        for v in 0..<values.count where links(v) && valueHead[v] != Engine.none {
            setValueSlot(v, rootEntity[Int(uf.find(occRecord[Int(valueHead[v])]))])
        }
    }

    /// Interns a record and the values in ``pending`` and links occurrences, without touching
    /// entities. Returns -1 if the key is already there.
    private func insertWithoutLinking(key: UnsafeRawBufferPointer, seq: UInt64) throws(IDRError) -> Int {
        let keyBase = try kinds.validate(recordKey: key, identifiers: UnsafeBufferPointer(start: nil, count: 0), limits: configuration.limits)
        var valueSet: [UInt32] = []
        try internValues(pending, into: &valueSet)
        let (index, inserted) = try records.intern(tag: 0, keyBase, key.count)
        guard inserted else { return -1 }
        appendRecordSlots()
        let r = Int(index)
        recordAlive[r] = true
        recordSeq[r] = seq
        recordCount += 1
        linkRecord(r, values: valueSet)
        return r
    }
}
