#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import IdentityResolution

@Suite("Shared engine with a read mirror")
struct SharedEngineMirrorTests {
    /// Random writes (adds, upserts, removes, erasures, batches, reserves, a custom kind,
    /// refused adds)
    /// through a mirrored `SharedEngine` and the same writes on a plain engine: after every
    /// write both of the shared engine's copies answer exactly as the plain engine does (the
    /// same entity IDs, lookups, redirects and counters), in normal and hash-only mode.
    @Test(arguments: [false, true])
    func bothCopiesFollowEveryWrite(hashOnly: Bool) throws {
        var c = ResolverConfiguration()
        c.genericThresholds = [.email: 3, .phone: 2, .loyaltyID: 2, .deviceID: 3, .posCard: 2]
        if hashOnly { c.hashOnlySecret = Array("a secret of sixteen+ bytes".utf8) }
        let plain = try Engine(configuration: c)
        let base = try Engine(configuration: c)
        // Some state before the mirror exists: the mirror starts from a snapshot of it.
        for i in 0..<12 {
            let ids = [Identifier(.email, "e\(i % 5)@x.com"), Identifier(.phone, "555010000\(i % 4)")]
            try plain.add(key: "pre\(i)", identifiers: ids)
            try base.add(key: "pre\(i)", identifiers: ids)
        }
        // A reserve before the mirror: the mirror makes the same room.
        base.reserveCapacity(records: 100, identifiers: 200)
        let shared = SharedEngine(base)
        try shared.mirrorReads()
        #expect(shared.mirrorsReads)
        try shared.mirrorReads()  // again: nothing changes

        var rng = SplitMix64(seed: hashOnly ? 11 : 7)
        let emails = (0..<8).map { "e\($0)@x.com" } + ["test@test.com"]
        let phones = (0..<6).map { "555010000\($0)" }
        let cards = ["CARD-A", "CARD-B", "N/A"]
        var custom: IdentifierKind?
        var ids: Set<UInt64> = []
        func randomIdentifiers() -> [Identifier] {
            (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: Identifier(.email, emails.randomElement(using: &rng)!)
                case 1: Identifier(.phone, phones.randomElement(using: &rng)!)
                case 2: Identifier(.posCard, cards.randomElement(using: &rng)!)
                case 3 where custom != nil: Identifier(custom!, "M\(Int.random(in: 0..<4, using: &rng))")
                default: Identifier(.loyaltyID, "L\(Int.random(in: 0..<5, using: &rng))")
                }
            }
        }
        /// Applies `write` to both engines; their results (or errors) must match.
        func both<R: Equatable>(_ step: Int, _ write: (Engine) throws(IDRError) -> R) {
            let a = Result { () throws(IDRError) -> R in try write(plain) }
            let b = Result { () throws(IDRError) -> R in try shared.write(write) }
            switch (a, b) {
            case (.success(let x), .success(let y)): #expect(x == y, "step \(step)")
            case (.failure(let x), .failure(let y)): #expect(x.code == y.code, "step \(step)")
            default: Issue.record("step \(step): \(a) against \(b)")
            }
        }
        for step in 0..<300 {
            let key = "k\(Int.random(in: 0..<25, using: &rng))"
            switch Int.random(in: 0..<40, using: &rng) {
            case 0..<7:
                both(step) { (e) throws(IDRError) -> Bool in try e.remove(key: key) }
            case 7:
                let id = Bool.random(using: &rng) ? Identifier(.email, emails.randomElement(using: &rng)!)
                                                  : Identifier(.phone, phones.randomElement(using: &rng)!)
                both(step) { (e) throws(IDRError) -> Int in try e.erase(id.kind, id.value) }
            case 8 where custom == nil:
                both(step) { (e) throws(IDRError) -> IdentifierKind in
                    try e.registerKind(named: "member", rule: .token, genericThreshold: 3)
                }
                custom = plain.kind(named: "member")
            case 9:
                // Refused: the mirror must not get it either.
                let bad = [Identifier(IdentifierKind(rawValue: 77), "x")]
                both(step) { (e) throws(IDRError) -> UInt64 in try e.add(key: key, identifiers: bad) }
            case 10..<13:
                // A batch call, several writes in one: the mirror replays runs of adds through
                // a pipeline (longer than its lag and its ring, with upserts of one key inside).
                let batch = (0..<Int.random(in: 1...40, using: &rng)).map { i in
                    (key: "k\(Int.random(in: 0..<25, using: &rng))", ids: i == 3 ? [Identifier(.email, "")] : randomIdentifiers())
                }
                both(step) { (e) throws(IDRError) -> [UInt64] in try Self.addBatch(batch, to: e) }
            case 13:
                both(step) { (e) -> Int in e.entityCount }  // a write that changes nothing
            case 14:
                // Mixed writes in one: a run of adds cut by a remove and a reserve.
                let first = randomIdentifiers(), second = randomIdentifiers()
                let other = "k\(Int.random(in: 0..<25, using: &rng))"
                both(step) { (e) throws(IDRError) -> [UInt64] in
                    let a = try e.add(key: key, identifiers: first)
                    e.reserveCapacity(records: 64, identifiers: 128)
                    _ = try e.remove(key: other)
                    return [a, try e.add(key: other, identifiers: second), try e.add(key: key, identifiers: second)]
                }
            case 15:
                // SharedEngine.add: its reads run before the write.
                let record = randomIdentifiers()
                let a = Result { () throws(IDRError) -> UInt64 in try plain.add(key: key, identifiers: record) }
                let b = Result { () throws(IDRError) -> UInt64 in
                    try withRawRecord(key: key, source: nil, identifiers: record) { (k, _, raws) throws(IDRError) in
                        try shared.add(recordKey: k, identifiers: raws)
                    }
                }
                switch (a, b) {
                case (.success(let x), .success(let y)): #expect(x == y, "step \(step)")
                case (.failure(let x), .failure(let y)): #expect(x.code == y.code, "step \(step)")
                default: Issue.record("step \(step): \(a) against \(b)")
                }
            default:
                let record = randomIdentifiers()
                both(step) { (e) throws(IDRError) -> UInt64 in try e.add(key: key, identifiers: record) }
            }
            ids.formUnion(plain.snapshot().map(\.entity))
            let mirror = try #require(shared.mirror)
            for copy in [shared.engine, mirror] {
                // Sorted: a mirror rebuilt from a snapshot may list its records in another order.
                #expect(copy.snapshot().map { "\($0.key)=\($0.entity)" }.sorted() == plain.snapshot().map { "\($0.key)=\($0.entity)" }.sorted(), "step \(step)")
                #expect(copy.statistics == plain.statistics, "step \(step)")
                for id in ids { #expect(copy.resolve(id) == plain.resolve(id), "step \(step)") }
                for (kind, pool) in [(IdentifierKind.email, emails), (.phone, phones), (.posCard, cards)] {
                    for v in pool { #expect(try copy.lookup(kind, v) == plain.lookup(kind, v), "step \(step) \(v)") }
                }
            }
            #expect(try shared.read { (e) throws(IDRError) in try e.lookup(.email, "e1@x.com") } == plain.lookup(.email, "e1@x.com"))
        }
    }

    /// Adds `batch` through the batch call; the entity IDs in order.
    static func addBatch(_ batch: [(key: String, ids: [Identifier])], to e: Engine) throws(IDRError) -> [UInt64] {
        // Each record's key, then its values, as bytes that stay put during the call.
        let parts = batch.map { [Array($0.key.utf8)] + $0.ids.map { Array($0.value.utf8) } }
        var out: [UInt64] = []
        try parts.withValueBuffers { (b) throws(IDRError) in
            try e.add(count: batch.count, identifierCapacity: 4, record: { i, slots in
                for (j, id) in batch[i].ids.enumerated() { slots[j] = RawIdentifier(kind: id.kind, value: b[i][j + 1]) }
                return (b[i][0], batch[i].ids.count)
            }, entity: { _, id in out.append(id) })
        }
        return out
    }

    /// Readers look customers up while one writer adds through a mirrored engine; the mirror is
    /// made while they run. No reader ever sees an entity without members, every ID a reader
    /// saw still resolves at the end, and the final state is complete on both copies.
    @Test func readersDuringMirroredWrites() async throws {
        let shared = SharedEngine(try Engine())
        let writes = 6000
        let results = await withTaskGroup(of: (Int, [UInt64]).self) { group in
            group.addTask {
                for i in 0..<writes {
                    if i == 500 { try? shared.mirrorReads() }
                    if i % 1000 == 999 {
                        _ = try? shared.write { (e) throws(IDRError) in try e.remove(key: "k\(i - 1)") }
                        _ = try? shared.write { (e) throws(IDRError) in try e.add(key: "k\(i - 1)", identifiers: [Identifier(.email, "c\((i - 1) / 2)@mail.com")]) }
                    }
                    _ = try? withRawRecord(key: "k\(i)", source: nil, identifiers: [Identifier(.email, "c\(i / 2)@mail.com")]) { (k, _, ids) throws(IDRError) in
                        try shared.add(recordKey: k, identifiers: ids)
                    }
                }
                return (0, [])
            }
            for reader in 0..<3 {
                group.addTask {
                    var bad = 0
                    var seen: [UInt64] = []
                    for i in 0..<4000 {
                        let found = shared.read { e in (try? e.lookup(.email, "c\((i * 7 + reader) % (writes / 2))@mail.com")).flatMap { $0 } }
                        if let id = found {
                            if shared.read({ $0.members(of: id) }).isEmpty { bad += 1 }
                            if i % 16 == 0 { seen.append(id) }
                        }
                    }
                    return (bad, seen)
                }
            }
            return await group.reduce(into: (0, [UInt64]())) { $0.0 += $1.0; $0.1 += $1.1 }
        }
        #expect(results.0 == 0)
        #expect(shared.mirrorsReads)
        for id in results.1 { #expect(shared.read { $0.resolve(id) } != nil) }
        let mirror = try #require(shared.mirror)
        #expect(shared.read { $0.entityCount } == writes / 2)
        #expect(mirror.snapshot().map { "\($0.key)=\($0.entity)" }.sorted() == shared.engine.snapshot().map { "\($0.key)=\($0.entity)" }.sorted())
    }

    /// An engine opened from a path keeps its log and snapshots with a mirror: the mirror has
    /// neither, and the reopened state holds every write.
    @Test func persistenceWithMirror() throws {
        let path = "/tmp/idr-mirror-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        defer { unlink(path); unlink(path + ".log") }
        let shared = SharedEngine(try Engine.open(path: path))
        try shared.write { (e) throws(IDRError) in _ = try e.add(key: "a", identifiers: [Identifier(.email, "ann@x.com")]) }
        try shared.mirrorReads()
        try shared.write { (e) throws(IDRError) in _ = try e.add(key: "b", identifiers: [Identifier(.email, "ANN@x.com")]) }
        try shared.write { (e) throws(IDRError) in try e.save() }
        try shared.write { (e) throws(IDRError) in _ = try e.add(key: "c", identifiers: [Identifier(.phone, "555 010 0001")]) }
        try shared.write { (e) throws(IDRError) in _ = try e.remove(key: "a") }
        let before = shared.read { $0.snapshot().map { "\($0.key)=\($0.entity)" } }
        #expect(try #require(shared.mirror).snapshot().map { "\($0.key)=\($0.entity)" }.sorted() == before.sorted())
        let reopened = try Engine.open(path: path)
        #expect(reopened.snapshot().map { "\($0.key)=\($0.entity)" }.sorted() == before.sorted())
    }
}

extension Array where Element == [[UInt8]] {
    /// Calls `body` with a buffer for each inner byte array, all valid for the call.
    func withValueBuffers<R, E: Error>(_ body: ([[UnsafeRawBufferPointer]]) throws(E) -> R) throws(E) -> R {
        // Copies into one allocation: pointers into Swift arrays are valid only inside their closures.
        let total = reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(total, 1), alignment: 1)
        defer { storage.deallocate() }
        var offset = 0
        let buffers = map { record in
            record.map { bytes in
                let b = UnsafeMutableRawBufferPointer(rebasing: storage[offset..<(offset + bytes.count)])
                b.copyBytes(from: bytes)
                offset += bytes.count
                return UnsafeRawBufferPointer(b)
            }
        }
        return try body(buffers)
    }
}
