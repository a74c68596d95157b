/// Snapshot format, version 1 (little-endian; README, "Persistence"):
///
///     "IDRSNAP\0"  u32 version  u64 generation
///     section*: u32 tag, u64 length, u64 XXH3-64 of the payload, payload
///       1 configuration (custom kinds included, in registration order)
///       2 records: u64 count, then key, u64 age, u32 n, n × (u32 kind, normalized value)
///       3 entities: u64 sequence, u64 invalid count, u64 slots, slots × (u64 id, u64 created,
///         u8 alive, u32 forward), then one u32 slot per record (in records order)
///     "IDREND\0\0"  u64 XXH3-64 of everything before
///
/// Loading rebuilds the engine through its normal paths and then checks that the stored
/// entities agree with the rebuilt partition, so a corrupted file is refused, never half-used.
extension Engine {
    static let snapshotMagic: [UInt8] = Array("IDRSNAP\0".utf8)
    static let snapshotEnd: [UInt8] = Array("IDREND\0\0".utf8)
    static let snapshotVersion: UInt32 = 1

    /// The engine's state as snapshot bytes.
    func snapshotBytes(generation: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: values.arena.count + records.arena.count + recordCount * 32)
        Engine.snapshotMagic.withUnsafeBytes { w.raw($0) }
        w.u32(Engine.snapshotVersion)
        w.u64(generation)
        section(&w, tag: 1) { configurationPayload(&$0) }
        let alive = (0..<records.count).filter { recordAlive[$0] }
        section(&w, tag: 2) { p in
            p.u64(UInt64(alive.count))
            for r in alive {
                records.withBytes(at: r) { p.blob($0) }
                p.u64(recordSeq[r])
                p.u32(UInt32(recordOccurrences[r].count))
                for node in recordOccurrences[r] {
                    let v = Int(occValue[Int(node)])
                    p.u32(values.tag(v))
                    values.withBytes(at: v) { p.blob($0) }
                }
            }
        }
        section(&w, tag: 3) { p in
            p.u64(sequence)
            p.u64(UInt64(invalidValueCount))
            p.u64(UInt64(entityID.count))
            for s in entityID.indices {
                p.u64(entityID[s])
                p.u64(entityCreated[s])
                p.u8(entityAlive[s] ? 1 : 0)
                p.u32(slotForward[s])
            }
            for r in alive { p.u32(rootEntity[Int(uf.root(of: UInt32(r)))]) }
        }
        Engine.snapshotEnd.withUnsafeBytes { w.raw($0) }
        let digest = w.bytes.withUnsafeBytes { XXH3.hash64($0) }
        w.u64(digest)
        return w.bytes
    }

    private func section(_ w: inout ByteWriter, tag: UInt32, _ body: (inout ByteWriter) -> Void) {
        var p = ByteWriter()
        body(&p)
        w.u32(tag)
        w.u64(UInt64(p.bytes.count))
        w.u64(p.bytes.withUnsafeBytes { XXH3.hash64($0) })
        p.bytes.withUnsafeBytes { w.raw($0) }
    }

    /// The effective configuration: the one given, plus every custom kind registered since.
    private func configurationPayload(_ p: inout ByteWriter) {
        let c = configuration
        p.u32(UInt32(c.defaultCountryCode))
        switch c.phoneTrunkPrefix {
        case .automatic: p.u32(0xFFFF_FFFF)
        case .none: p.u32(0xFFFF_FFFE)
        case .digit(let d): p.u32(UInt32(d))
        }
        p.u8((c.emailDropPlusTag ? 1 : 0) | (c.emailGmailDots ? 2 : 0) | (c.builtInPlaceholders ? 4 : 0) | (c.genericGuard ? 8 : 0))
        let thresholds = c.genericThresholds.sorted { $0.key < $1.key }
        p.u32(UInt32(thresholds.count))
        for (k, t) in thresholds { p.u32(k.rawValue); p.u32(UInt32(t)) }
        p.u32(UInt32(c.customGenericThreshold))
        p.u32(UInt32(c.distinguishingKinds.count))
        for k in c.distinguishingKinds { p.u32(k.rawValue) }
        for l in [c.limits.maxRecordKeyLength, c.limits.maxValueLength, c.limits.maxIdentifiersPerRecord,
                  c.limits.maxRecords, c.limits.maxCustomKinds] { p.u64(UInt64(l)) }
        for list in [c.placeholderValues, c.placeholderPatterns] {
            p.u32(UInt32(list.count))
            for id in list { p.u32(id.kind.rawValue); p.string(id.value) }
        }
        let custom = kinds.indices.filter { $0 >= Int(IdentifierKind.firstCustomRawValue) && kinds[$0].registered }
        p.u32(UInt32(custom.count))
        for k in custom {
            let info = kinds[k]
            p.string(info.name)
            p.u8(info.rule.rawValue)
            p.u32(UInt32(info.genericThreshold))
            p.u8(info.distinguishesCustomers ? 1 : 0)
        }
    }

    private static func readConfiguration(_ r: inout ByteReader) throws(IDRError) -> ResolverConfiguration {
        var c = ResolverConfiguration()
        c.defaultCountryCode = Int(try r.u32())
        switch try r.u32() {
        case 0xFFFF_FFFF: c.phoneTrunkPrefix = .automatic
        case 0xFFFF_FFFE: c.phoneTrunkPrefix = .none
        case let d where d <= 9: c.phoneTrunkPrefix = .digit(UInt8(d))
        default: throw r.corrupt("bad phone trunk prefix")
        }
        let flags = try r.u8()
        c.emailDropPlusTag = flags & 1 != 0
        c.emailGmailDots = flags & 2 != 0
        c.builtInPlaceholders = flags & 4 != 0
        c.genericGuard = flags & 8 != 0
        c.genericThresholds = [:]
        for _ in 0..<Int(try r.u32()) where r.remaining >= 0 {
            let k = try r.u32(), t = try r.u32()
            c.genericThresholds[IdentifierKind(rawValue: k)] = Int(t)
        }
        c.customGenericThreshold = Int(try r.u32())
        let distinguishing = Int(try r.u32())
        try r.need(distinguishing * 4)
        c.distinguishingKinds = []
        for _ in 0..<distinguishing { c.distinguishingKinds.append(IdentifierKind(rawValue: try r.u32())) }
        var limits: [Int] = []
        for _ in 0..<5 {
            let l = try r.u64()
            guard l <= 4_000_000_000 else { throw r.corrupt("a limit is out of range") }
            limits.append(Int(l))
        }
        c.limits.maxRecordKeyLength = limits[0]
        c.limits.maxValueLength = limits[1]
        c.limits.maxIdentifiersPerRecord = limits[2]
        c.limits.maxRecords = limits[3]
        c.limits.maxCustomKinds = limits[4]
        var lists: [[Identifier]] = []
        for _ in 0..<2 {
            let n = Int(try r.u32())
            try r.need(n * 8)
            var list: [Identifier] = []
            for _ in 0..<n {
                let k = try r.u32()
                list.append(Identifier(IdentifierKind(rawValue: k), try r.string(limit: 1 << 20)))
            }
            lists.append(list)
        }
        c.placeholderValues = lists[0]
        c.placeholderPatterns = lists[1]
        let customCount = Int(try r.u32())
        try r.need(customCount * 10)
        for _ in 0..<customCount {
            let name = try r.string(limit: 64)
            guard let rule = NormalizationRule(rawValue: try r.u8()) else { throw r.corrupt("unknown rule") }
            let threshold = Int(try r.u32())
            let distinguishes = try r.u8() != 0
            c.customKinds.append(.init(name: name, rule: rule, genericThreshold: threshold, distinguishesCustomers: distinguishes))
        }
        guard r.remaining == 0 else { throw r.corrupt("trailing bytes in the configuration") }
        return c
    }

    /// Parses and checks snapshot bytes; returns the engine and the snapshot's generation.
    static func fromSnapshot(_ bytes: [UInt8], name: String) throws(IDRError) -> (Engine, UInt64) {
        let result: Result<(Engine, UInt64), IDRError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(IDRError) -> (Engine, UInt64) in try parseSnapshot(buffer, name: name) }
        }
        return try result.get()
    }

    private static func parseSnapshot(_ buffer: UnsafeRawBufferPointer, name: String) throws(IDRError) -> (Engine, UInt64) {
        var r = ByteReader(buffer, what: name)
        guard buffer.count >= 36, Array(try r.raw(8)) == snapshotMagic else {
            throw IDRError(.corruptData, "\(name) is not an idr snapshot (bad magic)")
        }
        let version = try r.u32()
        guard version == snapshotVersion else {
            throw IDRError(.corruptData, "\(name) is snapshot version \(version); this library reads version \(snapshotVersion)")
        }
        let digest = XXH3.hash64(UnsafeRawBufferPointer(rebasing: buffer[0..<(buffer.count - 8)]))
        var tail = ByteReader(buffer, range: (buffer.count - 16)..<buffer.count, what: name)
        guard Array(try tail.raw(8)) == snapshotEnd, try tail.u64() == digest else {
            throw IDRError(.corruptData, "\(name) is truncated or corrupted (checksum mismatch)")
        }
        let generation = try r.u64()
        var sections: [UInt32: Range<Int>] = [:]
        while r.remaining > 16 {
            let tag = try r.u32()
            let length = try r.u64()
            let hash = try r.u64()
            guard length <= UInt64(r.remaining - 16) else { throw r.corrupt("section \(tag) runs past the end") }
            let start = r.offset
            let payload = try r.raw(Int(length))
            guard XXH3.hash64(payload) == hash else { throw r.corrupt("section \(tag) checksum mismatch") }
            guard (1...3).contains(tag), sections[tag] == nil else { throw r.corrupt("unknown or repeated section \(tag)") }
            sections[tag] = start..<(start + Int(length))
        }
        guard let configRange = sections[1], let recordsRange = sections[2], let entitiesRange = sections[3] else {
            throw IDRError(.corruptData, "\(name) lacks a section")
        }
        var cr = ByteReader(buffer, range: configRange, what: "\(name) configuration")
        let configuration = try readConfiguration(&cr)
        let engine: Engine
        do {
            engine = try Engine(configuration: configuration)
        } catch {
            throw IDRError(.corruptData, "\(name): stored configuration is invalid: \(error.message)")
        }
        var rr = ByteReader(buffer, range: recordsRange, what: "\(name) records")
        var er = ByteReader(buffer, range: entitiesRange, what: "\(name) entities")
        try engine.restore(records: &rr, entities: &er)
        return (engine, generation)
    }

    /// Rebuilds records, statuses and links from the snapshot, then installs and checks the
    /// stored entities.
    private func restore(records rr: inout ByteReader, entities er: inout ByteReader) throws(IDRError) {
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
            var ids: [RawIdentifier] = []
            for _ in 0..<n {
                let kind = IdentifierKind(rawValue: try rr.u32())
                ids.append(RawIdentifier(kind: kind, value: try rr.blob(limit: configuration.limits.maxValueLength)))
            }
            let r = try ids.withUnsafeBufferPointer { (b) throws(IDRError) -> Int in try insertWithoutLinking(key: key, seq: seq, identifiers: b) }
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
            slotOfID[id] = UInt32(entityID.count)
            entityID.append(id)
            entityCreated.append(created)
            entityAlive.append(alive == 1)
            slotForward.append(forward)
            entityAnchor.append(Engine.none)
            maxSeq = max(maxSeq, created)
        }
        for s in 0..<slots where slotForward[s] != Engine.none {
            guard slotForward[s] != UInt32(s) else { throw er.corrupt("a slot forwards to itself") }
            redirects[entityID[s]] = entityID[Int(slotForward[s])]
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
        // Forward chains must end at a live slot (no cycles).
        for s in 0..<slots where slotForward[s] != Engine.none {
            var x = s
            var hops = 0
            while slotForward[x] != Engine.none {
                x = Int(slotForward[x])
                hops += 1
                guard hops <= slots else { throw er.corrupt("a cycle of entity forwards") }
            }
        }
        for v in 0..<values.count where links(v) && valueHead[v] != Engine.none {
            valueSlot[v] = rootEntity[Int(uf.find(occRecord[Int(valueHead[v])]))]
        }
    }

    /// Interns a record and its identifiers (normalized again: a snapshot's values are already
    /// normal, so this is a check) and links occurrences, without touching entities.
    private func insertWithoutLinking(key: UnsafeRawBufferPointer, seq: UInt64, identifiers: UnsafeBufferPointer<RawIdentifier>) throws(IDRError) -> Int {
        let keyBase = try kinds.validate(recordKey: key, identifiers: identifiers, limits: configuration.limits)
        var valueSet: [UInt32] = []
        for id in identifiers {
            let rule = kinds[Int(id.kind.rawValue)].rule
            guard case .valid(let n) = kinds.normalizer.normalize(id.value, rule: rule, into: scratch),
                  n == id.value.count, memcmpBytes(scratch, id.value.baseAddress!.assumingMemoryBound(to: UInt8.self), n)
            else {
                throw IDRError(.corruptData, "snapshot holds a value that is not in normal form")
            }
            valueSet.append(try internValue(kind: id.kind.rawValue, rule: rule, length: n))
        }
        let (index, inserted) = try records.intern(tag: 0, keyBase, key.count)
        guard inserted else { return -1 }
        appendRecordSlots()
        let r = Int(index)
        recordAlive[r] = true
        recordSeq[r] = seq
        recordCount += 1
        valueSet.sort()
        valueSet = valueSet.enumerated().filter { $0.offset == 0 || valueSet[$0.offset - 1] != $0.element }.map(\.element)
        recordOccurrences[r] = valueSet.map { linkOccurrence(record: UInt32(r), value: $0) }
        return r
    }
}
