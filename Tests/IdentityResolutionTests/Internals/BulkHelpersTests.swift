import Testing
@testable import IdentityResolution

/// The small building blocks of the bulk resolve's link stage, against obvious references.
@Suite("Bulk helpers")
struct BulkHelpersTests {
    /// Radix sort equals the standard sort on random arrays of every size class, including
    /// digits shared by all elements (skipped passes) and values of few distinct bits.
    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func radixSortMatchesSort(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for n in [0, 1, 2, 63, 64, 65, 200, 5_000, 70_000] {
            let mask: UInt64 = [UInt64.max, 0xFFFF, 0xFF_0000_0000, 0x8000_0000_0000_0001, 0][Int(seed) % 5]
            let base = UInt64.random(in: .min ... .max, using: &rng)
            var a = (0..<n).map { _ in base ^ (UInt64.random(in: .min ... .max, using: &rng) & mask) }
            let expected = a.sorted()
            a.radixSort()
            #expect(a == expected, "n \(n) mask \(mask)")
        }
    }

    /// Ranks number the members densely in order; non-members are not contained.
    @Test(arguments: [1, 2, 3])
    func rankedBits(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let n = Int.random(in: 1...3_000, using: &rng)
        let members = Set((0..<Int.random(in: 0...n, using: &rng)).map { _ in Int.random(in: 0..<n, using: &rng) })
        var bits = RankedBits(count: n)
        for m in members { bits.insert(m) }
        #expect(bits.freeze() == members.count)
        for (rank, m) in members.sorted().enumerated() { #expect(bits.rank(m) == rank) }
        for i in 0..<n { #expect(bits.contains(i) == members.contains(i)) }
    }

    /// Flattening leaves every element pointing at the root `find` gives, and the sets intact.
    @Test func flattenRoots() {
        var rng = SplitMix64(seed: 9)
        var uf = UnionFind(count: 500)
        for _ in 0..<400 { uf.union(UInt32.random(in: 0..<500, using: &rng), UInt32.random(in: 0..<500, using: &rng)) }
        var reference = uf
        let roots = uf.flattenRoots()
        for x in 0..<500 { #expect(roots[x] == reference.find(UInt32(x))) }
    }

    /// A sort prefix that differs orders two keys as the bytewise comparison does; equal
    /// prefixes happen only when the first 8 bytes (zero-padded) agree.
    @Test func sortPrefixAgreesWithBytesLess() throws {
        var table = InternTable(hasher: KeyHasher(), capacity: 64)
        let keys: [[UInt8]] = [[], [0], [0, 0], [1], [0x61], [0x61, 0], [0x61, 0x62], [0xFF], Array("abcdefgh".utf8),
                               Array("abcdefghi".utf8), Array("abcdefgg".utf8), Array("abcdefgi".utf8), [0x61, 0x61, 0xFF]]
        for k in keys { _ = try k.withUnsafeBytes { try table.intern(tag: 0, $0.baseAddress, $0.count) } }
        for i in keys.indices {
            for j in keys.indices where i != j {
                let (pi, pj) = (table.sortPrefix(i), table.sortPrefix(j))
                if pi != pj { #expect((pi < pj) == table.bytesLess(i, j), "\(keys[i]) \(keys[j])") }
                else { #expect(Array(keys[i].prefix(8)) + [UInt8](repeating: 0, count: 8 - min(8, keys[i].count))
                               == Array(keys[j].prefix(8)) + [UInt8](repeating: 0, count: 8 - min(8, keys[j].count))) }
            }
        }
    }

    /// The duplicate check agrees with a set's count on hashes (with and without one repeated
    /// element) and on crowded values that share the sieve's buckets.
    @Test(arguments: [1, 2, 3, 4])
    func containsDuplicatesMatchesSet(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for n in [0, 1, 2, 3, 100, 5_000, 80_000] {
            let mask: UInt64 = [UInt64.max, 0xFFFF, 0xFFFF_0000_0000_0000, 0x3FF][Int(seed) % 4]
            var a = (0..<n).map { _ in UInt64.random(in: .min ... .max, using: &rng) & mask }
            #expect(a.containsDuplicates() == (Set(a).count < a.count), "n \(n) mask \(mask)")
            if n > 1, mask == .max {
                #expect(!a.containsDuplicates(), "64-bit random values of a test this size are distinct")
                a[Int.random(in: 0..<n, using: &rng)] = a[Int.random(in: 0..<n, using: &rng)]
                #expect(a.containsDuplicates() == (Set(a).count < a.count))
            }
        }
    }

    /// The pointer view of a table reads what the table's own accessors read.
    @Test func internKeysAgreeWithTable() throws {
        var table = InternTable(hasher: KeyHasher(), capacity: 64)
        let keys: [[UInt8]] = [[], [0], [0x61], [0x61, 0], Array("abcdefghi".utf8), Array("abcdefgg".utf8), [0xFF, 1]]
        for k in keys { _ = try k.withUnsafeBytes { try table.intern(tag: 0, $0.baseAddress, $0.count) } }
        table.withKeys { view in
            for i in keys.indices {
                #expect(Array(view.bytes(i)) == keys[i])
                #expect(view.sortPrefix(i) == table.sortPrefix(i))
                for j in keys.indices { #expect(view.bytesLess(i, j) == table.bytesLess(i, j)) }
            }
        }
        InternTable(hasher: KeyHasher(), capacity: 16).withKeys { view in #expect(view.start(0) == 0) }
    }
}

