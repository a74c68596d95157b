#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

/// Snapshot versions 3 and 4 store the engine's arrays as they are, so its loader must check their
/// structure: a file whose checksums were recomputed after tampering must be refused with
/// `corruptData` or load into an engine that keeps working, never trap or hang.
@Suite("Snapshot robustness")
struct SnapshotRobustnessTests {
    /// A small engine with merges, splits, a generic value, placeholders and an erased value;
    /// with `limits`, links refused by a per-entity limit of one email too.
    private func engine(limits: Bool = false) throws -> Engine {
        var c = ResolverConfiguration()
        c.genericThresholds[.posCard] = 2
        if limits { c.entityLimits = [.email: 1] }
        let e = try Engine(configuration: c)
        var rng = SplitMix64(seed: 5)
        for _ in 0..<120 {
            let key = "k\(Int.random(in: 0..<30, using: &rng))"
            if Int.random(in: 0..<7, using: &rng) == 0 { _ = try e.remove(key: key); continue }
            var ids: [Identifier] = []
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: ids.append(Identifier(.email, "e\(Int.random(in: 0..<8, using: &rng))@x.com"))
                case 1: ids.append(Identifier(.posCard, "C\(Int.random(in: 0..<3, using: &rng))"))
                default: ids.append(Identifier(.email, "test@test.com"))
                }
            }
            try e.add(key: key, identifiers: ids)
        }
        _ = try e.erase(.email, "e1@x.com")
        return e
    }

    /// Section payload ranges of a snapshot: (tag, header offset, payload range).
    private func sections(_ b: [UInt8]) -> [(tag: UInt32, header: Int, payload: Range<Int>)] {
        func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[o + $1]) << (8 * $1) } }
        func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
        var out: [(UInt32, Int, Range<Int>)] = []
        var o = 20
        while o < b.count - 16 {
            let length = Int(u64(o + 4))
            out.append((u32(o), o, (o + 20)..<(o + 20 + length)))
            o += 20 + length
        }
        return out
    }

    private func put64(_ b: inout [UInt8], _ o: Int, _ v: UInt64) {
        for i in 0..<8 { b[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    /// Recomputes every section checksum and the file digest.
    private func reseal(_ b: inout [UInt8]) {
        for s in sections(b) {
            let h = b.withUnsafeBytes { XXH3.hash64(UnsafeRawBufferPointer(rebasing: $0[s.payload])) }
            put64(&b, s.header + 12, h)
        }
        let digest = b.withUnsafeBytes { XXH3.hash64(UnsafeRawBufferPointer(rebasing: $0[0..<(b.count - 8)])) }
        put64(&b, b.count - 8, digest)
    }

    /// Loads `path`; when that works, uses the engine: whatever was accepted must keep working.
    private func loadAndUse(_ path: String, _ rng: inout SplitMix64) throws(IDRError) {
        let e = try Engine.load(from: path)
        for k in 0..<30 { _ = e.entityID(ofKey: "k\(k)") }
        _ = try e.lookup(.email, "e2@x.com")
        _ = e.statistics
        _ = e.largestEntitySize()
        try e.add(key: "k\(Int.random(in: 0..<30, using: &rng))", identifiers: [Identifier(.email, "e3@x.com"), Identifier(.posCard, "C1")])
        _ = try e.remove(key: "k\(Int.random(in: 0..<30, using: &rng))")
        if let id = e.snapshot().first?.entity {
            _ = e.members(of: id)
            _ = try? e.how(id)
        }
        _ = try? e.why("k1", "k2")
        try e.save(to: path)
        _ = try Engine.load(from: path)
    }

    /// Cut anywhere, then given a valid end marker and file digest: the section framing itself
    /// must refuse it. (A section header cut short once trapped on a negative length.)
    @Test func truncationsWithAResealedEndAreRefused() throws {
        let original = try engine().snapshotBytes(generation: 1)
        let path = "/tmp/idr-robust-cut-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        defer { unlink(path) }
        for cut in stride(from: 0, to: original.count - 16, by: 7) {
            var b = Array(original[0..<cut]) + Array("IDREND\0\0".utf8) + [UInt8](repeating: 0, count: 8)
            let digest = b.withUnsafeBytes { XXH3.hash64(UnsafeRawBufferPointer(rebasing: $0[0..<(b.count - 8)])) }
            put64(&b, b.count - 8, digest)
            let f = fopen(path, "wb")!
            _ = b.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
            #expect(throws: IDRError.self) { try Engine.load(from: path) }
        }
    }

    @Test(arguments: [false, true])
    func tamperedTablesAreRefusedOrStayUsable(limits: Bool) throws {
        let original = try engine(limits: limits).snapshotBytes(generation: 1)
        let parts = sections(original).filter { $0.tag != 1 && !$0.payload.isEmpty }
        #expect(parts.map(\.tag).sorted() == [3, 4, 5, 6])
        let path = "/tmp/idr-robust-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        defer { unlink(path) }
        var rng = SplitMix64(seed: 5)
        var refused = 0, loaded = 0
        let interesting: [UInt32] = [0, 1, 2, 3, 7, 15, 16, 17, 0x7FFF_FFFF, 0xFFFF_FFFE, 0xFFFF_FFFF]
        for _ in 0..<4000 {
            var b = original
            let part = parts[Int.random(in: 0..<parts.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: part.payload, using: &rng)
                if Bool.random(using: &rng) {
                    b[at] = UInt8.random(in: 0...255, using: &rng)
                } else {
                    // An aligned word set to a boundary value: counts, offsets, indices, sentinels.
                    let word = part.payload.lowerBound + (at - part.payload.lowerBound) / 4 * 4
                    guard word + 4 <= part.payload.upperBound else { continue }
                    let v = interesting[Int.random(in: 0..<interesting.count, using: &rng)]
                    for i in 0..<4 { b[word + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
                }
            }
            reseal(&b)
            let f = fopen(path, "wb")!
            _ = b.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
            fclose(f)
            let outcome: Result<Void, IDRError> = Result { () throws(IDRError) in try loadAndUse(path, &rng) }
            switch outcome {
            case .success: loaded += 1
            case .failure(let error):
                #expect(error.code == .corruptData, "\(error)")
                refused += 1
            }
        }
        // Most tampering is caught; some (an age, a flipped byte of a key) is indistinguishable
        // from data. (60,000 mutations under each of seeds 5 to 10: about 80% refused, no trap.)
        #expect(refused > 2500)
        #expect(loaded > 0)
    }
}
