#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

/// The online engine with per-entity limits: its partition equals the bulk resolver's (which
/// refuses links in a fixed greedy order) after every write, and lookups, members, `why` and
/// `how`, IDs, events and snapshots follow the limited partition.
@Suite("Engine with per-entity limits")
struct EngineLimitsTests {
    static func configuration() -> ResolverConfiguration {
        var c = ResolverConfiguration()
        c.genericThresholds = [.email: 3, .phone: 2, .loyaltyID: 3, .deviceID: 3, .posCard: 3]
        c.entityLimits = [.loyaltyID: 1, .email: 2]
        return c
    }

    static func bytewise(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// Random adds, upserts, removes, erases and save/load cycles over a small pool, so links are
    /// refused, values turn generic and back, and refusals change as records come and go. After
    /// every step: the partition equals bulk's, lookups answer with the entity of the value's
    /// record with the smallest key, members agree, and `why` agrees with the partition.
    @Test(arguments: [1, 2, 3, 4, 5])
    func randomInterleavingsEqualBulk(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let c = Self.configuration()
        var engine = try Engine(configuration: c)
        var model: [String: [Identifier]] = [:]
        let pools: [(IdentifierKind, [String])] = [
            (.email, (0..<6).map { "e\($0)@x.com" } + ["test@test.com"]),
            (.phone, (0..<4).map { "555010000\($0)" }),
            (.loyaltyID, (0..<5).map { "L\($0)" }),
            (.posCard, ["CARD-A", "CARD-B"]),
        ]
        let normalizer = Normalizer(configuration: c)
        func normalized(_ kind: IdentifierKind, _ raw: String) -> String? {
            try? normalizer.normalize(raw, rule: NormalizationRule.builtIn(for: kind)!).get()
        }
        var erased: Set<String> = []
        func isErased(_ id: Identifier) -> Bool {
            normalized(id.kind, id.value).map { erased.contains("\(id.kind.rawValue):\($0)") } ?? false
        }
        let path = "/tmp/idr-limits-\(getpid())-\(seed).idr"
        defer { unlink(path) }
        var refusals = 0, overLimitAnswers = 0, loads = 0
        for step in 0..<300 {
            let key = "k\(Int.random(in: 0..<24, using: &rng))"
            let op = Int.random(in: 0..<100, using: &rng)
            if op < 15 {
                _ = try engine.remove(key: key)
                model[key] = nil
            } else if op < 18 {
                let (kind, pool) = pools.randomElement(using: &rng)!
                let raw = pool.randomElement(using: &rng)!
                _ = try engine.erase(kind, raw)
                if let v = normalized(kind, raw) { erased.insert("\(kind.rawValue):\(v)") }
                for (k, ids) in model { model[k] = ids.filter { !isErased($0) } }
            } else if op < 21 {
                try engine.save(to: path)
                engine = try Engine.load(from: path)
                loads += 1
                #expect(engine.configuration.entityLimits == c.entityLimits)
                #expect(engine.configuration.linkPriority == c.linkPriority)
            } else {
                var ids: [Identifier] = []
                for _ in 0..<Int.random(in: 0...3, using: &rng) {
                    let (kind, pool) = pools.randomElement(using: &rng)!
                    ids.append(Identifier(kind, pool.randomElement(using: &rng)!))
                }
                try engine.add(key: key, identifiers: ids)
                model[key] = ids.filter { !isErased($0) }
            }
            let bulk = try Resolver(configuration: c)
            for (k, ids) in model.sorted(by: { $0.key < $1.key }) { try bulk.add(key: k, identifiers: ids) }
            let resolution = bulk.resolve()
            refusals += resolution.refusedLinks.count
            var expected: [String: UInt64] = [:]
            for i in 0..<bulk.recordCount { expected[bulk.recordKey(at: i)] = resolution.entityID(ofRecord: i) }
            var actual: [String: UInt64] = [:]
            for (k, e) in engine.snapshot() { actual[k] = e }
            let same = partition(actual) == partition(expected)
            #expect(same, "seed \(seed) step \(step)")
            #expect(engine.entityCount == Set(actual.values).count, "seed \(seed) step \(step)")
            #expect(engine.largestEntitySize() == resolution.statistics.largestEntity)
            if !same { break }

            // Lookups: the entity of the value's record with the smallest key.
            let generic = Set(resolution.genericValues.map { "\($0.kind.rawValue):\($0.value)" })
            for (kind, pool) in pools {
                for raw in pool {
                    guard let v = normalized(kind, raw) else { continue }
                    let holders = model.filter { $0.value.contains { $0.kind == kind && normalized(kind, $0.value) == v } }
                        .map(\.key).sorted(by: Self.bytewise)
                    let found = try engine.lookup(kind, raw)
                    if holders.isEmpty || generic.contains("\(kind.rawValue):\(v)") || raw == "test@test.com" {
                        #expect(found == nil, "seed \(seed) step \(step) \(raw)")
                    } else {
                        #expect(found == actual[holders[0]], "seed \(seed) step \(step) \(raw)")
                    }
                }
            }
            for id in Set(actual.values) {
                #expect(engine.members(of: id) == actual.filter { $0.value == id }.map(\.key).sorted(by: Self.bytewise))
            }
            // `why`: joined exactly within an entity, through records of that entity.
            let keys = actual.keys.sorted()
            for _ in 0..<4 where keys.count > 1 {
                let a = keys.randomElement(using: &rng)!, b = keys.randomElement(using: &rng)!
                let answer = try engine.why(a, b)
                switch answer {
                case .joined(let path):
                    #expect(actual[a] == actual[b], "seed \(seed) step \(step) \(a) \(b)")
                    #expect(path.first?.record == a && path.last?.record == b)
                    #expect(path.allSatisfy { actual[$0.record] == actual[a] })
                case .overLimit(let kind, let limit, _, let path):
                    overLimitAnswers += 1
                    #expect(actual[a] != actual[b])
                    #expect(c.entityLimits[kind] == limit)
                    #expect(path.first?.record == a && path.last?.record == b)
                default:
                    #expect(actual[a] != actual[b], "seed \(seed) step \(step) \(a) \(b)")
                }
            }
        }
        #expect(refusals > 0, "links must be refused for this test to mean anything")
        #expect(overLimitAnswers > 0)
        #expect(loads > 0)
    }

    /// Two customers share an email; each has a loyalty card, and one per entity is allowed.
    @Test func sharedEmailStaysApartAndIDsFollowTheRules() throws {
        var c = ResolverConfiguration()
        c.entityLimits = [.loyaltyID: 1]
        let e = try Engine(configuration: c)
        e.collectsEvents = true
        let a = try e.add(key: "a", identifiers: [Identifier(.email, "ann@x.com"), Identifier(.loyaltyID, "L1")])
        let b = try e.add(key: "b", identifiers: [Identifier(.email, "ann@x.com"), Identifier(.loyaltyID, "L2")])
        #expect(a != b)
        guard case .overLimit(let kind, let limit, let via, let path) = try e.why("a", "b") else {
            Issue.record("expected an over-limit answer")
            return
        }
        #expect(kind == .loyaltyID && limit == 1)
        #expect(via.kind == .email)
        #expect(path.map(\.record) == ["a", "b"])
        // The email's links start from its record with the smallest key.
        #expect(try e.lookup(.email, "ANN@x.com") == a)
        #expect(try e.lookup(.loyaltyID, "L2") == b)
        // Within a's entity the email links nothing: a holds it alone there.
        #expect(try e.how(a).links.isEmpty)
        // c has no card: it joins the email's first record, a.
        let c1 = try e.add(key: "c", identifiers: [Identifier(.email, "ann@x.com")])
        #expect(c1 == a)
        #expect(e.members(of: a) == ["a", "c"])
        #expect(try e.how(a).links.map(\.records) == [["a", "c"]])
        _ = e.drainEvents()
        // Without a, the email links b and c: a's old entity (older than b's) absorbs b's.
        try e.remove(key: "a")
        #expect(e.entityID(ofKey: "b") == a)
        #expect(e.entityID(ofKey: "c") == a)
        #expect(e.resolve(b) == a)
        let events = e.drainEvents()
        #expect(events.contains { if case .merged(b, a, _, _) = $0 { true } else { false } })
        // An upsert that gives c a second card splits the entity again; the part holding the
        // oldest record (b, added before c) keeps the ID.
        try e.add(key: "c", identifiers: [Identifier(.email, "ann@x.com"), Identifier(.loyaltyID, "L3")])
        #expect(e.entityID(ofKey: "b") == a)
        #expect(e.entityID(ofKey: "c") != a)
        #expect(e.entityCount == 2)
    }

    /// A state with limits saved and loaded keeps them, and writes after the load still equal bulk.
    @Test func limitsSurviveSaveAndLoad() throws {
        var c = ResolverConfiguration()
        c.entityLimits = [.loyaltyID: 1]
        c.linkPriority = [.email, .loyaltyID]
        c.customKinds = [.init(name: "crm", rule: .exact, entityLimit: 1)]
        let e = try Engine(configuration: c)
        let crm = try #require(e.kind(named: "crm"))
        try e.add(key: "a", identifiers: [Identifier(.email, "x@x.com"), Identifier(crm, "C1")])
        try e.add(key: "b", identifiers: [Identifier(.email, "x@x.com"), Identifier(crm, "C2")])
        #expect(e.entityID(ofKey: "a") != e.entityID(ofKey: "b"))
        let path = "/tmp/idr-limits-load-\(getpid()).idr"
        defer { unlink(path) }
        try e.save(to: path)
        let loaded = try Engine.load(from: path)
        #expect(loaded.configuration.entityLimits == [.loyaltyID: 1])
        #expect(loaded.configuration.linkPriority == [.email, .loyaltyID])
        #expect(loaded.configuration.customKinds.map(\.entityLimit) == [1])
        #expect(loaded.snapshot().map(\.entity) == e.snapshot().map(\.entity))
        // A third record with both crm values would exceed the crm limit: it joins neither side
        // beyond what the greedy order allows, exactly as bulk decides.
        for engine in [e, loaded] {
            try engine.add(key: "c", identifiers: [Identifier(.email, "x@x.com"), Identifier(.loyaltyID, "L9")])
        }
        let bulk = try Resolver(configuration: c)
        try bulk.add(key: "a", identifiers: [Identifier(.email, "x@x.com"), Identifier(crm, "C1")])
        try bulk.add(key: "b", identifiers: [Identifier(.email, "x@x.com"), Identifier(crm, "C2")])
        try bulk.add(key: "c", identifiers: [Identifier(.email, "x@x.com"), Identifier(.loyaltyID, "L9")])
        let res = bulk.resolve()
        var expected: [String: UInt64] = [:]
        for i in 0..<bulk.recordCount { expected[bulk.recordKey(at: i)] = res.entityID(ofRecord: i) }
        for engine in [e, loaded] {
            var actual: [String: UInt64] = [:]
            for (k, id) in engine.snapshot() { actual[k] = id }
            #expect(partition(actual) == partition(expected))
        }
        #expect(loaded.snapshot().map(\.entity) == e.snapshot().map(\.entity))
    }
}
