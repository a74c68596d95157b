import Synchronization

extension Resolver {
    /// Gives every entity the XXH3-64 of its smallest record key (bytewise); 0 is never used.
    ///
    /// Two entities whose smallest keys hash alike (about 1 in 2⁶⁴ per pair) are told apart
    /// deterministically: ordered by their smallest key, the first keeps its hash and each next
    /// one takes the hash with seed 1, 2, … that is still free.
    func assignEntityIDs(_ uf: inout UnionFind) -> (ids: [UInt64], entities: Int, largest: Int,
                                                      histogram: [ResolutionStatistics.SizeBucket]) {
        let n = records.count
        guard n > 0 else { return ([], 0, 0, []) }
        let root = uf.flattenRoots()
        // A thread costs more than the passes below this many records.
        let twoCores = n >= 1 << 16
        // Both arrays are written by the passes before they are read (`EntityIDPass`), which
        // also fill them on both cores: a fill here took a quarter of the time at 10M records.
        var smallest = [UInt32](hugeUnwrittenCount: n)
        // Until the IDs are known, `idOfRoot` holds the sort prefix of each root's smallest key:
        // the comparison then reads one array slot instead of the other key's entry and bytes
        // (two cache misses at 10M records), and the arena only on a tie.
        var idOfRoot = [UInt64](hugeUnwrittenCount: n)
        let size = uf.size
        var roots: [UInt32] = []
        var largest = 0
        var buckets: [Int] = []
        var rootIDsCollide = false
        records.withKeys { keys in
            root.withUnsafeBufferPointer { rootP in
                smallest.withUnsafeMutableBufferPointer { smallP in
                    idOfRoot.withUnsafeMutableBufferPointer { idP in
                        size.withUnsafeBufferPointer { sizeP in
                            let pass = EntityIDPass(n: n, keys: keys, root: rootP.baseAddress!, smallest: smallP.baseAddress!,
                                                    ids: idP.baseAddress!, size: sizeP.baseAddress!)
                            SideThread.run(if: twoCores, { pass.findSmallest(half: 1) }, alongside: { pass.findSmallest(half: 0) })
                            let mid = n / 2
                            var upper: (roots: [UInt32], largest: Int, buckets: [Int]) = ([], 0, [])
                            SideThread.run(if: twoCores, { upper = pass.hashRoots(mid..<n) },
                                           alongside: { (roots, largest, buckets) = pass.hashRoots(0..<mid) })
                            roots += upper.roots
                            largest = max(largest, upper.largest)
                            for b in buckets.indices { buckets[b] += upper.buckets[b] }
                            // Spreading the IDs to every record assumes the roots' IDs are
                            // distinct, which both cores check first, each for the IDs of one
                            // top bit; in the (about 1 in 2^64 per pair) case they are not, the
                            // spread is redone below. The records are then claimed in blocks:
                            // the cores finish their checks at different times.
                            let rootList = roots
                            final class Claims: Sendable { let next = Atomic<Int>(0) }
                            let claims = Claims()
                            var upperCollides = false, lowerCollides = false
                            SideThread.run(if: twoCores, {
                                upperCollides = pass.collide(rootList, topBit: 1)
                                pass.spread(claiming: claims.next)
                            }, alongside: {
                                lowerCollides = pass.collide(rootList, topBit: 0)
                                pass.spread(claiming: claims.next)
                            })
                            rootIDsCollide = upperCollides || lowerCollides
                        }
                    }
                }
            }
        }
        if rootIDsCollide {
            resolveIDCollisions(roots: roots, smallest: smallest, ids: &idOfRoot)
            for r in 0..<n where root[r] != UInt32(r) { idOfRoot[r] = idOfRoot[Int(root[r])] }
        }
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
                let c = counters.invalid[counters.invalidIndex(k, Int(reason.rawValue))]
                return c > 0 ? (reason, c) : nil
            }
            s.kinds.append(ks)
        }
        return s
    }
}
