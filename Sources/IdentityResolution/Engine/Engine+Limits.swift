extension Engine {
    // Per-entity limits online. Without limits an entity is a link component: the records
    // joined through linking values. With limits an entity is a part of a link component: the
    // bulk resolver's greedy pass (``Resolver/linkWithLimits(_:flags:fuzzyLinks:)``) refuses the
    // links that would give an entity too many values of a limited kind. That pass, restricted
    // to one component, sees exactly the component's links in the same order and the same held
    // values, so it splits the component as the bulk pass over every record does. Each write
    // therefore re-runs it over the link components it touches (``recompute(seeds:detached:via:)``):
    // a write costs time in proportion to the size of those components, not to the engine.

    /// The entities of link `component` (its records, and the linking values they hold) under
    /// the per-entity limits, each part's records in the component's order, the parts in the
    /// order of their first record.
    func limitedParts(of component: [UInt32], values linking: [UInt32]) -> [[UInt32]] {
        let n = component.count
        guard n > 1 else { return [component] }
        if limitLocal.count < records.count {
            limitLocal.append(contentsOf: repeatElement(0, count: records.count - limitLocal.count))
        }
        for (i, r) in component.enumerated() { limitLocal[Int(r)] = UInt32(i) }
        var held = [[UInt64]](repeating: [], count: n)
        for (i, r) in component.enumerated() {
            held[i] = limitedValues(ofRecord: Int(r))
        }
        // Values by kind rank, then by bytes; each links its records, in key order, to its
        // first record (the bulk order: every key is a property of the data).
        let rank = LimitedValues.linkRanks(priority: configuration.linkPriority, kindCount: kinds.count)
        var order: [(rank: Int, value: UInt32)] = []
        for v in linking where valueDegree[Int(v)] > 1 { order.append((rank[Int(values.tag(Int(v)))], v)) }
        order.sort { a, b in a.rank != b.rank ? a.rank < b.rank : values.bytesLess(Int(a.value), Int(b.value)) }
        var uf = UnionFind(count: n)
        var holders: [UInt32] = []
        for (_, v) in order {
            holders.removeAll(keepingCapacity: true)
            forEachRecord(of: Int(v)) { holders.append($0) }
            holders.sort { records.bytesLess(Int($0), Int($1)) }
            let first = limitLocal[Int(holders[0])]
            for r in holders.dropFirst() {
                let a = uf.find(first), b = uf.find(limitLocal[Int(r)])
                if a == b { continue }
                let merged = LimitedValues.union(held[Int(a)], held[Int(b)])
                if LimitedValues.exceeded(merged, held[Int(a)], held[Int(b)], limit: entityLimit) != nil { continue }
                let root = uf.link(a, b)
                held[Int(root)] = merged
                held[Int(root == a ? b : a)] = []
            }
        }
        var partOfRoot = [Int](repeating: -1, count: n)
        var parts: [[UInt32]] = []
        for (i, r) in component.enumerated() {
            let root = Int(uf.find(UInt32(i)))
            if partOfRoot[root] < 0 {
                partOfRoot[root] = parts.count
                parts.append([])
            }
            parts[partOfRoot[root]].append(r)
        }
        return parts
    }

    /// The limited values record `r` holds that link, as sorted `kind << 32 | value` words.
    func limitedValues(ofRecord r: Int) -> [UInt64] {
        var out: [UInt64] = []
        forEachNode(ofRecord: r) { node in
            let v = Int(occValue[Int(node)])
            let kind = values.tag(v)
            if links(v), kinds[Int(kind)].entityLimit > 0 { out.append(UInt64(kind) << 32 | UInt64(v)) }
        }
        out.sort()
        return out
    }

    func entityLimit(_ kind: UInt32) -> Int { kinds[Int(kind)].entityLimit }

    /// Points each of `linking` at the entity of its record with the smallest key: with limits a
    /// value's records can lie in several entities, and a lookup answers with the one its links
    /// start from (the bulk order links each value's records to that record).
    func setLimitedSlots(_ linking: [UInt32]) {
        for v in linking {
            let first = firstHolder(of: v)
            setValueSlot(Int(v), first == Engine.none ? Engine.none : rootEntity[Int(uf.find(first))])
        }
    }

    /// The record with the smallest key among those holding `v` (`none` if no record does):
    /// the one the bulk order links the value's other records to. Read-only.
    func firstHolder(of v: UInt32) -> UInt32 {
        var first = Engine.none
        forEachRecord(of: Int(v)) { r in
            if first == Engine.none || records.bytesLess(Int(r), Int(first)) { first = r }
        }
        return first
    }

    /// Whether records `a` and `b` are in one entity. Read-only.
    func sameEntity(_ a: UInt32, _ b: UInt32) -> Bool { uf.root(of: a) == uf.root(of: b) }

    /// The first limited kind of which the entities of `a` and `b` together hold more distinct
    /// values than its limit: what keeps them apart when a chain of linking values joins them.
    func exceededLimit(between a: UInt32, _ b: UInt32) -> (kind: UInt32, limit: Int)? {
        func held(_ x: UInt32) -> [UInt64] {
            var out: [UInt64] = []
            for r in entityRecords(of: x) { out = LimitedValues.union(out, limitedValues(ofRecord: Int(r))) }
            return out
        }
        let ha = held(a), hb = held(b)
        let merged = LimitedValues.union(ha, hb)
        // Either side may have grown since the link was refused, so only the limit itself is
        // certain to be passed (the refused union only grew).
        return LimitedValues.exceeded(merged, [], [], limit: entityLimit)
    }

    /// The records of `r`'s entity, reached through linking values from `r`; local state only,
    /// so concurrent readers share nothing.
    func entityRecords(of r: UInt32) -> [UInt32] {
        var seenRecords: Set<UInt32> = [r]
        var seenValues: Set<UInt32> = []
        var queue: [UInt32] = [r]
        let root = uf.root(of: r)
        var i = 0
        while i < queue.count {
            let x = Int(queue[i])
            i += 1
            forEachNode(ofRecord: x) { node in
                let v = occValue[Int(node)]
                guard links(Int(v)), seenValues.insert(v).inserted else { return }
                forEachRecord(of: Int(v)) { y in
                    // With limits a linking value can reach into another entity.
                    guard !entityLimitsOn || uf.root(of: y) == root else { return }
                    if seenRecords.insert(y).inserted { queue.append(y) }
                }
            }
        }
        return queue
    }
}
