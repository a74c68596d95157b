import Testing
@testable import IdentityResolution

@Suite("Online engine: events and explanations")
struct EngineEventsTests {
    private func engine(_ edit: (inout ResolverConfiguration) -> Void = { _ in }) throws -> Engine {
        var c = ResolverConfiguration()
        edit(&c)
        let e = try Engine(configuration: c)
        e.collectsEvents = true
        return e
    }

    @Test func createdMergedSplitRemoved() throws {
        let e = try engine()
        let a = try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com")])
        let b = try e.add(key: "b", identifiers: [Identifier(.phone, "5550100001")])
        #expect(e.drainEvents() == [.created(entity: a, record: "a"), .created(entity: b, record: "b")])
        try e.add(key: "c", identifiers: [Identifier(.email, "A@x.com"), Identifier(.phone, "555-010-0001")])
        #expect(e.drainEvents() == [.merged(from: b, into: a, record: "c", via: EventIdentifier(kind: .phone, value: "+15550100001"))])
        #expect(e.drainEvents() == [])
        // Joining one entity is no event.
        try e.add(key: "d", identifiers: [Identifier(.email, "a@x.com")])
        #expect(e.drainEvents() == [])
        #expect(try e.remove(key: "c"))
        let bSide = try #require(e.entityID(ofKey: "b"))
        #expect(e.drainEvents() == [.removed(record: "c", entity: a, entityGone: false),
                                    .split(from: a, parts: [a, bSide], record: "c", cut: nil)])
        #expect(try e.remove(key: "b"))
        #expect(e.drainEvents() == [.removed(record: "b", entity: bSide, entityGone: true)])
    }

    @Test func upsertReportsTheNetChangeOnly() throws {
        let e = try engine()
        let a = try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com")])
        try e.add(key: "b", identifiers: [Identifier(.email, "b@x.com")])
        let bridge = try e.add(key: "m", identifiers: [Identifier(.email, "a@x.com"), Identifier(.email, "b@x.com")])
        #expect(bridge == a)
        _ = e.drainEvents()
        // Re-adding with an extra identifier that changes nothing: no events.
        try e.add(key: "m", identifiers: [Identifier(.email, "a@x.com"), Identifier(.email, "b@x.com"), Identifier(.deviceID, "dev-1")])
        #expect(e.drainEvents() == [])
        // Dropping the bridging identifier: a split cut by it.
        try e.add(key: "m", identifiers: [Identifier(.email, "a@x.com")])
        let bNow = try #require(e.entityID(ofKey: "b"))
        #expect(e.drainEvents() == [.split(from: a, parts: [a, bNow], record: "m", cut: EventIdentifier(kind: .email, value: "b@x.com"))])
    }

    @Test func aValueBecomingGenericSplitsWithItAsTheCut() throws {
        let e = try engine()
        var first: UInt64 = 0
        for i in 0..<4 {
            let id = try e.add(key: "t\(i)", identifiers: [Identifier(.posCard, "STORE"), Identifier(.email, "c\(i)@m.com")])
            if i == 0 { first = id }
        }
        _ = e.drainEvents()
        try e.add(key: "t4", identifiers: [Identifier(.posCard, "STORE"), Identifier(.email, "c4@m.com")])
        let events = e.drainEvents()
        #expect(events.first == .created(entity: try #require(e.entityID(ofKey: "t4")), record: "t4"))
        guard events.count == 2, case .split(let from, let parts, let record, let cut) = events[1] else {
            Issue.record("expected created then split, got \(events)")
            return
        }
        #expect(from == first && parts.count == 4 && parts[0] == first && record == "t4")
        #expect(cut == EventIdentifier(kind: .posCard, value: "STORE"))
    }

    @Test func handlerSeesEventsWithoutTheQueue() throws {
        let e = try Engine()
        var seen: [EntityEvent] = []
        e.eventHandler = { seen.append($0) }
        try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com")])
        #expect(seen.count == 1)
        #expect(e.drainEvents() == [])
    }

    /// After every step: IDs that appeared were reported created or as split parts; IDs that
    /// disappeared were reported merged (from) or removed with their entity gone.
    @Test(arguments: [21, 22, 23])
    func eventsAccountForEveryChange(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let e = try engine { $0.genericThresholds = [.email: 2, .phone: 1, .loyaltyID: 2, .deviceID: 3, .posCard: 2] }
        let emails = (0..<6).map { "e\($0)@x.com" }
        var before: Set<UInt64> = []
        for _ in 0..<300 {
            let key = "k\(Int.random(in: 0..<20, using: &rng))"
            if Int.random(in: 0..<5, using: &rng) == 0 {
                _ = try e.remove(key: key)
            } else {
                var ids: [Identifier] = []
                for _ in 0..<Int.random(in: 0...2, using: &rng) {
                    ids.append(Bool.random(using: &rng) ? Identifier(.email, emails.randomElement(using: &rng)!)
                                                        : Identifier(.posCard, "C\(Int.random(in: 0..<3, using: &rng))"))
                }
                try e.add(key: key, identifiers: ids)
            }
            let after = Set(e.snapshot().map(\.entity))
            var appeared: Set<UInt64> = []
            var vanished: Set<UInt64> = []
            for event in e.drainEvents() {
                switch event {
                case .created(let id, _): appeared.insert(id)
                case .split(_, let parts, _, _): appeared.formUnion(parts)
                case .merged(let from, let into, _, _):
                    vanished.insert(from)
                    #expect(e.resolve(from) == e.resolve(into))
                case .removed(_, let id, let gone): if gone { vanished.insert(id) }
                }
            }
            #expect(after.subtracting(before).isSubset(of: appeared))
            #expect(before.subtracting(after).isSubset(of: vanished))
            before = after
        }
    }

    @Test func whyAndHow() throws {
        let e = try Engine()
        try e.add(key: "web", identifiers: [Identifier(.email, "ann@x.com")])
        try e.add(key: "pos", identifiers: [Identifier(.email, "ANN@x.com"), Identifier(.loyaltyID, "L-1")])
        try e.add(key: "cc", identifiers: [Identifier(.loyaltyID, "l 1"), Identifier(.email, "test@test.com")])
        try e.add(key: "junk", identifiers: [Identifier(.email, "test@test.com")])
        try e.add(key: "alone", identifiers: [Identifier(.email, "bob@x.com")])
        let joined = try e.why("web", "cc")
        #expect(joined == .joined(path: [
            EvidenceStep(record: "web", via: nil),
            EvidenceStep(record: "pos", via: EventIdentifier(kind: .email, value: "ann@x.com")),
            EvidenceStep(record: "cc", via: EventIdentifier(kind: .loyaltyID, value: "L1")),
        ]))
        guard case .refused(let by, let id, let path) = try e.why("cc", "junk") else {
            Issue.record("expected a refusal")
            return
        }
        #expect(by == .placeholder && id == EventIdentifier(kind: .email, value: "test@test.com") && path.count == 2)
        #expect(try e.why("web", "alone") == .noSharedEvidence)
        #expect(throws: IDRError.self) { try e.why("web", "missing") }
        let anatomy = try e.how(try #require(e.entityID(ofKey: "web")))
        #expect(anatomy.records == ["cc", "pos", "web"])
        #expect(anatomy.links.map(\.identifier.description) == ["email:ann@x.com", "loyalty_id:L1"])
        #expect(anatomy.links.map(\.records) == [["pos", "web"], ["cc", "pos"]])
        #expect(throws: IDRError.self) { try e.how(42) }
    }

    @Test func whyNamesAGenericValue() throws {
        let e = try Engine()
        for i in 0..<5 {
            try e.add(key: "t\(i)", identifiers: [Identifier(.posCard, "STORE"), Identifier(.email, "c\(i)@m.com")])
        }
        guard case .refused(.generic, let id, _) = try e.why("t0", "t1") else {
            Issue.record("expected a generic refusal")
            return
        }
        #expect(id == EventIdentifier(kind: .posCard, value: "STORE"))
    }
}
