import CXXHash
import Synchronization

/// The passes that rebuild and check a version-3 snapshot's record structure at load
/// (``Engine/restoreTables(records:values:entities:)``): each a flat loop over one table with
/// the random reads it is about to make fetched a few iterations ahead, and each read-only
/// on its inputs, so that the loader can run them on both cores.
extension Engine {
    /// Checks the spanning-tree certificate (``spanningForest(allRecordsLive:)``): every record
    /// but its entity's root links to a record of the same entity one step nearer the root
    /// (depths fall, so there are no cycles), through a linking value both hold. Read-only;
    /// `nodeValue` is already checked. Checks the links of `records`; returns the problem, or nil.
    static func checkSpanningTrees(_ records: Range<Int>, link: [UInt32], depth: [UInt32], recordSlot: [UInt32],
                                   nodeEnd: [UInt32], nodeValue: Column<UInt32>, flags: [UInt8]) -> String? {
        let n = link.count
        return link.withUnsafeBufferPointer { link in
            depth.withUnsafeBufferPointer { depth in
                recordSlot.withUnsafeBufferPointer { recordSlot in
                    nodeEnd.withUnsafeBufferPointer { nodeEnd in
                        nodeValue.withUnsafeBufferPointer { nodeValue in
                            flags.withUnsafeBufferPointer { flags in
                                // A record's link points far away: the linked record's
                                // entries, then its value numbers, are fetched a few ahead.
                                let far = 16, near = 8
                                for r in records {
                                    if r + far < records.upperBound {
                                        let q = Int(link[r + far])
                                        if q < n {
                                            idr_prefetch(recordSlot.baseAddress! + q)
                                            idr_prefetch(depth.baseAddress! + q)
                                            if q > 0 { idr_prefetch(nodeEnd.baseAddress! + q - 1) }
                                        }
                                    }
                                    if r + near < records.upperBound {
                                        let q = Int(link[r + near])
                                        if q > 0, q < n, Int(nodeEnd[q - 1]) < nodeValue.count {
                                            idr_prefetch(nodeValue.baseAddress! + Int(nodeEnd[q - 1]))
                                        }
                                    }
                                    let p = Int(link[r])
                                    if p == Int(Engine.none) {
                                        guard depth[r] == 0 else { return "a root record with a depth" }
                                        continue
                                    }
                                    guard p < n, recordSlot[p] == recordSlot[r], depth[r] > 0, depth[p] == depth[r] - 1 else {
                                        return "record \(r) has a bad link"
                                    }
                                    // A linking value both hold: a merge of two ascending lists.
                                    var i = r == 0 ? 0 : Int(nodeEnd[r - 1]), j = p == 0 ? 0 : Int(nodeEnd[p - 1])
                                    let iEnd = Int(nodeEnd[r]), jEnd = Int(nodeEnd[p])
                                    var shared = false
                                    while i < iEnd, j < jEnd {
                                        let a = nodeValue[i], b = nodeValue[j]
                                        if a == b, flags[Int(a)] == 0 { shared = true; break }
                                        if a <= b { i += 1 }
                                        if b <= a { j += 1 }
                                    }
                                    guard shared else { return "record \(r) links to a record it shares nothing with" }
                                }
                                return nil
                            }
                        }
                    }
                }
            }
        }
    }

    /// ``checkSpanningTrees(_:link:depth:recordSlot:nodeEnd:nodeValue:flags:)`` over all
    /// records, in blocks that the threads calling ``run(link:depth:recordSlot:nodeEnd:nodeValue:flags:)`` claim in turn: a thread that
    /// starts late (after a shorter pass of its own) takes fewer. The problem reported is that
    /// of the first block with one, whichever thread checked it.
    final class SpanningTreeCheck: @unchecked Sendable {
        // Unchecked: each block's slot in `problems` is written by the one thread that claimed
        // it; the owner reads them after joining both.
        private let next = Atomic<Int>(0)
        private let problems: UnsafeMutablePointer<String?>
        private let blocks: Int
        private let n: Int
        /// Records per block: enough that claims cost nothing, few enough to even out the ends.
        static let blockSize = 1 << 16

        init(records n: Int) {
            self.n = n
            blocks = (n + SpanningTreeCheck.blockSize - 1) / SpanningTreeCheck.blockSize
            problems = .allocate(capacity: max(blocks, 1))
            problems.initialize(repeating: nil, count: max(blocks, 1))
        }

        deinit {
            problems.deinitialize(count: max(blocks, 1))
            problems.deallocate()
        }

        /// Checks blocks until none is left to claim.
        func run(link: [UInt32], depth: [UInt32], recordSlot: [UInt32], nodeEnd: [UInt32], nodeValue: Column<UInt32>, flags: [UInt8]) {
            while true {
                let b = next.add(1, ordering: .relaxed).oldValue
                guard b < blocks else { return }
                let start = b * SpanningTreeCheck.blockSize
                problems[b] = Engine.checkSpanningTrees(start..<min(n, start + SpanningTreeCheck.blockSize), link: link, depth: depth,
                                                        recordSlot: recordSlot, nodeEnd: nodeEnd, nodeValue: nodeValue, flags: flags)
            }
        }

        /// The first block's problem, or nil (after every caller of ``run(link:depth:recordSlot:nodeEnd:nodeValue:flags:)`` returned).
        var problem: String? {
            for b in 0..<blocks { if let p = problems[b] { return p } }
            return nil
        }
    }

    /// A snapshot's union-find, rebuilt from its spanning trees (``spanningForest(allRecordsLive:)``).
    struct Anchors {
        /// Per record: its entity slot if it is its entity's root, else none.
        let rootEntity: Column<UInt32>
        /// Per entity slot: its root record, or none (a dead slot).
        let anchor: Column<UInt32>
        /// Per record: its entity's root (a forest of depth one).
        let parent: [UInt32]
        /// Per record: its entity's size if it is a root, else 1.
        let size: [UInt32]
    }

    /// Why a snapshot's tables were refused.
    struct LoadProblem: Error { let message: String }

    /// Anchors each entity at its spanning tree's root (the record without a link) and points
    /// every record's union-find parent there; reports a record in a dead or unknown entity and
    /// an entity with two roots or none. Read-only on its inputs, so it runs beside the lists.
    static func anchorEntities(link: [UInt32], recordSlot: [UInt32], alive: [UInt8]) -> Result<Anchors, LoadProblem> {
        let n = link.count, slotCount = alive.count
        let rootEntity = Column<UInt32>(repeating: Engine.none, count: n)
        let anchor = Column<UInt32>(repeating: Engine.none, count: slotCount)
        var parent = [UInt32](hugeRepeating: 0, count: n)
        var size = [UInt32](hugeRepeating: 1, count: n)
        let problem: String? = link.withUnsafeBufferPointer { link in
            recordSlot.withUnsafeBufferPointer { recordSlot in
                alive.withUnsafeBufferPointer { alive in
                    anchor.withUnsafeMutableBufferPointer { anchor in
                        rootEntity.withUnsafeMutableBufferPointer { rootEntity in
                            for r in 0..<n where link[r] == Engine.none {
                                let s = Int(recordSlot[r])
                                guard s < slotCount, alive[s] == 1 else { return "record \(r) is in a dead or unknown entity" }
                                guard anchor[s] == Engine.none else { return "an entity with two roots" }
                                anchor[s] = UInt32(r)
                                rootEntity[r] = UInt32(s)
                            }
                            return parent.withUnsafeMutableBufferPointer { parent in
                                size.withUnsafeMutableBufferPointer { size in
                                    // An entity's records lie far apart: the anchor of the
                                    // record a few ahead is fetched while this one is done.
                                    let ahead = 16
                                    for r in 0..<n {
                                        if r + ahead < n {
                                            let t = Int(recordSlot[r + ahead])
                                            if t < slotCount { idr_prefetch(anchor.baseAddress! + t) }
                                        }
                                        let s = Int(recordSlot[r])
                                        guard s < slotCount, anchor[s] != Engine.none else {
                                            return "record \(r) is in an entity without a root"
                                        }
                                        let a = anchor[s]
                                        parent[r] = a
                                        if a != UInt32(r) { size[Int(a)] &+= 1 }
                                    }
                                    return nil
                                }
                            }
                        }
                    }
                }
            }
        }
        if let problem { return .failure(LoadProblem(message: problem)) }
        return .success(Anchors(rootEntity: rootEntity, anchor: anchor, parent: parent, size: size))
    }

    /// Threads every occurrence node onto its value's list (head, next, prev, degree), in node
    /// order. Returns whether some linking value's records lie in different entities.
    static func buildValueLists(nodeValue: Column<UInt32>, owner: Column<UInt32>, recordSlot: [UInt32], flags: [UInt8],
                                head: Column<UInt32>, degree: Column<UInt32>, next: Column<UInt32>, prev: Column<UInt32>) -> Bool {
        let m = flags.count, nodeCount = nodeValue.count
        head.append(repeating: Engine.none, count: m)
        degree.append(repeating: 0, count: m)
        next.append(repeating: Engine.none, count: nodeCount)
        prev.append(repeating: Engine.none, count: nodeCount)
        var valueEntity = [UInt32](hugeRepeating: Engine.none, count: m)
        return nodeValue.withUnsafeBufferPointer { values in
            owner.withUnsafeBufferPointer { owner in
                recordSlot.withUnsafeBufferPointer { recordSlot in
                    flags.withUnsafeBufferPointer { flags in
                        valueEntity.withUnsafeMutableBufferPointer { valueEntity in
                            head.withUnsafeMutableBufferPointer { head in
                                degree.withUnsafeMutableBufferPointer { degree in
                                    next.withUnsafeMutableBufferPointer { next in
                                        prev.withUnsafeMutableBufferPointer { prev in
                                            var split = false
                                            // Values are met in random order: the entries of
                                            // the value a few nodes ahead are fetched meanwhile.
                                            let ahead = 16
                                            for k in 0..<nodeCount {
                                                if k + ahead < nodeCount {
                                                    let w = Int(values[k + ahead])
                                                    if w < m {
                                                        idr_prefetch(head.baseAddress! + w)
                                                        idr_prefetch(degree.baseAddress! + w)
                                                        idr_prefetch(valueEntity.baseAddress! + w)
                                                    }
                                                }
                                                let v = Int(values[k])
                                                let h = head[v]
                                                next[k] = h
                                                if h != Engine.none { prev[Int(h)] = UInt32(k) }
                                                head[v] = UInt32(k)
                                                degree[v] &+= 1
                                                guard flags[v] == 0 else { continue }
                                                let s = recordSlot[Int(owner[k])]
                                                let seen = valueEntity[v]
                                                if seen == Engine.none { valueEntity[v] = s } else if seen != s { split = true }
                                            }
                                            return split
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
