#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

/// The batch add (``Engine/add(count:identifierCapacity:record:entity:)``) against one add per
/// record: same entity IDs, same events, same state byte for byte.
@Suite("Engine batch add")
struct EngineBatchTests {
    typealias Record = (key: String, ids: [Identifier])

    /// Random records over a small pool (so they merge, upsert, turn values generic).
    static func randomRecords(seed: UInt64, count: Int) -> [Record] {
        var rng = SplitMix64(seed: seed)
        let keys = (0..<40).map { "r\($0)" }
        return (0..<count).map { _ in
            var ids: [Identifier] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                let (kind, values) = ModelBasedTests.pool.filter { $0.0 != ModelBasedTests.crm }.randomElement(using: &rng)!
                ids.append(Identifier(kind, values.randomElement(using: &rng)!))
            }
            return (keys.randomElement(using: &rng)!, ids)
        }
    }

    /// Adds `records` in one batch call; the IDs it reported (index → ID) and its error. With
    /// `concurrent`, through the concurrent form with a second thread however small the batch.
    static func addBatch(_ e: Engine, _ records: [Record], capacity: Int = 4, concurrent: Bool = false) -> ([Int: UInt64], IDRError?) {
        // Keys and values as stable bytes for the duration of the call.
        let keys = records.map { Array($0.key.utf8) }
        let values = records.map { $0.ids.map { Array($0.value.utf8) } }
        var got: [Int: UInt64] = [:]
        var order: [Int] = []
        let record: ConcurrentRecordSource = { i, buffer in
            let n = records[i].ids.count
            for (j, id) in records[i].ids.enumerated() where j < buffer.count {
                buffer[j] = RawIdentifier(kind: id.kind, value: values[i][j].withUnsafeBytes { $0 })
            }
            return (keys[i].withUnsafeBytes { $0 }, n)
        }
        do {
            if concurrent {
                try e.add(count: records.count, identifierCapacity: capacity, concurrentRecord: record,
                          entity: { i, id in got[i] = id; order.append(i) }, feederMinimum: 0)
            } else {
                try e.add(count: records.count, identifierCapacity: capacity, record: record,
                          entity: { i, id in got[i] = id; order.append(i) })
            }
        } catch {
            #expect(order == Array(0..<order.count))
            return (got, error)
        }
        #expect(order == Array(0..<records.count))
        return (got, nil)
    }

    static func snapshotBytes(_ e: Engine) throws -> [UInt8] {
        let path = "/tmp/idr-batch-\(getpid())-\(UInt64.random(in: 0..<UInt64.max)).idr"
        defer { unlink(path) }
        try e.save(to: path)
        guard let f = fopen(path, "rb") else { return [] }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    @Test(arguments: [false, true], [false, true])
    func sameAsOneAddPerRecord(hashOnly: Bool, limits: Bool) throws {
        try sameAsOneAddPerRecord(hashOnly: hashOnly, limits: limits, concurrent: false)
    }

    /// The concurrent form (records prepared on a second thread) gives the same as well.
    @Test(arguments: [false, true], [false, true])
    func concurrentSameAsOneAddPerRecord(hashOnly: Bool, limits: Bool) throws {
        try sameAsOneAddPerRecord(hashOnly: hashOnly, limits: limits, concurrent: true)
    }

    func sameAsOneAddPerRecord(hashOnly: Bool, limits: Bool, concurrent: Bool) throws {
        for seed in UInt64(1)...12 {
            var c = ModelBasedTests.configuration(hashOnly: hashOnly, tombstones: true)
            if limits { c.entityLimits = [.loyaltyID: 1, .email: 1] }
            let single = try Engine(configuration: c), batched = try Engine(configuration: c)
            single.collectsEvents = true
            batched.collectsEvents = true
            var rng = SplitMix64(seed: seed &* 7919)
            var records = Self.randomRecords(seed: seed, count: 300)
            var start = 0
            while start < records.count {
                // Batches of every size around the pipeline's lag, removes and erases between.
                let n = min(Int.random(in: 1...40, using: &rng), records.count - start)
                let part = Array(records[start..<start + n])
                var expected: [Int: UInt64] = [:]
                for (i, r) in part.enumerated() { expected[i] = try single.add(key: r.key, identifiers: r.ids) }
                let (got, error) = Self.addBatch(batched, part, concurrent: concurrent)
                #expect(error == nil)
                #expect(got == expected, "seed \(seed), records \(start)..<\(start + n)")
                #expect(batched.drainEvents() == single.drainEvents())
                start += n
                if Bool.random(using: &rng) {
                    let key = records.randomElement(using: &rng)!.key
                    #expect(try batched.remove(key: key) == single.remove(key: key))
                }
                if Int.random(in: 0..<4, using: &rng) == 0, let id = records.randomElement(using: &rng)!.ids.first {
                    #expect(try batched.erase(id.kind, id.value) == single.erase(id.kind, id.value))
                }
                #expect(batched.drainEvents() == single.drainEvents())
            }
            records.removeAll()
            #expect(batched.statistics == single.statistics)
            #expect(try Self.snapshotBytes(batched) == Self.snapshotBytes(single), "seed \(seed)")
        }
    }

    /// An erase made by an event handler in the middle of a batch: records prepared before it
    /// must not bring the erased value back.
    @Test(arguments: [false, true])
    func eraseFromAnEventHandlerMidBatch(concurrent: Bool) throws {
        let c = ModelBasedTests.configuration(hashOnly: false, tombstones: true)
        let records: [Record] = (0..<30).map { i in
            (key: "k\(i)", ids: [Identifier(.email, "shared@x.com"), Identifier(.loyaltyID, "L\(i % 3)")])
        }
        func run(_ e: Engine, batch: Bool) throws -> ([UInt64], EngineStatistics) {
            var erased = false
            e.eventHandler = { _ in
                guard !erased, e.recordCount == 3 else { return }
                erased = true
                _ = try? e.erase(.email, "shared@x.com")
            }
            var ids: [UInt64] = []
            if batch {
                let (got, error) = Self.addBatch(e, records, concurrent: concurrent)
                #expect(error == nil)
                ids = (0..<records.count).map { got[$0] ?? 0 }
            } else {
                for r in records { ids.append(try e.add(key: r.key, identifiers: r.ids)) }
            }
            #expect(erased)
            return (ids, e.statistics)
        }
        let single = try run(try Engine(configuration: c), batch: false)
        let batched = try run(try Engine(configuration: c), batch: true)
        #expect(batched.0 == single.0)
        #expect(batched.1 == single.1)
        #expect(batched.1.erasedValues == records.count - 3)
    }

    /// A kind registered by an event handler in the middle of a batch: records prepared before
    /// it (and refused then) are added as lone adds would be.
    @Test(arguments: [false, true])
    func kindRegisteredMidBatch(concurrent: Bool) throws {
        let custom = IdentifierKind(rawValue: IdentifierKind.firstCustomRawValue)
        let records: [Record] = (0..<40).map { i in
            (key: "k\(i)", ids: i < 4 ? [Identifier(.email, "e\(i)@x.com")] : [Identifier(custom, "C\(i % 5)")])
        }
        let e = try Engine()
        e.eventHandler = { _ in
            if e.recordCount == 2, e.kind(named: "crm") == nil { _ = try? e.registerKind(named: "crm", rule: .exact) }
        }
        let (got, error) = Self.addBatch(e, records, concurrent: concurrent)
        #expect(error == nil)
        #expect(got.count == records.count)
        #expect(e.entityCount == 4 + 5)
    }

    @Test(arguments: [false, true])
    func stopsAtTheFirstBadRecord(concurrent: Bool) throws {
        let c = ResolverConfiguration()
        var records: [Record] = (0..<20).map { (key: "k\($0)", ids: [Identifier(.email, "p\($0 / 2)@x.com")]) }
        records[9] = (key: "k9", ids: [Identifier(IdentifierKind(rawValue: 999), "x")])
        let batched = try Engine(configuration: c), single = try Engine(configuration: c)
        for r in records[0..<9] { try single.add(key: r.key, identifiers: r.ids) }
        let (got, error) = Self.addBatch(batched, records, concurrent: concurrent)
        #expect(error?.code == .unknownKind)
        #expect(got.keys.sorted() == Array(0..<9))
        #expect(batched.statistics == single.statistics)
        #expect(try Self.snapshotBytes(batched) == Self.snapshotBytes(single))

        // An empty key, a record claiming more identifiers than the buffer holds.
        records[9] = (key: "", ids: [])
        #expect(Self.addBatch(try Engine(configuration: c), records, concurrent: concurrent).1?.code == .invalidArgument)
        records[9] = (key: "k9", ids: (0..<5).map { Identifier(.email, "m\($0)@x.com") })
        let (partial, tooMany) = Self.addBatch(try Engine(configuration: c), records, capacity: 4, concurrent: concurrent)
        #expect(tooMany?.code == .invalidArgument)
        #expect(partial.count == 9)
    }

    @Test func refusesABadCapacity() throws {
        let e = try Engine()
        for capacity in [-1, e.configuration.limits.maxIdentifiersPerRecord + 1] {
            let result = Result { () throws(IDRError) in
                try e.add(count: 1, identifierCapacity: capacity, record: { _, _ in (UnsafeRawBufferPointer(start: nil, count: 0), 0) },
                          entity: { _, _ in })
            }
            #expect(result.failureCode == .invalidArgument)
        }
        // Nothing to add: nothing is asked for.
        try e.add(count: 0, identifierCapacity: 1, record: { _, _ in
            Issue.record("record called for an empty batch")
            return (UnsafeRawBufferPointer(start: nil, count: 0), 0)
        }, entity: { _, _ in })
    }
}

private extension Result where Failure == IDRError {
    var failureCode: IDRError.Code? {
        if case .failure(let e) = self { return e.code }
        return nil
    }
}
