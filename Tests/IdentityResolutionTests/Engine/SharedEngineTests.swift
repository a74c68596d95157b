import Synchronization
import Testing
import IdentityResolution

@Suite("Shared engine")
struct SharedEngineTests {
    /// Readers look customers up while one writer adds; no reader ever sees an entity without
    /// members, and the final state is complete.
    @Test func readersDuringWrites() async throws {
        let shared = SharedEngine(try Engine())
        let writes = 6000
        let torn = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                for i in 0..<writes {
                    _ = try? shared.write { e throws(IDRError) in
                        try e.add(key: "k\(i)", identifiers: [Identifier(.email, "c\(i / 2)@mail.com")])
                    }
                }
                return 0
            }
            for reader in 0..<3 {
                group.addTask {
                    var bad = 0
                    for i in 0..<4000 {
                        let found = shared.read { e in (try? e.lookup(.email, "c\((i * 7 + reader) % (writes / 2))@mail.com")).flatMap { $0 } }
                        if let id = found, shared.read({ $0.members(of: id) }).isEmpty { bad += 1 }
                    }
                    return bad
                }
            }
            return await group.reduce(0, +)
        }
        #expect(torn == 0)
        #expect(shared.read { $0.entityCount } == writes / 2)
    }

    /// `SharedEngine.add` reads before it takes the exclusive lock; it must give exactly what an
    /// add under `write` gives: entities, errors, events, state after an erase, in normal and
    /// hash-only mode, with a reader running beside it all along.
    @Test(arguments: [false, true])
    func addReadingFirstEqualsAddUnderWrite(hashOnly: Bool) async throws {
        func engine() throws -> Engine {
            var c = ResolverConfiguration()
            if hashOnly { c.hashOnlySecret = Array("a secret of sixteen+ bytes".utf8) }
            return try Engine(configuration: c)
        }
        let plain = SharedEngine(try engine()), early = SharedEngine(try engine())
        var input = randomRecords(seed: 9, people: 400).map { (key: $0.key, ids: $0.ids) }
        input.insert((key: "", ids: [Identifier(.email, "a@b.com")]), at: 50)                    // refused
        input.insert((key: input[7].key, ids: [Identifier(.phone, "555 010 9999")]), at: 90)  // an upsert
        input.insert((key: "bad-kind", ids: [Identifier(IdentifierKind(rawValue: 77), "x")]), at: 120)
        let erased = input[200].ids.first { $0.kind == .email }?.value ?? "person1@mail1.com"
        let stop = Atomic<Bool>(false)
        let reader = Task.detached {
            var found = 0
            while !stop.load(ordering: .relaxed) {
                if early.read({ (try? $0.lookup(.email, erased)).flatMap { $0 } }) != nil { found += 1 }
            }
            return found
        }
        for (i, r) in input.enumerated() {
            if i == 300 {
                let a = try plain.write { (e) throws(IDRError) in try e.erase(.email, erased) }
                let b = try early.write { (e) throws(IDRError) in try e.erase(.email, erased) }
                #expect(a == b)
            }
            var a: Result<UInt64, IDRError>, b: Result<UInt64, IDRError>
            do { a = .success(try plain.write { (e) throws(IDRError) in try e.add(key: r.key, identifiers: r.ids) }) } catch { a = .failure(error) }
            do {
                b = .success(try withRawRecord(key: r.key, source: nil, identifiers: r.ids) { (k, _, ids) throws(IDRError) in
                    try early.add(recordKey: k, identifiers: ids)
                })
            } catch { b = .failure(error) }
            switch (a, b) {
            case (.success(let x), .success(let y)): #expect(x == y, "record \(i)")
            case (.failure(let x), .failure(let y)): #expect(x.code == y.code && x.message == y.message, "record \(i)")
            default: Issue.record("record \(i): \(a) against \(b)")
            }
        }
        stop.store(true, ordering: .relaxed)
        _ = await reader.value
        #expect(plain.write { $0.drainEvents() } == early.write { $0.drainEvents() })
        for r in input where !r.key.isEmpty {
            #expect(plain.read { $0.entityID(ofKey: r.key) } == early.read { $0.entityID(ofKey: r.key) })
        }
        #expect(plain.read { $0.entityCount } == early.read { $0.entityCount })
    }
}
