import Testing
@testable import IdentityResolution

@Suite("Union-find")
struct UnionFindTests {
    /// Against a naive labelling (relabel every member on each union) on seeded random graphs.
    @Test(arguments: [1, 2, 3, 4, 5])
    func matchesNaiveReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let n = Int.random(in: 1...400, using: &rng)
        var uf = UnionFind(count: n)
        var label = Array(0..<n)
        for _ in 0..<Int.random(in: 0...(n * 2), using: &rng) {
            let a = Int.random(in: 0..<n, using: &rng), b = Int.random(in: 0..<n, using: &rng)
            let merged = uf.union(UInt32(a), UInt32(b)) != nil
            #expect(merged == (label[a] != label[b]))
            let (from, to) = (label[b], label[a])
            for i in 0..<n where label[i] == from { label[i] = to }
        }
        for a in 0..<n {
            for b in stride(from: a, to: n, by: 7) {
                #expect((uf.find(UInt32(a)) == uf.find(UInt32(b))) == (label[a] == label[b]))
            }
            let root = uf.find(UInt32(a))
            #expect(uf.setSize(ofRoot: root) == label.filter { $0 == label[a] }.count)
        }
    }

    @Test func exhaustiveSmall() {
        // Every sequence of unions over 4 elements of length 3.
        let pairs = (0..<4).flatMap { a in (0..<4).map { b in (UInt32(a), UInt32(b)) } }
        for x in pairs { for y in pairs { for z in pairs {
            var uf = UnionFind(count: 4)
            var label = [0, 1, 2, 3]
            for (a, b) in [x, y, z] {
                uf.union(a, b)
                let from = label[Int(b)], to = label[Int(a)]
                for i in 0..<4 where label[i] == from { label[i] = to }
            }
            for a in 0..<4 { for b in 0..<4 {
                #expect((uf.find(UInt32(a)) == uf.find(UInt32(b))) == (label[a] == label[b]))
            } }
        } } }
    }
}
