import CXXHash
import Synchronization

/// The three passes of ``Resolver/assignEntityIDs(_:)`` over plain pointers, each split in two
/// halves that run on both cores and fetch the memory they read at random ahead of use.
///
/// At 10M records the arrays indexed by root are far larger than the cache, and the passes were
/// 1.5 s on one core, most of it waiting on those reads. No half writes what the other half
/// reads or writes, and every result is a function of the partition and the keys alone: the IDs
/// do not depend on the split.
struct EntityIDPass: @unchecked Sendable {
    // Unchecked: the halves touch disjoint elements (see each pass), and the owner joins both
    // before it reads the arrays again.
    let n: Int
    let keys: InternKeys
    /// Each record's root (flattened).
    let root: UnsafePointer<UInt32>
    /// Per root: the index of its smallest key (`.max` until seen; ``findSmallest(half:)``
    /// sets that start value).
    let smallest: UnsafeMutablePointer<UInt32>
    /// Per root: the smallest key's sort prefix, then the entity ID; per other record at the
    /// end, its root's ID.
    let ids: UnsafeMutablePointer<UInt64>
    /// Per root: its set's size.
    let size: UnsafePointer<UInt32>

    /// Iterations between a fetch and its use: enough rows of work to cover a DRAM access.
    static let distance = 16

    /// The half that owns root `x` in ``findSmallest(half:)``: alternate blocks of 16 roots,
    /// so that the two halves rarely share a cache line of either array.
    @inline(__always)
    static func half(ofRoot x: Int) -> Int { (x >> 4) & 1 }

    /// Finds the smallest key of the roots of `half` (every record is read; only those whose
    /// root the half owns are compared).
    func findSmallest(half h: Int) {
        // The half's own blocks of `smallest` start unseen (`ids` needs no start value: it is
        // read only where `smallest` was set).
        var block = h * 16
        while block < n {
            (smallest + block).initialize(repeating: .max, count: min(16, n - block))
            block += 32
        }
        let d = EntityIDPass.distance
        for r in 0..<n {
            if r &+ d < n {
                let y = Int(root[r &+ d])
                if EntityIDPass.half(ofRoot: y) == h {
                    idr_prefetch(smallest + y)
                    idr_prefetch(ids + y)
                }
            }
            let x = Int(root[r])
            guard EntityIDPass.half(ofRoot: x) == h else { continue }
            let p = keys.sortPrefix(r)
            let m = smallest[x]
            if m == .max || p < ids[x] || (p == ids[x] && keys.bytesLess(r, Int(m))) {
                smallest[x] = UInt32(truncatingIfNeeded: r)
                ids[x] = p
            }
        }
    }

    /// The entities whose root is in `range`: their roots in order, each root's ID (the hash of
    /// its smallest key) written in place of the prefix, and the size statistics.
    func hashRoots(_ range: Range<Int>) -> (roots: [UInt32], largest: Int, buckets: [Int]) {
        var roots: [UInt32] = []
        roots.reserveCapacity(range.count / 2)
        var largest = 0
        // Bucket b counts sizes in (2^(b-1), 2^b]; sizes fit in 32 bits.
        var buckets = [Int](repeating: 0, count: 34)
        let d = EntityIDPass.distance, end = range.upperBound
        for r in range {
            // Two stages: the entry word of a root's smallest key, then its bytes.
            let a = r &+ d, b = r &+ d / 2
            if a < end, root[a] == UInt32(truncatingIfNeeded: a) { keys.prefetchEntry(Int(smallest[a])) }
            if b < end, root[b] == UInt32(truncatingIfNeeded: b) { keys.prefetchBytes(Int(smallest[b])) }
            guard root[r] == UInt32(truncatingIfNeeded: r) else { continue }
            roots.append(UInt32(truncatingIfNeeded: r))
            ids[r] = Resolver.entityID(ofSmallestKey: keys.bytes(Int(smallest[r])))
            let s = Int(size[r])
            largest = max(largest, s)
            buckets[s <= 1 ? 0 : (Int.bitWidth - (s - 1).leadingZeroBitCount)] += 1
        }
        return (roots, largest, buckets)
    }

    /// Whether two of `roots` whose IDs have top bit `bit` have the same ID (reads the roots'
    /// slots only). Equal IDs share their top bit: two threads taking one bit each check all
    /// roots, each sieving half of the IDs.
    func collide(_ roots: [UInt32], topBit bit: UInt64) -> Bool {
        var half: [UInt64] = []
        half.reserveCapacity(roots.count / 2 + roots.count / 16)
        for r in roots {
            let x = ids[Int(r)]
            if x >> 63 == bit { half.append(x) }
        }
        return half.containsDuplicates()
    }

    /// Gives every record in `range` that is not a root its root's ID (writes non-root slots
    /// only; reads root slots).
    func spread(_ range: Range<Int>) {
        let d = EntityIDPass.distance, end = range.upperBound
        for r in range {
            if r &+ d < end { idr_prefetch(ids + Int(root[r &+ d])) }
            let x = Int(root[r])
            if x != r { ids[r] = ids[x] }
        }
    }

    /// Records per claim of ``spread(claiming:)``: 1 MB of IDs, few enough claims to cost nothing.
    static let spreadBlock = 1 << 17

    /// ``spread(_:)`` over blocks of records claimed from `next` until none is left, so that a
    /// thread that starts late (the one that checks the IDs first) takes fewer of them.
    func spread(claiming next: borrowing Atomic<Int>) {
        while true {
            let start = next.add(EntityIDPass.spreadBlock, ordering: .relaxed).oldValue
            guard start < n else { return }
            spread(start..<min(n, start &+ EntityIDPass.spreadBlock))
        }
    }
}
