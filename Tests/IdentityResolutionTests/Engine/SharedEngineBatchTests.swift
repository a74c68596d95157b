import Testing
@testable import IdentityResolution

/// The shared engine's batch add (SharedEngine+Batch), written a part at a time, against the
/// engine's own batch call: the same IDs, errors and state, with and without a mirror.
@Suite("Shared engine batch add")
struct SharedEngineBatchTests {
    typealias Record = EngineBatchTests.Record

    /// Adds `records` through the shared engine's batch call; the IDs in order and the error.
    static func addShared(_ shared: SharedEngine, _ records: [Record], concurrent: Bool,
                          entity: (Int, UInt64) -> Void = { _, _ in }) -> ([UInt64], IDRError?) {
        let keys = records.map { Array($0.key.utf8) }
        let values = records.map { $0.ids.map { Array($0.value.utf8) } }
        let record: ConcurrentRecordSource = { i, buffer in
            for (j, id) in records[i].ids.enumerated() where j < buffer.count {
                buffer[j] = RawIdentifier(kind: id.kind, value: values[i][j].withUnsafeBytes { $0 })
            }
            return (keys[i].withUnsafeBytes { $0 }, records[i].ids.count)
        }
        var ids: [UInt64] = []
        let report = { (i: Int, id: UInt64) in
            #expect(i == ids.count)
            ids.append(id)
            entity(i, id)
        }
        do throws(IDRError) {
            if concurrent {
                try shared.add(count: records.count, identifierCapacity: 4, concurrentRecord: record, entity: report)
            } else {
                try shared.add(count: records.count, identifierCapacity: 4, record: record, entity: report)
            }
        } catch {
            return (ids, error)
        }
        return (ids, nil)
    }

    /// 3000 random records (upserts, generic values, placeholders) with a refused one at record
    /// 2600: the records before it are added with the IDs the engine's batch gives, the rest are
    /// not, and both copies of a mirrored engine hold the same state as the plain engine.
    @Test(arguments: [false, true], [false, true])
    func sameAsEngineBatch(mirror: Bool, concurrent: Bool) throws {
        var records = EngineBatchTests.randomRecords(seed: 31, count: 3000)
        records[2600].ids = [Identifier(IdentifierKind(rawValue: 77), "x")]
        let plain = try Engine()
        let (expected, expectedError) = EngineBatchTests.addBatch(plain, records)
        #expect(expected.count == 2600)
        let shared = SharedEngine(try Engine())
        if mirror { try shared.mirrorReads() }
        let (got, error) = Self.addShared(shared, records, concurrent: concurrent)
        #expect(got == (0..<2600).map { expected[$0]! })
        #expect(error?.code == expectedError?.code)
        #expect(error?.code == .unknownKind)
        let state = plain.snapshot().map { "\($0.key)=\($0.entity)" }.sorted()
        #expect(shared.engine.snapshot().map { "\($0.key)=\($0.entity)" }.sorted() == state)
        #expect(shared.engine.statistics == plain.statistics)
        if mirror {
            let copy = try #require(shared.mirror)
            #expect(copy.snapshot().map { "\($0.key)=\($0.entity)" }.sorted() == state)
            #expect(copy.statistics == plain.statistics)
        }
        // An empty batch writes nothing.
        #expect(Self.addShared(shared, [], concurrent: concurrent).0.isEmpty)
        #expect(shared.engine.statistics == plain.statistics)
    }

    /// With a mirror, readers see a batch's first parts while the batch is still running: from
    /// the batch's own callback for record 2000 (in the second part of 1024 steps, the pipeline
    /// 12 steps behind), a read finds record 1000 and not yet record 1500.
    @Test(arguments: [false, true])
    func readersSeeEarlierParts(concurrent: Bool) throws {
        let records: [Record] = (0..<2500).map { ("k\($0)", [Identifier(.email, "c\($0)@mail.com")]) }
        let shared = SharedEngine(try Engine())
        try shared.mirrorReads()
        var during: (UInt64?, UInt64?) = (nil, nil)
        let (ids, error) = Self.addShared(shared, records, concurrent: concurrent) { i, _ in
            guard i == 2000 else { return }
            during = shared.read { e in ((try? e.lookup(.email, "c1000@mail.com")) ?? nil, (try? e.lookup(.email, "c1500@mail.com")) ?? nil) }
        }
        #expect(error == nil)
        #expect(ids.count == 2500)
        #expect(during.0 == ids[1000])
        #expect(during.1 == nil)
        #expect(shared.read { e in (try? e.lookup(.email, "c1500@mail.com")) ?? nil } == ids[1500])
    }
}
