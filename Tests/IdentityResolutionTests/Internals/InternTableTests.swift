import Testing
@testable import IdentityResolution

@Suite("Intern table")
struct InternTableTests {
    @Test(arguments: [64, 3, 0])
    func internsDistinctStringsUnderAnyHash(bits: Int) throws {
        var t = InternTable(hasher: .truncated(toBits: bits), capacity: 4)
        var seen: [String: UInt32] = [:]
        var rng = SplitMix64(seed: UInt64(bits))
        for _ in 0..<3000 {
            let s = String(Int.random(in: 0..<800, using: &rng))
            let tag = UInt32.random(in: 0..<3, using: &rng)
            var bytes = Array(s.utf8)
            let (i, inserted) = try bytes.withUnsafeMutableBytes { try t.intern(tag: tag, $0.baseAddress, $0.count) }
            let key = "\(tag):\(s)"
            if let old = seen[key] {
                #expect(!inserted && old == i)
            } else {
                #expect(inserted && Int(i) == seen.count)
                seen[key] = i
            }
            #expect(t.string(at: Int(i)) == s && t.tag(Int(i)) == tag)
        }
        #expect(t.count == seen.count)
        #expect(t.find(tag: 9, nil, 0) == nil)
    }

    @Test func prefetchLinesNameOnlyWhatTheTableHolds() throws {
        // The lines a pipeline fetches: the candidate a hash names is the entry it interned,
        // its bytes are the entry's own, and indices past the end name nothing.
        var t = InternTable()
        var bytes = Array("ann@example.org".utf8)
        let (i, _) = try bytes.withUnsafeMutableBytes { try t.intern(tag: 2, $0.baseAddress, $0.count) }
        let h = bytes.withUnsafeMutableBytes { t.hasher.hash($0.baseAddress, $0.count, tag: 2) }
        #expect(t.candidate(hash: h) == Int(i))
        #expect(t.slotLines(hash: h).first != nil && t.slotLines(hash: h).second == nil)
        let own = t.unsafeBytes(at: Int(i))
        #expect(Array(own) == bytes)
        #expect(t.bytesLine(Int(i)).first == UnsafeRawPointer(own.baseAddress))
        #expect(t.bytesLine(t.count).first == nil && t.bytesLine(-1).first == nil)
        #expect(t.entryLine(t.count + 1).first == nil && t.entryLine(0).first != nil)
        t.slotLines(hash: h).prefetch()
        t.bytesLine(5).prefetch()
    }

    @Test func emptyStringIsAnEntry() throws {
        var t = InternTable()
        let (a, inserted) = try t.intern(tag: 0, nil, 0)
        #expect(inserted)
        #expect(try t.intern(tag: 0, nil, 0).index == a)
        #expect(t.string(at: Int(a)) == "")
    }
}
