/// Snapshot format, version 2 (little-endian; README, "Persistence"):
///
///     "IDRSNAP\0"  u32 version  u64 generation
///     section*: u32 tag, u64 length, u64 XXH3-64 of the payload, payload
///       1 configuration (custom kinds included, in registration order), then u8 flags
///         (1 hash-only, 2 erasure tombstones) and u64 secret verifier (0 without a secret)
///       2 records: u64 count, then key, u64 age, u32 n, n × (u32 kind, u8 placeholder,
///         normalized value, or its 16-byte fingerprint in hash-only mode)
///       3 entities: u64 sequence, u64 invalid count, u64 slots, slots × (u64 id, u64 created,
///         u8 alive, u32 forward), then one u32 slot per record (in records order)
///       4 erasure: u64 values dropped as erased, u64 n, n × (u64, u64) tombstones, ascending
///     "IDREND\0\0"  u64 XXH3-64 of everything before
///
/// Version 1 (still read) lacks the configuration's last fields, the placeholder bytes and
/// section 4.
///
/// Loading rebuilds the engine through its normal paths and then checks that the stored
/// entities agree with the rebuilt partition, so a corrupted file is refused, never half-used.
extension Engine {
    static let snapshotMagic: [UInt8] = Array("IDRSNAP\0".utf8)
    static let snapshotEnd: [UInt8] = Array("IDREND\0\0".utf8)
    static let snapshotVersion: UInt32 = 2

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
                let held = values(ofRecord: r)
                p.u32(UInt32(held.count))
                for v in held {
                    let v = Int(v)
                    p.u32(values.tag(v))
                    p.u8(valueIsPlaceholder[v] ? 1 : 0)
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
        section(&w, tag: 4) { p in
            p.u64(UInt64(erasedValueCount))
            p.u64(UInt64(tombstones.count))
            for t in tombstones.sorted() { p.u64(t.high); p.u64(t.low) }
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
        p.u8((fingerprinter.isKeyed ? 1 : 0) | (c.erasureTombstones ? 2 : 0))
        p.u64(fingerprinter.verifier)
    }

    /// Reads section 1; returns the configuration (without a secret) and the stored verifier
    /// (0: not hash-only).
    private static func readConfiguration(_ r: inout ByteReader, version: UInt32) throws(IDRError) -> (ResolverConfiguration, UInt64) {
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
        var verifier: UInt64 = 0
        if version >= 2 {
            let flags = try r.u8()
            verifier = try r.u64()
            guard flags & ~3 == 0, (flags & 1 != 0) == (verifier != 0) else { throw r.corrupt("bad mode flags") }
            c.erasureTombstones = flags & 2 != 0
        }
        guard r.remaining == 0 else { throw r.corrupt("trailing bytes in the configuration") }
        return (c, verifier)
    }

    /// Parses and checks snapshot bytes; returns the engine and the snapshot's generation.
    /// `secret` must be the hash-only secret of a state saved in that mode, and nil otherwise.
    static func fromSnapshot(_ bytes: [UInt8], name: String, secret: [UInt8]?) throws(IDRError) -> (Engine, UInt64) {
        let result: Result<(Engine, UInt64), IDRError> = bytes.withUnsafeBytes { buffer in
            Result { () throws(IDRError) -> (Engine, UInt64) in try parseSnapshot(buffer, name: name, secret: secret) }
        }
        return try result.get()
    }

    private static func parseSnapshot(_ buffer: UnsafeRawBufferPointer, name: String, secret: [UInt8]?) throws(IDRError) -> (Engine, UInt64) {
        var r = ByteReader(buffer, what: name)
        guard buffer.count >= 36, Array(try r.raw(8)) == snapshotMagic else {
            throw IDRError(.corruptData, "\(name) is not an idr snapshot (bad magic)")
        }
        let version = try r.u32()
        guard (1...snapshotVersion).contains(version) else {
            throw IDRError(.corruptData, "\(name) is snapshot version \(version); this library reads versions 1 to \(snapshotVersion)")
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
            guard (1...(version >= 2 ? 4 : 3)).contains(tag), sections[tag] == nil else { throw r.corrupt("unknown or repeated section \(tag)") }
            sections[tag] = start..<(start + Int(length))
        }
        guard let configRange = sections[1], let recordsRange = sections[2], let entitiesRange = sections[3] else {
            throw IDRError(.corruptData, "\(name) lacks a section")
        }
        guard version < 2 || sections[4] != nil else { throw IDRError(.corruptData, "\(name) lacks a section") }
        var cr = ByteReader(buffer, range: configRange, what: "\(name) configuration")
        var (configuration, verifier) = try readConfiguration(&cr, version: version)
        if verifier != 0 {
            guard let secret else {
                throw IDRError(.invalidArgument, "\(name) is a hash-only state: supply its secret")
            }
            guard (16...4096).contains(secret.count), ValueFingerprinter(secret: secret).verifier == verifier else {
                throw IDRError(.invalidArgument, "\(name) is a hash-only state with another secret")
            }
            configuration.hashOnlySecret = secret
        } else if secret != nil {
            throw IDRError(.invalidArgument, "\(name) keeps identifier values; it cannot be loaded in hash-only mode")
        }
        let engine: Engine
        do {
            engine = try Engine(configuration: configuration)
        } catch {
            throw IDRError(.corruptData, "\(name): stored configuration is invalid: \(error.message)")
        }
        var rr = ByteReader(buffer, range: recordsRange, what: "\(name) records")
        var er = ByteReader(buffer, range: entitiesRange, what: "\(name) entities")
        try engine.restore(records: &rr, entities: &er, version: version)
        if let erasure = sections[4] {
            var xr = ByteReader(buffer, range: erasure, what: "\(name) erasure")
            engine.erasedValueCount = Int(clamping: try xr.u64())
            let n = try xr.count(minimumSize: 16)
            var previous: Fingerprint? = nil
            for _ in 0..<n {
                let t = Fingerprint(high: try xr.u64(), low: try xr.u64())
                guard previous.map({ $0 < t }) ?? true else { throw xr.corrupt("tombstones out of order") }
                engine.tombstones.insert(t)
                previous = t
            }
            guard xr.remaining == 0 else { throw xr.corrupt("trailing bytes") }
        }
        return (engine, generation)
    }

    /// Rebuilds records, statuses and links from the snapshot, then installs and checks the
    /// stored entities.
    private func restore(records rr: inout ByteReader, entities er: inout ByteReader, version: UInt32) throws(IDRError) {
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
                pending.append(kind: kind, placeholder: placeholder == 1, value)
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
            valueSlot[v] = rootEntity[Int(uf.find(occRecord[Int(valueHead[v])]))]
        }
    }

    /// Interns a record and the values in ``pending`` and links occurrences, without touching
    /// entities. Returns -1 if the key is already there.
    private func insertWithoutLinking(key: UnsafeRawBufferPointer, seq: UInt64) throws(IDRError) -> Int {
        let keyBase = try kinds.validate(recordKey: key, identifiers: UnsafeBufferPointer(start: nil, count: 0), limits: configuration.limits)
        var valueSet: [UInt32] = []
        for i in 0..<pending.count {
            let (kind, placeholder, bytes) = pending[i]
            valueSet.append(try internValue(kind: kind, bytes, placeholder: placeholder))
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
        linkRecord(r, values: valueSet)
        return r
    }
}
