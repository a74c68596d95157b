import Testing
@testable import IdentityResolution

/// ``InternTable+Hints``: what the hint words hold, that they follow their entries through
/// growth, and that they never change what the table finds.
@Suite("Intern table hints")
struct InternTableHintsTests {
    /// A table of `n` entries "v0", "v1", … under `hasher` (a truncated hash makes long
    /// probe paths, so hints must follow the entry, not the hash's home slot).
    /// Tags cycle through `tags` values.
    static func table(_ n: Int, hasher: KeyHasher = KeyHasher(), tags: Int = 3, hints: Bool) throws -> InternTable {
        var t = InternTable(hasher: hasher, capacity: 4)
        if hints { t.enableHints(values: UnsafeBufferPointer(start: nil, count: 0)) }
        for i in 0..<n {
            var bytes = Array("v\(i)".utf8)
            _ = try bytes.withUnsafeMutableBytes { try t.intern(tag: UInt32(i % tags), $0.baseAddress, $0.count) }
        }
        return t
    }

    @Test func offUnlessEnabled() throws {
        let t = try Self.table(10, hints: false)
        #expect(t.hints.isEmpty)
        #expect(t.hint(ofEntry: 0) == nil)
        var bytes = Array("v1".utf8)
        let h = bytes.withUnsafeMutableBytes { t.hasher.hash($0.baseAddress, $0.count, tag: 1) }
        #expect(t.hintedCandidate(hash: h) == nil)
    }

    @Test(arguments: [64, 4])
    func newEntriesCarryTheirOffsetAndNoValue(bits: Int) throws {
        let t = try Self.table(500, hasher: .truncated(toBits: bits), hints: true)
        #expect(t.hints.count == t.slots.count)
        for i in 0..<t.count {
            let hint = try #require(t.hint(ofEntry: i))
            #expect(hint.start == t.start(i))
            #expect(hint.value == InternTable.noHint)
        }
    }

    @Test(arguments: [64, 4])
    func setValuesSurviveGrowth(bits: Int) throws {
        var t = try Self.table(40, hasher: .truncated(toBits: bits), hints: true)
        for i in 0..<t.count { t.setHint(entry: i, UInt32(i * 7)) }
        let slotsBefore = t.slots.count
        // Enough new entries to rehash the table twice over.
        for i in 40..<1_000 {
            var bytes = Array("w\(i)".utf8)
            _ = try bytes.withUnsafeMutableBytes { try t.intern(tag: 0, $0.baseAddress, $0.count) }
        }
        #expect(t.slots.count > slotsBefore * 2)
        #expect(t.hints.count == t.slots.count)
        for i in 0..<40 { #expect(t.hint(ofEntry: i)?.value == UInt32(i * 7)) }
        for i in 40..<t.count { #expect(t.hint(ofEntry: i)?.value == InternTable.noHint) }
    }

    @Test func enablingGathersTheOwnersValues() throws {
        var t = try Self.table(300, hints: false)
        let owner = (0..<250).map { UInt32($0 * 3 + 1) }     // shorter than the table: the rest get none
        owner.withUnsafeBufferPointer { t.enableHints(values: $0) }
        for i in 0..<t.count {
            let hint = try #require(t.hint(ofEntry: i))
            #expect(hint.start == t.start(i))
            #expect(hint.value == (i < 250 ? UInt32(i * 3 + 1) : InternTable.noHint))
        }
        // Built elsewhere and installed: the same words; a wrong count turns hints off.
        let words = owner.withUnsafeBufferPointer { t.makeHints(values: $0) }
        #expect(words == t.hints)
        t.installHints(Array(words.dropLast()))
        #expect(t.hints.isEmpty)
    }

    @Test func candidateNamesTheEntryAndItsHint() throws {
        // One tag: xxHash3 seeded with the tag gives some 1-3 byte keys of different tags the
        // same full hash ("v10" under tag 1 and "v11" under tag 2), and the candidate is the
        // first entry whose hash fragment matches, unconfirmed.
        var t = try Self.table(200, tags: 1, hints: true)
        for i in 0..<t.count { t.setHint(entry: i, UInt32(1_000 + i)) }
        for i in 0..<t.count {
            var bytes = Array("v\(i)".utf8)
            let h = bytes.withUnsafeMutableBytes { t.hasher.hash($0.baseAddress, $0.count, tag: 0) }
            let c = try #require(t.hintedCandidate(hash: h))
            #expect(c.entry == i && c.start == t.start(i) && c.value == UInt32(1_000 + i))
        }
    }

    @Test func wrongHintsNeverChangeWhatIsFound() throws {
        // Every hint pointing at the wrong entry's bytes and a nonsense value: lookups read the
        // hints only to prefetch, so each entry is still found, and absent keys are not.
        var t = try Self.table(300, hasher: .truncated(toBits: 3), hints: true)
        let bogus = [UInt64](repeating: InternTable.hint(start: Int(UInt32.max), value: 12345), count: t.slots.count)
        t.installHints(bogus)
        #expect(t.hints == bogus)
        for i in 0..<t.count {
            var bytes = Array("v\(i)".utf8)
            let found = bytes.withUnsafeMutableBytes { t.find(tag: UInt32(i % 3), $0.baseAddress, $0.count) }
            #expect(found == UInt32(i))
            if let c = bytes.withUnsafeMutableBytes({ t.hintedCandidate(hash: t.hasher.hash($0.baseAddress, $0.count, tag: UInt32(i % 3))) }) {
                // A bogus start is out of the arena: no line for it, the entry's word only.
                let lines = t.entryLines(entry: c.entry, bytesAt: c.start)
                #expect(lines.first != nil && lines.second == nil)
                lines.prefetch()
            }
        }
        var absent = Array("x1".utf8)
        #expect(absent.withUnsafeMutableBytes { t.find(tag: 0, $0.baseAddress, $0.count) } == nil)
    }
}
