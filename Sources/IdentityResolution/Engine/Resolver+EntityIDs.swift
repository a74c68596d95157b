extension Resolver {
    /// Gives every entity the XXH3-64 of its smallest record key (bytewise); 0 is never used.
    ///
    /// Two entities whose smallest keys hash alike (about 1 in 2⁶⁴ per pair) are told apart
    /// deterministically: ordered by their smallest key, the first keeps its hash and each next
    /// one takes the hash with seed 1, 2, … that is still free.
    func assignEntityIDs(_ uf: inout UnionFind) -> (ids: [UInt64], entities: Int, largest: Int,
                                                      histogram: [ResolutionStatistics.SizeBucket]) {
        let n = records.count
        let root = uf.flattenRoots()
        let keys = records  // one retain here, none per call in the loop
        var smallest = [UInt32](hugeRepeating: .max, count: n)
        // Until the IDs are known, `idOfRoot` holds the sort prefix of each root's smallest key:
        // the comparison then reads one array slot instead of the other key's entry and bytes
        // (two cache misses at 10M records), and the arena only on a tie.
        var idOfRoot = [UInt64](hugeRepeating: 0, count: n)
        for r in 0..<n {
            let x = Int(root[r])
            let m = smallest[x]
            let p = keys.sortPrefix(r)
            if m == .max || p < idOfRoot[x] || (p == idOfRoot[x] && keys.bytesLess(r, Int(m))) {
                smallest[x] = UInt32(r)
                idOfRoot[x] = p
            }
        }
        var roots: [UInt32] = []
        var largest = 0
        var buckets: [Int] = []
        for r in 0..<n where root[r] == UInt32(r) {
            roots.append(UInt32(r))
            idOfRoot[r] = keys.withBytes(at: Int(smallest[r])) { Resolver.entityID(ofSmallestKey: $0) }
            let size = uf.setSize(ofRoot: UInt32(r))
            largest = max(largest, size)
            let b = size <= 1 ? 0 : (Int.bitWidth - (size - 1).leadingZeroBitCount)
            while buckets.count <= b { buckets.append(0) }
            buckets[b] += 1
        }
        resolveIDCollisions(roots: roots, smallest: smallest, ids: &idOfRoot)
        // In place: a root's slot already holds its ID, and every other slot is written once
        // from its root's.
        for r in 0..<n { idOfRoot[r] = idOfRoot[Int(root[r])] }
        let ids = idOfRoot
        let histogram = buckets.enumerated().filter { $0.element > 0 }.map { b, count in
            ResolutionStatistics.SizeBucket(lower: b == 0 ? 1 : (1 << (b - 1)) + 1, upper: 1 << b, count: count)
        }
        return (ids, roots.count, largest, histogram)
    }

    private func entityHash(ofRecord r: Int, seed: UInt64) -> UInt64 {
        records.withBytes(at: r) { Resolver.entityID(ofSmallestKey: $0, attempt: seed) }
    }

    /// The bulk entity ID of an entity whose smallest record key is `key`: XXH3-64 of the key
    /// seeded with `attempt` (0, or 1, 2, … after a collision), never 0 (0 becomes 1). Exposed for
    /// distributed resolution (`idr_entity_id_of_key`), which must give the same IDs.
    public static func entityID(ofSmallestKey key: UnsafeRawBufferPointer, attempt: UInt64 = 0) -> UInt64 {
        let h = XXH3.hash64(key, seed: attempt)
        return h == 0 ? 1 : h
    }

    private func resolveIDCollisions(roots: [UInt32], smallest: [UInt32], ids: inout [UInt64]) {
        var sorted = roots.map { ids[Int($0)] }
        sorted.radixSort()
        var collides = false
        for i in sorted.indices.dropFirst() where sorted[i] == sorted[i - 1] { collides = true; break }
        guard collides else { return }
        var used = Set(sorted)
        var byID: [UInt64: [UInt32]] = [:]
        for r in roots { byID[ids[Int(r)], default: []].append(r) }
        let groups = byID.values.filter { $0.count > 1 }
            .map { $0.sorted { records.bytesLess(Int(smallest[Int($0)]), Int(smallest[Int($1)])) } }
            .sorted { records.bytesLess(Int(smallest[Int($0[0])]), Int(smallest[Int($1[0])])) }
        for group in groups {
            for r in group.dropFirst() {
                var seed: UInt64 = 1
                var id = entityHash(ofRecord: Int(smallest[Int(r)]), seed: seed)
                while used.contains(id) {
                    seed += 1
                    id = entityHash(ofRecord: Int(smallest[Int(r)]), seed: seed)
                }
                used.insert(id)
                ids[Int(r)] = id
            }
        }
    }

    func statistics(flags: [UInt8], entities: Int, largest: Int,
                    histogram: [ResolutionStatistics.SizeBucket], refused: Int) -> ResolutionStatistics {
        var s = ResolutionStatistics()
        s.records = records.count
        s.adds = counters.adds
        s.entities = entities
        s.largestEntity = largest
        s.sizeHistogram = histogram
        s.refusedLinks = refused
        var distinct = [Int](repeating: 0, count: kinds.count)
        var generic = [Int](repeating: 0, count: kinds.count)
        for v in 0..<values.count {
            let k = Int(values.tag(v))
            distinct[k] += 1
            if flags[v] & 4 != 0 { generic[k] += 1 }
        }
        for k in kinds.indices where kinds[k].registered {
            var ks = ResolutionStatistics.KindStatistics(kind: IdentifierKind(rawValue: UInt32(k)), name: kinds[k].name)
            ks.identifiers = counters.identifiers[k]
            ks.distinctValues = distinct[k]
            ks.placeholderHits = counters.placeholders[k]
            ks.genericValues = generic[k]
            ks.invalid = InvalidReason.allCases.compactMap { reason in
                let c = counters.invalid[k][Int(reason.rawValue)]
                return c > 0 ? (reason, c) : nil
            }
            s.kinds.append(ks)
        }
        return s
    }
}
