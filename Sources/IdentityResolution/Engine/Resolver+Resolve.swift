import CXXHash

/// Value flags used while resolving.
enum ValueFlag {
    static let placeholder: UInt8 = 1
    static let candidate: UInt8 = 2
    static let generic: UInt8 = 4
}

extension Resolver {
    /// Partitions the records added so far into entities.
    ///
    /// 1. Placeholder values link nothing.
    /// 2. Generic values link nothing: a value of a kind with threshold `T` is generic when more
    ///    than `T` distinct records carry it **and** those records hold more than `T` distinct
    ///    values of one distinguishing kind (``ResolverConfiguration/distinguishingKinds``),
    ///    not counting the value itself or placeholders.
    /// 3. Every other value links all records that carry it; with per-entity limits configured,
    ///    links are applied in priority order and those that would exceed a limit are refused.
    /// 4. Records whose attributes match (``FuzzyMatching``) are linked too, after the identifier
    ///    links and under the same per-entity limits.
    /// 5. Entity IDs: XXH3-64 of the smallest record key (bytewise) of each entity.
    ///
    /// Whether a value is generic depends only on the records that carry it, and grows with
    /// them (adding records never makes a generic value linkable again), so the result is a
    /// function of the set of records and can be maintained incrementally.
    ///
    /// - Complexity: O(I α(N)) for I identifiers and N records, plus O(C log C) for the C
    ///   identifiers on records of values carried by more than `T` records, plus a sort of the
    ///   linkable values when entity limits are on.
    public func resolve() -> Resolution {
        let n = records.count
        var flags = valueIsPlaceholder.map { $0 ? ValueFlag.placeholder : 0 }
        var generic: [GenericValue] = []
        // Values carried by more records than their kind's threshold, flagged `candidate`: the
        // generic check decides them; every other value's links are known already.
        let candidates = configuration.genericGuard ? genericCandidates(&flags) : []
        var uf = UnionFind(count: n)
        var refused: [RefusedLink] = []
        var fuzzy = matchAttributes()
        if kinds.entityLimitsActive {
            generic = markGeneric(candidates: candidates, &flags)
            let fuzzyLinks = fuzzy?.links ?? []
            let merges: Int
            (refused, merges) = linkWithLimits(&uf, flags: flags, fuzzyLinks: fuzzyLinks)
            fuzzy?.statistics.merges = merges
            fuzzy?.statistics.refusedLinks = refused.lazy.filter { $0.fuzzyProbability != nil }.count
        } else {
            generic = linkOverlappingGenericCheck(&uf, candidates: candidates, flags: &flags)
            if let links = fuzzy?.links {
                var merges = 0
                for link in links where uf.union(UInt32(link.recordA), UInt32(link.recordB)) != nil { merges += 1 }
                fuzzy?.statistics.merges = merges
            }
        }
        let (ids, entities, largest, histogram) = assignEntityIDs(&uf)
        let stats = statistics(flags: flags, entities: entities, largest: largest, histogram: histogram,
                               refused: refused.count)
        return Resolution(entityIDs: ids, statistics: stats, genericValues: generic, refusedLinks: refused,
                          fuzzy: fuzzy?.statistics, fuzzyLinks: fuzzy?.links ?? [])
    }

    /// Links every value's records while the second core runs the generic check on the
    /// candidates (the check reads the records' other values, linking writes only the
    /// union-find: nothing shared is written), then links the candidates found not generic.
    /// Union order does not change the partition, so the result is that of checking first.
    private func linkOverlappingGenericCheck(_ uf: inout UnionFind, candidates: [UInt64], flags: inout [UInt8]) -> [GenericValue] {
        guard !candidates.isEmpty else {
            linkAll(&uf, flags: flags)
            return []
        }
        final class Check: @unchecked Sendable {
            var flags: [UInt8]
            var generic: [GenericValue] = []
            init(_ flags: [UInt8]) { self.flags = flags }
        }
        // The check's own copy of the flags (one byte per value): it rewrites candidates' flags
        // while linking reads them.
        let check = Check(flags)
        SideThread.run({ check.generic = self.markGeneric(candidates: candidates, &check.flags) },
                       alongside: { linkAll(&uf, flags: flags) })  // skips the candidates: flagged
        flags = check.flags
        flags.withUnsafeBufferPointer { fl in
            candidates.withUnsafeBufferPointer { c in
                uf.withWords { words in
                    var i = 0
                    while i < c.count {
                        let v = Int(c[i] >> 32)
                        let first = UInt32(truncatingIfNeeded: c[i] & 0xFFFF_FFFF)
                        var j = i + 1
                        while j < c.count, Int(c[j] >> 32) == v {
                            // The records are at random: fetch the union-find words of the one 8 ahead.
                            if j &+ 8 < c.count, fl[Int(c[j &+ 8] >> 32)] == 0 {
                                words.prefetch(Int(truncatingIfNeeded: c[j &+ 8] & 0xFFFF_FFFF))
                            }
                            if fl[v] == 0 { words.union(first, UInt32(truncatingIfNeeded: c[j] & 0xFFFF_FFFF)) }
                            j += 1
                        }
                        i = j
                    }
                }
            }
        }
        return check.generic
    }

    /// Links the records of every value that is neither placeholder nor generic.
    ///
    /// Occurrences come in record order, so each one's value, and that value's first record,
    /// are reads at random into tables far larger than the cache at 10M records. They are
    /// fetched ahead in two stages: the value's flag and first-record words 16 occurrences
    /// before use, then the first record's union-find words 8 before (by then its first-record
    /// word has arrived). Fetches are hints: a first record that changes in between costs only
    /// a wasted fetch.
    private func linkAll(_ uf: inout UnionFind, flags: [UInt8]) {
        var first = [UInt32](hugeRepeating: .max, count: values.count)
        let far = 16, near = 8
        flags.withUnsafeBufferPointer { fl in
            first.withUnsafeMutableBufferPointer { fr in
                occurrenceValue.withUnsafeBufferPointer { ov in
                    occurrenceRecord.withUnsafeBufferPointer { orec in
                        uf.withWords { words in
                            let n = ov.count
                            for o in 0..<n {
                                if o &+ far < n {
                                    let w = Int(ov[o &+ far])
                                    idr_prefetch(fl.baseAddress! + w)
                                    idr_prefetch(fr.baseAddress! + w)
                                }
                                if o &+ near < n {
                                    let f = fr[Int(ov[o &+ near])]
                                    if f != .max { words.prefetch(Int(f)) }
                                }
                                let v = Int(ov[o])
                                if fl[v] != 0 { continue }
                                let r = orec[o]
                                let f = fr[v]
                                if f == .max { fr[v] = r } else { words.union(r, f) }
                            }
                        }
                    }
                }
            }
        }
    }
}
