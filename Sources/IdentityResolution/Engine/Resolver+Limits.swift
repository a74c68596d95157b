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
        let rank = LimitedValues.linkRanks(priority: configuration.linkPriority, kindCount: kinds.count)
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
            LimitedValues.deduplicate(&held[r])
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
            LimitedValues.deduplicate(&recs)
            let r0 = recs[0]
            for r in recs.dropFirst() {
                let a = uf.find(r0), b = uf.find(r)
                if a == b { continue }
                let merged = LimitedValues.union(held[Int(a)], held[Int(b)])
                if let (kind, limit) = LimitedValues.exceeded(merged, held[Int(a)], held[Int(b)], limit: entityLimit) {
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
            let merged = LimitedValues.union(held[Int(a)], held[Int(b)])
            if let (kind, limit) = LimitedValues.exceeded(merged, held[Int(a)], held[Int(b)], limit: entityLimit) {
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

    private func entityLimit(_ kind: UInt32) -> Int { kinds[Int(kind)].entityLimit }

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
}
