extension Resolver {
    /// Links through every linkable value in a fixed priority order, refusing each link that
    /// would give an entity more distinct values of a limited kind than its limit (and more
    /// than either side already holds, so a record that itself carries two values is not cut
    /// off from its own evidence).
    ///
    /// Order: kinds by ``ResolverConfiguration/linkPriority`` (unlisted kinds after, by number);
    /// within a kind, values by normalized bytes; a value's records by record key bytes, each
    /// linked to the value's first record. Fuzzy links come last, by falling probability, then
    /// by the two record keys. Every ordering key is a property of the data, so the outcome does
    /// not depend on the order of adds.
    ///
    /// - Returns: the refused links, and how many fuzzy links joined two entities.
    func linkWithLimits(_ uf: inout UnionFind, flags: [UInt8], fuzzyLinks: [FuzzyLink] = []) -> ([RefusedLink], Int) {
        let n = records.count
        let nv = values.count
        var rank = [Int](repeating: 0, count: kinds.count)
        for k in kinds.indices { rank[k] = 1000 + k }
        for (i, kind) in configuration.linkPriority.enumerated() where Int(kind.rawValue) < kinds.count {
            rank[Int(kind.rawValue)] = i
        }
        // Records of each linkable value (CSR), deduplicated and sorted by key bytes.
        var start = [Int](repeating: 0, count: nv + 1)
        for v in occurrenceValue where flags[Int(v)] == 0 { start[Int(v) + 1] += 1 }
        for v in 0..<nv { start[v + 1] += start[v] }
        var fill = start
        var members = [UInt32](repeating: 0, count: start[nv])
        for o in occurrenceValue.indices {
            let v = Int(occurrenceValue[o])
            if flags[v] != 0 { continue }
            members[fill[v]] = occurrenceRecord[o]
            fill[v] += 1
        }
        // Limited values each record holds, as sorted (kind << 32 | value).
        var held = [[UInt64]](repeating: [], count: n)
        for o in occurrenceValue.indices {
            let v = Int(occurrenceValue[o])
            let kind = values.tag(v)
            if flags[v] == 0, kinds[Int(kind)].entityLimit > 0 {
                held[Int(occurrenceRecord[o])].append(UInt64(kind) << 32 | UInt64(v))
            }
        }
        for r in 0..<n where held[r].count > 1 {
            held[r].sort()
            held[r] = dedupedSorted(held[r])
        }
        var order = (0..<nv).filter { flags[$0] == 0 && start[$0 + 1] - start[$0] > 1 }
        order.sort { a, b in
            let ra = rank[Int(values.tag(a))], rb = rank[Int(values.tag(b))]
            return ra != rb ? ra < rb : values.bytesLess(a, b)
        }
        var refused: [RefusedLink] = []
        for v in order {
            var recs = Array(members[start[v]..<start[v + 1]])
            recs.sort { records.bytesLess(Int($0), Int($1)) }
            recs = dedupedSorted32(recs)
            let r0 = recs[0]
            for r in recs.dropFirst() {
                let a = uf.find(r0), b = uf.find(r)
                if a == b { continue }
                let merged = sortedUnion(held[Int(a)], held[Int(b)])
                if let (kind, limit) = exceededLimit(merged, held[Int(a)], held[Int(b)]) {
                    let viaKind = values.tag(v)
                    refused.append(RefusedLink(
                        recordKey: records.string(at: Int(r0)), otherRecordKey: records.string(at: Int(r)),
                        viaKind: IdentifierKind(rawValue: viaKind), viaValue: values.string(at: v),
                        limitedKind: IdentifierKind(rawValue: kind), limit: limit))
                    continue
                }
                let root = uf.link(a, b)
                held[Int(root)] = merged
                held[Int(root == a ? b : a)] = []
            }
        }
        var merges = 0
        for link in orderedByConfidence(fuzzyLinks) {
            let a = uf.find(UInt32(link.recordA)), b = uf.find(UInt32(link.recordB))
            if a == b { continue }
            let merged = sortedUnion(held[Int(a)], held[Int(b)])
            if let (kind, limit) = exceededLimit(merged, held[Int(a)], held[Int(b)]) {
                refused.append(RefusedLink(
                    recordKey: records.string(at: link.recordA), otherRecordKey: records.string(at: link.recordB),
                    viaKind: IdentifierKind(rawValue: 0), viaValue: link.levelsDescription, fuzzyProbability: link.probability,
                    limitedKind: IdentifierKind(rawValue: kind), limit: limit))
                continue
            }
            let root = uf.link(a, b)
            held[Int(root)] = merged
            held[Int(root == a ? b : a)] = []
            merges += 1
        }
        return (refused, merges)
    }

    /// Fuzzy links by falling probability, ties by the smaller then the larger record key.
    private func orderedByConfidence(_ links: [FuzzyLink]) -> [FuzzyLink] {
        func keys(_ l: FuzzyLink) -> (Int, Int) {
            records.bytesLess(l.recordA, l.recordB) ? (l.recordA, l.recordB) : (l.recordB, l.recordA)
        }
        return links.sorted { x, y in
            if x.probability != y.probability { return x.probability > y.probability }
            let (x0, x1) = keys(x), (y0, y1) = keys(y)
            if x0 != y0 { return records.bytesLess(x0, y0) }
            return records.bytesLess(x1, y1)
        }
    }

    /// The first limited kind whose distinct count in `merged` passes its limit and both sides.
    private func exceededLimit(_ merged: [UInt64], _ a: [UInt64], _ b: [UInt64]) -> (UInt32, Int)? {
        var i = 0
        while i < merged.count {
            let kind = UInt32(merged[i] >> 32)
            var j = i
            while j < merged.count, UInt32(merged[j] >> 32) == kind { j += 1 }
            let limit = kinds[Int(kind)].entityLimit
            let count = j - i
            if count > limit,
               count > a.lazy.filter({ UInt32($0 >> 32) == kind }).count,
               count > b.lazy.filter({ UInt32($0 >> 32) == kind }).count {
                return (kind, limit)
            }
            i = j
        }
        return nil
    }
}

/// Removes adjacent duplicates from a sorted array.
private func dedupedSorted(_ a: [UInt64]) -> [UInt64] {
    var out: [UInt64] = []
    out.reserveCapacity(a.count)
    for x in a where out.last != x { out.append(x) }
    return out
}

private func dedupedSorted32(_ a: [UInt32]) -> [UInt32] {
    var out: [UInt32] = []
    out.reserveCapacity(a.count)
    for x in a where out.last != x { out.append(x) }
    return out
}

/// The sorted union of two sorted, duplicate-free arrays.
private func sortedUnion(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
    if a.isEmpty { return b }
    if b.isEmpty { return a }
    var out: [UInt64] = []
    out.reserveCapacity(a.count + b.count)
    var i = 0, j = 0
    while i < a.count || j < b.count {
        if j == b.count || (i < a.count && a[i] < b[j]) {
            out.append(a[i]); i += 1
        } else if i == a.count || b[j] < a[i] {
            out.append(b[j]); j += 1
        } else {
            out.append(a[i]); i += 1; j += 1
        }
    }
    return out
}
