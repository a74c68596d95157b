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
    /// 2. Generic values: a value is a *candidate* when it is carried by more than `T` distinct
    ///    records (its kind's threshold) and those records hold more than `T` distinct values
    ///    of some distinguishing kind. The base partition links records through every value
    ///    that is neither a placeholder nor a candidate. A candidate is *generic*, and links
    ///    nothing, when it would join more than `T` otherwise-separate customers: among the base
    ///    components of its records, the largest number that hold a value of one same
    ///    distinguishing kind (``ResolverConfiguration/distinguishingKinds``).
    ///    Otherwise it links.
    /// 3. Per-entity limits, when configured, apply links in priority order and refuse those
    ///    that would exceed a limit.
    /// 4. Entity IDs: XXH3-64 of the smallest record key (bytewise) of each entity.
    ///
    /// Every step is a function of the set of records, so the result does not depend on the
    /// order of adds.
    ///
    /// - Complexity: O(I α(N)) for I identifiers and N records, plus O(C log C) for the C
    ///   identifiers of candidate values, plus a sort of the linkable values when entity limits
    ///   are on.
    public func resolve() -> Resolution {
        let n = records.count
        var flags = valueIsPlaceholder.map { $0 ? Flag.placeholder : 0 }
        var generic: [GenericValue] = []
        var candidatePairs: [UInt64] = []
        if configuration.genericGuard {
            candidatePairs = markCandidates(&flags)
        }
        var uf = UnionFind(count: n)
        if !candidatePairs.isEmpty || !entityLimitsActive {
            linkBase(&uf, flags: flags)
        }
        if !candidatePairs.isEmpty {
            generic = judgeCandidates(&uf, flags: &flags, pairs: candidatePairs)
        }
        var refused: [RefusedLink] = []
        if entityLimitsActive {
            uf = UnionFind(count: n)
            refused = linkWithLimits(&uf, flags: flags)
        }
        let (ids, entities, largest, histogram) = assignEntityIDs(&uf)
        let stats = statistics(flags: flags, entities: entities, largest: largest, histogram: histogram,
                               refused: refused.count)
        return Resolution(entityIDs: ids, statistics: stats, genericValues: generic, refusedLinks: refused)
    }

    var entityLimitsActive: Bool { kinds.contains { $0.registered && $0.entityLimit > 0 } }

    /// Marks candidates; returns their (value << 32 | record) pairs, sorted and deduplicated.
    private func markCandidates(_ flags: inout [UInt8]) -> [UInt64] {
        let nv = values.count
        var counts = [UInt32](repeating: 0, count: nv)
        let thresholds = values.tags.map { UInt32(kinds[Int($0)].genericThreshold) }
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
        // Occurrence counts may include a record twice; only distinct records make a candidate.
        var i = 0
        while i < pairs.count {
            let v = Int(pairs[i] >> 32)
            var j = i
            while j < pairs.count, Int(pairs[j] >> 32) == v { j += 1 }
            if UInt32(j - i) <= thresholds[v] { flags[v] &= ~Flag.candidate }
            i = j
        }
        pairs = pairs.filter { flags[Int($0 >> 32)] & Flag.candidate != 0 }
        return keepCandidatesWithManyValues(pairs, flags: &flags)
    }

    /// First stage of the generic rule: a value can only join more than `T` customers if, for
    /// some distinguishing kind, its records hold more than `T` distinct values of that kind
    /// (other than itself). Values under that bound are cleared here and stay in the base
    /// partition, so the base keeps ordinary evidence such as a phone seen on two of one
    /// person's records.
    private func keepCandidatesWithManyValues(_ pairs: [UInt64], flags: inout [UInt8]) -> [UInt64] {
        guard !pairs.isEmpty else { return pairs }
        let n = records.count
        // Values of each record (CSR), distinguishing kinds only.
        var start = [Int](repeating: 0, count: n + 1)
        for o in occurrenceRecord.indices where kinds[Int(values.tags[Int(occurrenceValue[o])])].distinguishesCustomers {
            start[Int(occurrenceRecord[o]) + 1] += 1
        }
        for r in 0..<n { start[r + 1] += start[r] }
        var fill = start
        var held = [UInt32](repeating: 0, count: start[n])
        for o in occurrenceRecord.indices {
            let v = occurrenceValue[o]
            guard kinds[Int(values.tags[Int(v)])].distinguishesCustomers else { continue }
            let r = Int(occurrenceRecord[o])
            held[fill[r]] = v
            fill[r] += 1
        }
        var seen: [UInt64] = []
        var i = 0
        while i < pairs.count {
            let v = Int(pairs[i] >> 32)
            var j = i
            seen.removeAll(keepingCapacity: true)
            while j < pairs.count, Int(pairs[j] >> 32) == v {
                let r = Int(truncatingIfNeeded: pairs[j] & 0xFFFF_FFFF)
                for w in held[start[r]..<start[r + 1]] where Int(w) != v && flags[Int(w)] & Flag.placeholder == 0 {
                    seen.append(UInt64(values.tags[Int(w)]) << 32 | UInt64(w))
                }
                j += 1
            }
            seen.sort()
            var most = 0
            var k = 0
            while k < seen.count {
                let kind = seen[k] >> 32
                var distinct = 0
                var m = k
                while m < seen.count, seen[m] >> 32 == kind {
                    if m == k || seen[m] != seen[m - 1] { distinct += 1 }
                    m += 1
                }
                most = max(most, distinct)
                k = m
            }
            if most <= kinds[Int(values.tags[v])].genericThreshold { flags[v] &= ~Flag.candidate }
            i = j
        }
        return pairs.filter { flags[Int($0 >> 32)] & Flag.candidate != 0 }
    }

    /// Links records through every value that is neither placeholder nor candidate.
    private func linkBase(_ uf: inout UnionFind, flags: [UInt8]) {
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

    /// Decides each candidate against the base partition in `uf`; unions the accepted ones
    /// (unless entity limits will relink from scratch). Returns the generic values, sorted.
    ///
    /// The customers a candidate would join: group its records by base component; for each
    /// distinguishing kind, count the components holding a (non-candidate, non-placeholder) value
    /// of that kind; take the largest count. One person's email, device and cards count as one
    /// customer; thirty components each with its own email count as thirty.
    private func judgeCandidates(_ uf: inout UnionFind, flags: inout [UInt8], pairs: [UInt64]) -> [GenericValue] {
        let n = records.count
        // Kinds present in each base component, one bit per registered kind (kinds past the
        // 63rd registered share the last bit, which can only raise a count).
        var bit = [UInt64](repeating: 0, count: kinds.count)
        var next = 0
        for k in kinds.indices where kinds[k].registered && kinds[k].distinguishesCustomers {
            bit[k] = 1 << UInt64(min(next, 63))
            next += 1
        }
        var rootKinds = [UInt64](repeating: 0, count: n)
        for o in occurrenceValue.indices {
            let v = Int(occurrenceValue[o])
            if flags[v] != 0 { continue }
            let root = Int(uf.find(occurrenceRecord[o]))
            rootKinds[root] |= bit[Int(values.tags[v])]
        }
        var stamp = [UInt32](repeating: .max, count: n)
        var perKind = [Int](repeating: 0, count: 64)
        var accepted: [Range<Int>] = []
        var generic: [(value: Int, records: Int, customers: Int)] = []
        var i = 0
        while i < pairs.count {
            let v = Int(pairs[i] >> 32)
            var j = i
            var touched: UInt64 = 0
            while j < pairs.count, Int(pairs[j] >> 32) == v {
                let root = Int(uf.find(UInt32(truncatingIfNeeded: pairs[j])))
                if stamp[root] != UInt32(v) {
                    stamp[root] = UInt32(v)
                    var mask = rootKinds[root]
                    touched |= mask
                    while mask != 0 {
                        perKind[mask.trailingZeroBitCount] += 1
                        mask &= mask - 1
                    }
                }
                j += 1
            }
            var customers = 0
            while touched != 0 {
                let b = touched.trailingZeroBitCount
                customers = max(customers, perKind[b])
                perKind[b] = 0
                touched &= touched - 1
            }
            let threshold = kinds[Int(values.tags[v])].genericThreshold
            if customers > threshold {
                flags[v] |= Flag.generic
                generic.append((v, j - i, customers))
            } else {
                flags[v] &= ~Flag.candidate
                accepted.append(i..<j)
            }
            i = j
        }
        if !entityLimitsActive {
            for range in accepted {
                let first = UInt32(truncatingIfNeeded: pairs[range.lowerBound])
                for p in range.dropFirst() { uf.union(first, UInt32(truncatingIfNeeded: pairs[p])) }
            }
        }
        generic.sort { a, b in
            let ka = values.tags[a.value], kb = values.tags[b.value]
            return ka != kb ? ka < kb : values.bytesLess(a.value, b.value)
        }
        return generic.map { g in
            let kind = values.tags[g.value]
            return GenericValue(kind: IdentifierKind(rawValue: kind), value: values.string(at: g.value),
                                records: g.records, customers: g.customers, threshold: kinds[Int(kind)].genericThreshold)
        }
    }
}
