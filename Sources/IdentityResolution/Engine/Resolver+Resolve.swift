/// Value flags used while resolving.
private enum Flag {
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
        var flags = valueIsPlaceholder.map { $0 ? Flag.placeholder : 0 }
        var generic: [GenericValue] = []
        if configuration.genericGuard {
            generic = markGeneric(&flags)
        }
        var uf = UnionFind(count: n)
        var refused: [RefusedLink] = []
        var fuzzy = matchAttributes()
        if kinds.entityLimitsActive {
            let fuzzyLinks = fuzzy?.links ?? []
            let merges: Int
            (refused, merges) = linkWithLimits(&uf, flags: flags, fuzzyLinks: fuzzyLinks)
            fuzzy?.statistics.merges = merges
            fuzzy?.statistics.refusedLinks = refused.lazy.filter { $0.fuzzyProbability != nil }.count
        } else {
            linkAll(&uf, flags: flags)
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

    /// Flags generic values; returns them sorted by kind, then value bytes.
    private func markGeneric(_ flags: inout [UInt8]) -> [GenericValue] {
        let found = genericCandidates(&flags)
        var generic = found
        generic.sort { a, b in
            let ka = values.tag(a.value), kb = values.tag(b.value)
            return ka != kb ? ka < kb : values.bytesLess(a.value, b.value)
        }
        return generic.map { g in
            let kind = values.tag(g.value)
            return GenericValue(kind: IdentifierKind(rawValue: kind), value: values.string(at: g.value),
                                records: g.records, customers: g.customers, threshold: kinds[Int(kind)].genericThreshold)
        }
    }

    /// Values carried by more than `T` distinct records, then narrowed by
    /// ``keepValuesWithManyDistinct(_:flags:)``; flags and returns the generic ones.
    private func genericCandidates(_ flags: inout [UInt8]) -> [(value: Int, records: Int, customers: Int)] {
        let nv = values.count
        var counts = [UInt32](repeating: 0, count: nv)
        let thresholds = (0..<values.count).map { UInt32(kinds[Int(values.tag($0))].genericThreshold) }
        for v in occurrenceValue { counts[Int(v)] &+= 1 }
        var any = false
        for v in 0..<nv where thresholds[v] > 0 && counts[v] > thresholds[v] && flags[v] == 0 {
            flags[v] |= Flag.candidate
            any = true
        }
        guard any else { return [] }
        var pairs: [UInt64] = []
        for o in occurrenceValue.indices {
            let v = occurrenceValue[o]
            if flags[Int(v)] & Flag.candidate != 0 {
                pairs.append(UInt64(v) << 32 | UInt64(occurrenceRecord[o]))
            }
        }
        pairs.sort()
        var w = 0
        for i in pairs.indices where i == 0 || pairs[i] != pairs[i - 1] {
            pairs[w] = pairs[i]; w += 1
        }
        pairs.removeLast(pairs.count - w)
        // Occurrence counts may include a record twice; only distinct records count.
        var i = 0
        while i < pairs.count {
            let v = Int(pairs[i] >> 32)
            var j = i
            while j < pairs.count, Int(pairs[j] >> 32) == v { j += 1 }
            if UInt32(j - i) <= thresholds[v] { flags[v] &= ~Flag.candidate }
            i = j
        }
        pairs = pairs.filter { flags[Int($0 >> 32)] & Flag.candidate != 0 }
        return keepValuesWithManyDistinct(pairs, flags: &flags)
    }

    /// For each value (its (value << 32 | record) pairs, sorted), counts the distinct values of
    /// each distinguishing kind on its records, itself and placeholders excepted; the largest
    /// count is the number of customers it would join. Flags as generic those over threshold.
    private func keepValuesWithManyDistinct(_ pairs: [UInt64], flags: inout [UInt8]) -> [(value: Int, records: Int, customers: Int)] {
        guard !pairs.isEmpty else { return [] }
        let n = records.count
        // Values of each record (CSR), distinguishing kinds only.
        var start = [Int](repeating: 0, count: n + 1)
        for o in occurrenceRecord.indices where kinds[Int(values.tag(Int(occurrenceValue[o])))].distinguishesCustomers {
            start[Int(occurrenceRecord[o]) + 1] += 1
        }
        for r in 0..<n { start[r + 1] += start[r] }
        var fill = start
        var held = [UInt32](repeating: 0, count: start[n])
        for o in occurrenceRecord.indices {
            let v = occurrenceValue[o]
            guard kinds[Int(values.tag(Int(v)))].distinguishesCustomers else { continue }
            let r = Int(occurrenceRecord[o])
            held[fill[r]] = v
            fill[r] += 1
        }
        var seen: [UInt64] = []
        var generic: [(value: Int, records: Int, customers: Int)] = []
        var i = 0
        while i < pairs.count {
            let v = Int(pairs[i] >> 32)
            var j = i
            seen.removeAll(keepingCapacity: true)
            while j < pairs.count, Int(pairs[j] >> 32) == v {
                let r = Int(truncatingIfNeeded: pairs[j] & 0xFFFF_FFFF)
                for w in held[start[r]..<start[r + 1]] where Int(w) != v && flags[Int(w)] & Flag.placeholder == 0 {
                    seen.append(UInt64(values.tag(Int(w))) << 32 | UInt64(w))
                }
                j += 1
            }
            seen.sort()
            let most = largestDistinctCountPerKind(seen)
            flags[v] &= ~Flag.candidate
            if most > kinds[Int(values.tag(v))].genericThreshold {
                flags[v] |= Flag.generic
                generic.append((v, j - i, most))
            }
            i = j
        }
        return generic
    }

    /// Links the records of every value that is neither placeholder nor generic.
    private func linkAll(_ uf: inout UnionFind, flags: [UInt8]) {
        var first = [UInt32](repeating: .max, count: values.count)
        occurrenceValue.withUnsafeBufferPointer { ov in
            occurrenceRecord.withUnsafeBufferPointer { orec in
                for o in 0..<ov.count {
                    let v = Int(ov[o])
                    if flags[v] != 0 { continue }
                    let r = orec[o]
                    let f = first[v]
                    if f == .max { first[v] = r } else { uf.union(r, f) }
                }
            }
        }
    }
}
