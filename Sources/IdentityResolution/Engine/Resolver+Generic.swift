import CXXHash

extension Resolver {
    /// Decides the candidates (``genericCandidates(_:)``): flags generic values and clears the
    /// candidate flag; returns the generic values sorted by kind, then value bytes.
    func markGeneric(candidates: [UInt64], _ flags: inout [UInt8]) -> [GenericValue] {
        var generic = keepValuesWithManyDistinct(candidates, flags: &flags)
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

    /// Values carried by more than `T` distinct records (their kind's threshold), flagged
    /// `candidate`: the generic check (``markGeneric(candidates:_:)``) decides them. Returns
    /// their distinct (value << 32 | record) pairs, sorted.
    func genericCandidates(_ flags: inout [UInt8]) -> [UInt64] {
        // Thresholds by kind: an array by value would be as large as the values table (60 MB at
        // 10M records) for a handful of numbers.
        let threshold = kinds.indices.map { UInt32(clamping: kinds[$0].genericThreshold) }
        guard let lowest = threshold.filter({ $0 > 0 }).min() else { return [] }
        let nv = values.count
        var counts = [UInt32](hugeRepeating: 0, count: nv)
        var any = false
        occurrenceValue.withUnsafeBufferPointer { ov in
            counts.withUnsafeMutableBufferPointer { c in
                // The counts are far larger than the cache at 10M records: each one is
                // fetched 16 occurrences before its increment.
                let n = ov.count
                for o in 0..<n {
                    if o &+ 16 < n { idr_prefetch(c.baseAddress! + Int(ov[o &+ 16])) }
                    c[Int(ov[o])] &+= 1
                }
                // Most values are under every threshold: their kind (a read of the values table)
                // is looked up only for the others.
                for v in 0..<nv where c[v] > lowest && flags[v] == 0 {
                    let t = threshold[Int(values.tag(v))]
                    if t > 0, c[v] > t {
                        flags[v] |= ValueFlag.candidate
                        any = true
                    }
                }
            }
        }
        guard any else { return [] }
        var pairs: [UInt64] = []
        occurrenceValue.withUnsafeBufferPointer { ov in
            flags.withUnsafeBufferPointer { fl in
                let n = ov.count
                for o in 0..<n {
                    if o &+ 16 < n { idr_prefetch(fl.baseAddress! + Int(ov[o &+ 16])) }
                    let v = ov[o]
                    if fl[Int(v)] & ValueFlag.candidate != 0 {
                        pairs.append(UInt64(v) << 32 | UInt64(occurrenceRecord[o]))
                    }
                }
            }
        }
        pairs.radixSort()
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
            if UInt32(j - i) <= threshold[Int(values.tag(v))] { flags[v] &= ~ValueFlag.candidate }
            i = j
        }
        return pairs.filter { flags[Int($0 >> 32)] & ValueFlag.candidate != 0 }
    }

    /// For each value (its (value << 32 | record) pairs, sorted), counts the distinct values of
    /// each distinguishing kind on its records, itself and placeholders excepted; the largest
    /// count is the number of customers it would join. Flags as generic those over threshold.
    private func keepValuesWithManyDistinct(_ pairs: [UInt64], flags: inout [UInt8]) -> [(value: Int, records: Int, customers: Int)] {
        guard !pairs.isEmpty else { return [] }
        // The held values (distinguishing kinds only) of the records these values touch, as CSR
        // over those records alone, numbered by rank: arrays over every record cost 200 MB of
        // fresh memory at 10M records for the few that matter.
        var involved = RankedBits(count: records.count)
        for p in pairs { involved.insert(Int(truncatingIfNeeded: p & 0xFFFF_FFFF)) }
        let m = involved.freeze()
        // The values that count: of a distinguishing kind and not placeholders, as bits (1.9 MB
        // at 10M records) found in one sequential pass. Asking the values table or the flags per
        // occurrence is a cache miss each.
        let distinguishingKind = kinds.indices.map { kinds[$0].distinguishesCustomers }
        var distinguishing = RankedBits(count: values.count)
        for v in 0..<values.count where flags[v] & ValueFlag.placeholder == 0 && distinguishingKind[Int(values.tag(v))] {
            distinguishing.insert(v)
        }
        var start = [Int](repeating: 0, count: m + 1)
        occurrenceRecord.withUnsafeBufferPointer { orec in
            occurrenceValue.withUnsafeBufferPointer { ov in
                for o in 0..<orec.count where involved.contains(Int(orec[o])) && distinguishing.contains(Int(ov[o])) {
                    start[involved.rank(Int(orec[o])) + 1] += 1
                }
            }
        }
        for r in 0..<m { start[r + 1] += start[r] }
        var fill = start
        var held = [UInt32](repeating: 0, count: start[m])
        occurrenceRecord.withUnsafeBufferPointer { orec in
            occurrenceValue.withUnsafeBufferPointer { ov in
                for o in 0..<orec.count where involved.contains(Int(orec[o])) && distinguishing.contains(Int(ov[o])) {
                    let r = involved.rank(Int(orec[o]))
                    held[fill[r]] = ov[o]
                    fill[r] += 1
                }
            }
        }
        var seen: [UInt64] = []
        var generic: [(value: Int, records: Int, customers: Int)] = []
        var i = 0
        // The records' lists are read at random (2.2M records at 10M): each pair's list start is
        // fetched 16 pairs ahead, its values 8 ahead, and those values' entry words (their kind)
        // 4 ahead: without that last stage the kind reads were the pass's largest wait (19% of
        // its samples at 10M, perf).
        let d = 8
        // Each pair's record rank, once: the loop below needs it at four distances, and a rank
        // reads two tables (1.9 MB at 10M records) at random. A plain map overlaps those reads.
        let ranks = pairs.map { UInt32(truncatingIfNeeded: involved.rank(Int(truncatingIfNeeded: $0 & 0xFFFF_FFFF))) }
        let threshold = kinds.indices.map { kinds[$0].genericThreshold }
        // Raw buffers throughout: through the arrays (and the values table's addressor) the
        // loop retained and released them around each prefetch, a fifth of its samples (perf).
        values.entries.withUnsafeBufferPointer { e in
            start.withUnsafeBufferPointer { st in
                held.withUnsafeBufferPointer { h in
                    ranks.withUnsafeBufferPointer { rk in
                        pairs.withUnsafeBufferPointer { p in
                            while i < p.count {
                                let v = Int(p[i] >> 32)
                                var j = i
                                seen.removeAll(keepingCapacity: true)
                                while j < p.count, Int(p[j] >> 32) == v {
                                    if j &+ 2 &* d < p.count { idr_prefetch(st.baseAddress! + Int(rk[j &+ 2 &* d])) }
                                    if j &+ d < p.count {
                                        let s = st[Int(rk[j &+ d])]
                                        if s < h.count { idr_prefetch(h.baseAddress! + s) }
                                    }
                                    if j &+ d / 2 < p.count {
                                        let ahead = Int(rk[j &+ d / 2])
                                        for k in st[ahead]..<st[ahead &+ 1] { idr_prefetch(e.baseAddress! + Int(h[k])) }
                                    }
                                    let r = Int(rk[j])
                                    for k in st[r]..<st[r &+ 1] {
                                        let w = h[k]
                                        // The value's kind: the high 24 bits of its entry word.
                                        if Int(w) != v { seen.append((e[Int(w)] >> 40) << 32 | UInt64(w)) }
                                    }
                                    j += 1
                                }
                                seen.sort()
                                let most = largestDistinctCountPerKind(seen)
                                flags[v] &= ~ValueFlag.candidate
                                if most > threshold[Int(e[v] >> 40)] {
                                    flags[v] |= ValueFlag.generic
                                    generic.append((v, j - i, most))
                                }
                                i = j
                            }
                        }
                    }
                }
            }
        }
        return generic
    }
}
