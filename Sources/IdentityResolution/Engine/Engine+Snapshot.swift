import CXXHash

/// Snapshot format, version 4 (little-endian; README, "Persistence"):
///
///     "IDRSNAP\0"  u32 version  u64 generation
///     section*: u32 tag, u64 length, u64 XXH3-64 of the payload, payload
///       1 configuration (custom kinds included, in registration order), then u8 flags
///         (1 hash-only, 2 erasure tombstones) and u64 secret verifier (0 without a secret),
///         then the per-entity limits: u32 n, n × (u32 kind, u32 limit) for built-in kinds,
///         u32 limit per custom kind (0: none), u32 m, m × u32 kinds of the link priority
///       5 records: key table (arena, entry words, hash slots or none), then per record u64
///         age, u32 entity slot, u32 end of its value numbers (arrays: u64 count, elements)
///       6 values: value table, per value u8 flags (1 placeholder, 2 generic) and u32 entity
///         slot, then every record's value numbers, ascending per record
///       3 entities: u64 sequence, u64 invalid count, then arrays: IDs, creation stamps, alive
///         bytes, forwards, and the ID table's keys and slots
///       4 erasure: u64 values dropped as erased, u64 n, n × (u64, u64) tombstones, ascending
///     "IDREND\0\0"  u64 XXH3-64 of everything before
///
/// Version 3 (still read) is version 4 without the limits at the end of section 1 (an engine
/// could not have any). Version 2 (still read) had sections 1, 2 (every record with its values, one by one), 3 (the
/// entity slots one by one, then each record's slot) and 4; version 1 lacked the
/// configuration's last fields, the placeholder bytes and section 4 (Engine+SnapshotLegacy).
extension Engine {
    static let snapshotMagic: [UInt8] = Array("IDRSNAP\0".utf8)
    static let snapshotEnd: [UInt8] = Array("IDREND\0\0".utf8)
    static let snapshotVersion: UInt32 = 4

    /// The engine's state as snapshot bytes.
    func snapshotBytes(generation: UInt64) -> [UInt8] {
        var w = buildSnapshot(generation: generation) { _ in }
        let digest = w.bytes.withUnsafeBytes { XXH3.hash64($0) }
        w.u64(digest)
        return w.bytes
    }

    /// Writes the bytes ``snapshotBytes(generation:)`` returns to `fd`, a section at a time:
    /// one buffer as large as the largest section, reused, where the whole snapshot in memory
    /// was 1.44 GB of fresh pages at 10M records (beside the engine's 2 GB), and the digest of
    /// the whole file hashed as the sections go out.
    ///
    /// - Throws: `io` when a write fails.
    func writeSnapshot(generation: UInt64, to fd: Int32, path: String) throws(IDRError) {
        let state = XXH3_createState()
        guard let state, XXH3_64bits_reset(state) == XXH_OK else {
            if let state { XXH3_freeState(state) }
            throw IDRError(.io, "cannot save \(path): out of memory for the checksum")
        }
        defer { XXH3_freeState(state) }
        var failure: IDRError?
        let emit = { (w: inout ByteWriter) in
            // After a failed write the rest is still built (the builder cannot stop) but
            // dropped section by section, so the buffer stays one section large.
            defer { w.clear() }
            guard failure == nil, !w.bytes.isEmpty else { return }
            w.bytes.withUnsafeBytes { _ = XXH3_64bits_update(state, $0.baseAddress, $0.count) }
            do throws(IDRError) { try FileIO.writeAll(fd, w.bytes, path: path) } catch { failure = error }
        }
        var w = buildSnapshot(generation: generation, emit: emit)
        emit(&w)
        if let failure { throw failure }
        w.u64(XXH3_64bits_digest(state))
        try FileIO.writeAll(fd, w.bytes, path: path)
    }

    /// The snapshot up to its digest, handing the writer to `emit` after the header and after
    /// each section (`emit` may write its bytes out and clear it); returns the writer with what
    /// is left after the last `emit`.
    private func buildSnapshot(generation: UInt64, emit: (inout ByteWriter) -> Void) -> ByteWriter {
        // About what version 3 takes: the two intern tables with their slots, and per record its
        // arrays, values and entity (a guess; the writer grows if it is short). Reserved, not
        // touched: a streaming writer only fills as much of it as its largest section.
        var w = ByteWriter(capacity: values.byteCount + records.byteCount + recordCount * 40 + occRecord.count * 4
                           + entityID.count * 21 + slotOfID.keys.count * 12 + values.count * 5 + 4096)
        Engine.snapshotMagic.withUnsafeBytes { w.raw($0) }
        w.u32(Engine.snapshotVersion)
        w.u64(generation)
        section(&w, tag: 1) { configurationPayload(&$0) }
        emit(&w)
        writeTables(&w) { w, tag, body in
            section(&w, tag: tag, body)
            emit(&w)
        }
        section(&w, tag: 4) { p in
            p.u64(UInt64(erasedValueCount))
            p.u64(UInt64(tombstones.count))
            for t in tombstones.sorted() { p.u64(t.high); p.u64(t.low) }
        }
        emit(&w)
        Engine.snapshotEnd.withUnsafeBytes { w.raw($0) }
        return w
    }

    /// Writes a section in place: its header with room for the length and checksum, the
    /// payload, then the length and checksum filled in (no copy of the payload).
    private func section(_ w: inout ByteWriter, tag: UInt32, _ body: (inout ByteWriter) -> Void) {
        w.u32(tag)
        let header = w.bytes.count
        w.u64(0)
        w.u64(0)
        body(&w)
        let start = header + 16
        let length = w.bytes.count - start
        let hash = w.bytes.withUnsafeBytes { XXH3.hash64(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        w.patch64(at: header, UInt64(length))
        w.patch64(at: header + 8, hash)
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
        // Version 4: per-entity limits (built-in kinds, then one per custom kind above, 0 for
        // none) and the link priority.
        let limits = c.entityLimits.sorted { $0.key < $1.key }
        p.u32(UInt32(limits.count))
        for (k, l) in limits { p.u32(k.rawValue); p.u32(UInt32(l)) }
        for k in custom { p.u32(UInt32(kinds[k].entityLimit)) }
        p.u32(UInt32(c.linkPriority.count))
        for k in c.linkPriority { p.u32(k.rawValue) }
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
        if version >= 4 {
            let limitCount = Int(try r.u32())
            try r.need(limitCount * 8)
            for _ in 0..<limitCount {
                let k = try r.u32(), l = try r.u32()
                c.entityLimits[IdentifierKind(rawValue: k)] = Int(l)
            }
            try r.need(c.customKinds.count * 4)
            for i in c.customKinds.indices {
                let l = try r.u32()
                c.customKinds[i].entityLimit = l == 0 ? nil : Int(l)
            }
            let priorityCount = Int(try r.u32())
            try r.need(priorityCount * 4)
            c.linkPriority = []
            for _ in 0..<priorityCount { c.linkPriority.append(IdentifierKind(rawValue: try r.u32())) }
        }
        guard r.remaining == 0 else { throw r.corrupt("trailing bytes in the configuration") }
        return (c, verifier)
    }

    /// Parses and checks snapshot bytes; returns the engine and the snapshot's generation.
    /// `secret` must be the hash-only secret of a state saved in that mode, and nil otherwise.
    static func parseSnapshot(_ buffer: UnsafeRawBufferPointer, name: String, secret: [UInt8]?) throws(IDRError) -> (Engine, UInt64) {
        var r = ByteReader(buffer, what: name)
        guard buffer.count >= 36, Array(try r.raw(8)) == snapshotMagic else {
            throw IDRError(.corruptData, "\(name) is not an idr snapshot (bad magic)")
        }
        let version = try r.u32()
        guard (1...snapshotVersion).contains(version) else {
            throw IDRError(.corruptData, "\(name) is snapshot version \(version); this library reads versions 1 to \(snapshotVersion)")
        }
        // The whole-file digest on the second core while this one checks the sections' own.
        final class Digest: @unchecked Sendable { var value: UInt64 = 0 }
        let digest = Digest()
        let digestTask = SideTask { digest.value = XXH3.hash64(UnsafeRawBufferPointer(rebasing: buffer[0..<(buffer.count - 8)])) }
        defer { digestTask.join() }
        var sections: [UInt32: Range<Int>] = [:]
        var generation: UInt64 = 0
        let framing = Result { () throws(IDRError) in
            generation = try r.u64()
            while r.remaining > 16 {
                let tag = try r.u32()
                let length = try r.u64()
                let hash = try r.u64()
                guard r.remaining >= 16, length <= UInt64(r.remaining - 16) else { throw r.corrupt("section \(tag) runs past the end") }
                let start = r.offset
                let payload = try r.raw(Int(length))
                guard XXH3.hash64(payload) == hash else { throw r.corrupt("section \(tag) checksum mismatch") }
                let known: [UInt32] = version >= 3 ? [1, 3, 4, 5, 6] : version == 2 ? [1, 2, 3, 4] : [1, 2, 3]
                guard known.contains(tag), sections[tag] == nil else { throw r.corrupt("unknown or repeated section \(tag)") }
                sections[tag] = start..<(start + Int(length))
            }
        }
        digestTask.join()
        // A damaged file is reported as such before any finer complaint about its sections.
        var tail = ByteReader(buffer, range: (buffer.count - 16)..<buffer.count, what: name)
        guard Array(try tail.raw(8)) == snapshotEnd, try tail.u64() == digest.value else {
            throw IDRError(.corruptData, "\(name) is truncated or corrupted (checksum mismatch)")
        }
        try framing.get()
        guard sections.count == (version >= 3 ? 5 : version == 2 ? 4 : 3), let configRange = sections[1],
              let entitiesRange = sections[3] else {
            throw IDRError(.corruptData, "\(name) lacks a section")
        }
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
        var er = ByteReader(buffer, range: entitiesRange, what: "\(name) entities")
        if version >= 3 {
            var rr = ByteReader(buffer, range: sections[5]!, what: "\(name) records")
            var vr = ByteReader(buffer, range: sections[6]!, what: "\(name) values")
            try engine.restoreTables(records: &rr, values: &vr, entities: &er)
        } else {
            var rr = ByteReader(buffer, range: sections[2]!, what: "\(name) records")
            try engine.restoreLegacy(records: &rr, entities: &er, version: version)
        }
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
}
