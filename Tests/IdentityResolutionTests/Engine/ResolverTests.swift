import Testing
@testable import IdentityResolution

@Suite("Resolver: linking, IDs, errors")
struct ResolverTests {
    @Test func linksThroughSharedIdentifiers() throws {
        let map = try resolveMap([
            TestRecord("web-1", [Identifier(.email, "Ann@Example.org"), Identifier(.deviceID, "6F9619FF8B86D011B42D00C04FC964FF")]),
            TestRecord("pos-7", [Identifier(.email, " ann@example.org"), Identifier(.loyaltyID, "ly-0042")]),
            TestRecord("cc-3", [Identifier(.loyaltyID, "LY 0042"), Identifier(.phone, "(555) 123-4567")]),
            TestRecord("app-9", [Identifier(.deviceID, "{6f9619ff-8b86-d011-b42d-00c04fc964ff}")]),
            TestRecord("web-2", [Identifier(.email, "bob@example.org"), Identifier(.phone, "555 123 4568")]),
        ])
        #expect(Set(["web-1", "pos-7", "cc-3", "app-9"].map { map[$0]! }).count == 1)
        #expect(map["web-2"] != map["web-1"])
    }

    @Test func entityIDIsHashOfSmallestKey() throws {
        let map = try resolveMap([
            TestRecord("b", [Identifier(.email, "x@y.com")]),
            TestRecord("a", [Identifier(.email, "x@y.com")]),
            TestRecord("c", []),
        ])
        #expect(map["a"] == XXH3.hash64("a"))
        #expect(map["b"] == XXH3.hash64("a"))
        #expect(map["c"] == XXH3.hash64("c"))
    }

    /// Above the size where the entity IDs are computed on two cores (65,536 records): every
    /// entity's ID is the hash of its smallest key, and a shuffled input gives the same map.
    @Test func entityIDsOnTwoCoresAreTheSmallestKeysHash() throws {
        let records = randomRecords(seed: 21, people: 30_000)
        #expect(records.count > 1 << 16)
        let map = try resolveMap(records)
        var smallest: [UInt64: [UInt8]] = [:]
        for (key, id) in map {
            let bytes = Array(key.utf8)
            if let s = smallest[id], s.lexicographicallyPrecedes(bytes) { continue }
            smallest[id] = bytes
        }
        for (id, key) in smallest {
            #expect(id == key.withUnsafeBytes { Resolver.entityID(ofSmallestKey: $0) })
        }
        #expect(smallest.count < records.count * 3 / 4, "records must link for this test to mean anything")
        var rng = SplitMix64(seed: 5)
        #expect(try resolveMap(records.shuffled(using: &rng)) == map)
    }

    @Test func repeatedKeyUnitesIdentifiers() throws {
        let r = try Resolver()
        let a = try r.add(key: "k", identifiers: [Identifier(.email, "a@x.com")])
        let b = try r.add(key: "k", identifiers: [Identifier(.phone, "5551234567")])
        try r.add(key: "other", identifiers: [Identifier(.phone, "+1 555 123 4567")])
        #expect(a == b)
        let res = r.resolve()
        #expect(r.recordCount == 2)
        #expect(res.statistics.adds == 3)
        #expect(res.statistics.repeatedKeyAdds == 1)
        #expect(res.entityID(ofRecord: 0) == res.entityID(ofRecord: 1))
    }

    @Test func invalidValuesAreDroppedAndCounted() throws {
        let r = try Resolver()
        try r.add(key: "a", identifiers: [Identifier(.email, "not-an-email"), Identifier(.phone, "12"),
                                          Identifier(.phone, "12"), Identifier(.deviceID, "00000000-0000-0000-0000-000000000000")])
        try r.add(key: "b", identifiers: [Identifier(.email, "not-an-email")])
        let res = r.resolve()
        #expect(res.statistics.records == 2)
        #expect(res.statistics.entities == 2)
        let email = res.statistics.kinds.first { $0.kind == .email }!
        #expect(email.invalid.map(\.reason) == [.emailAtSign])
        #expect(email.invalidTotal == 2)
        let phone = res.statistics.kinds.first { $0.kind == .phone }!
        #expect(phone.invalid.first?.reason == .phoneLength && phone.invalidTotal == 2)
        #expect(res.statistics.invalid == 5)
        #expect(res.statistics.identifiers == 0)
    }

    @Test func badCallsThrowAndAddNothing() throws {
        var c = ResolverConfiguration()
        c.limits.maxRecordKeyLength = 8
        c.limits.maxIdentifiersPerRecord = 2
        let r = try Resolver(configuration: c)
        #expect(throws: IDRError.self) { try r.add(key: "", identifiers: []) }
        #expect { try r.add(key: "123456789", identifiers: []) } throws: { ($0 as! IDRError).code == .limitExceeded }
        #expect { try r.add(key: "k", identifiers: Array(repeating: Identifier(.email, "a@b.c"), count: 3)) }
            throws: { ($0 as! IDRError).code == .limitExceeded }
        #expect { try r.add(key: "k", identifiers: [Identifier(.email, "a@b.c"), Identifier(IdentifierKind(rawValue: 99), "v")]) }
            throws: { ($0 as! IDRError).code == .unknownKind }
        let badKey: [UInt8] = [0x61, 0xFF]
        #expect {
            try badKey.withUnsafeBytes { k in
                try r.add(recordKey: k, identifiers: UnsafeBufferPointer(start: nil, count: 0))
            }
        } throws: { ($0 as! IDRError).code == .invalidUTF8 }
        #expect(r.recordCount == 0)
        #expect(r.resolve().statistics.identifiers == 0)
    }

    @Test func maxRecordsLimit() throws {
        var c = ResolverConfiguration()
        c.limits.maxRecords = 2
        let r = try Resolver(configuration: c)
        try r.add(key: "a", identifiers: [])
        try r.add(key: "b", identifiers: [])
        try r.add(key: "a", identifiers: [Identifier(.email, "a@b.co")])  // existing key: fine
        #expect { try r.add(key: "c", identifiers: []) } throws: { ($0 as! IDRError).code == .limitExceeded }
    }

    @Test func invalidConfigurationIsRejected() {
        var c = ResolverConfiguration()
        c.defaultCountryCode = 0
        #expect(throws: IDRError.self) { try Resolver(configuration: c) }
        c = ResolverConfiguration()
        c.entityLimits[.loyaltyID] = 0
        #expect(throws: IDRError.self) { try Resolver(configuration: c) }
        c = ResolverConfiguration()
        c.customKinds = [.init(name: "Bad Name", rule: .exact)]
        #expect(throws: IDRError.self) { try Resolver(configuration: c) }
        // Thresholds that would not fit the engine's 32-bit counters are refused, not trapped on.
        c = ResolverConfiguration()
        c.genericThresholds[.email] = Int.max
        #expect(throws: IDRError.self) { try Resolver(configuration: c) }
        let r = try? Resolver()
        #expect(throws: IDRError.self) { try r?.registerKind(named: "big", rule: .exact, genericThreshold: Int.max) }
    }

    @Test func customKinds() throws {
        var c = ResolverConfiguration()
        c.customKinds = [.init(name: "crm_id", rule: .token)]
        let r = try Resolver(configuration: c)
        let crm = try #require(r.kind(named: "crm_id"))
        #expect(crm.rawValue == IdentifierKind.firstCustomRawValue)
        #expect(try r.registerKind(named: "crm_id", rule: .token) == crm)
        #expect(throws: IDRError.self) { try r.registerKind(named: "crm_id", rule: .exact) }
        #expect(throws: IDRError.self) { try r.registerKind(named: "email", rule: .exact) }
        let member = try r.registerKind(named: "member_no", rule: .exact)
        #expect(member.rawValue == crm.rawValue + 1)
        #expect(r.name(of: member) == "member_no")
        try r.add(key: "a", identifiers: [Identifier(crm, "c-1")])
        try r.add(key: "b", identifiers: [Identifier(crm, "C 1")])
        try r.add(key: "c", identifiers: [Identifier(member, "X")])
        try r.add(key: "d", identifiers: [Identifier(member, "x")])
        try r.add(key: "e", identifiers: [Identifier(crm, "N/A")])
        try r.add(key: "f", identifiers: [Identifier(crm, "n/a")])
        let res = r.resolve()
        #expect(res.entityID(ofRecord: 0) == res.entityID(ofRecord: 1))
        #expect(res.entityID(ofRecord: 2) != res.entityID(ofRecord: 3))  // exact rule keeps case
        #expect(res.entityID(ofRecord: 4) != res.entityID(ofRecord: 5))  // placeholder
        #expect(res.statistics.kinds.map(\.name) == ["email", "phone", "loyalty_id", "device_id", "pos_card", "crm_id", "member_no"])
    }
}

@Suite("Resolver: determinism")
struct DeterminismTests {
    /// Shuffled input gives the same entity IDs, with placeholders and generic values firing.
    @Test(arguments: [1, 2, 3])
    func orderDoesNotMatter(seed: UInt64) throws {
        let records = randomRecords(seed: seed, people: 150)
        var c = ResolverConfiguration()
        c.genericThresholds[.phone] = 2
        c.genericThresholds[.posCard] = 3
        let reference = try resolveMap(records, configuration: c)
        let r = try Resolver(configuration: c)
        for rec in records { try r.add(key: rec.key, identifiers: rec.ids) }
        let res = r.resolve()
        #expect(res.statistics.genericValues > 0, "the generic guard must fire for this test to mean anything")
        #expect(res.statistics.placeholderHits > 0)
        var rng = SplitMix64(seed: seed &* 1000)
        for _ in 0..<25 {
            var shuffled = records.shuffled(using: &rng)
            // Split some records into two adds of the same key.
            if let i = shuffled.indices.randomElement(using: &rng), shuffled[i].ids.count > 1 {
                let rec = shuffled[i]
                shuffled[i] = TestRecord(rec.key, Array(rec.ids.prefix(1)))
                shuffled.insert(TestRecord(rec.key, Array(rec.ids.dropFirst())), at: Int.random(in: 0...shuffled.count, using: &rng))
            }
            #expect(try resolveMap(shuffled, configuration: c) == reference)
        }
    }

    @Test func orderDoesNotMatterWithEntityLimits() throws {
        let records = randomRecords(seed: 9, people: 120)
        var c = ResolverConfiguration()
        c.entityLimits[.loyaltyID] = 1
        c.genericThresholds[.phone] = 2
        let r = try Resolver(configuration: c)
        for rec in records { try r.add(key: rec.key, identifiers: rec.ids) }
        let res = r.resolve()
        #expect(res.statistics.refusedLinks > 0)
        let reference = try resolveMap(records, configuration: c)
        var rng = SplitMix64(seed: 77)
        for _ in 0..<15 {
            #expect(try resolveMap(records.shuffled(using: &rng), configuration: c) == reference)
        }
    }

    /// With every table hash truncated to 2 bits, distinct values collide constantly; the
    /// byte comparison must keep the partition identical to the full-width one.
    @Test(arguments: [0, 2, 5])
    func forcedHashCollisionsNeverMerge(bits: Int) throws {
        let records = randomRecords(seed: 4, people: 80)
        let full = try resolveMap(records)
        let truncated = try resolveMap(records, hasher: .truncated(toBits: bits))
        #expect(full == truncated)
        // Distinct values alone: no record may merge.
        let distinct = (0..<300).map { TestRecord("k\($0)", [Identifier(.email, "user\($0)@x.com")]) }
        #expect(Set(try resolveMap(distinct, hasher: .truncated(toBits: bits)).values).count == 300)
    }

    /// Reference: with guards off, entities are exactly the connected components of
    /// "shares a normalized value", computed naively.
    @Test(arguments: [11, 12])
    func matchesNaiveReferenceWithGuardsOff(seed: UInt64) throws {
        let records = randomRecords(seed: seed, people: 60)
        var c = ResolverConfiguration()
        c.genericGuard = false
        c.builtInPlaceholders = false
        let map = try resolveMap(records, configuration: c)
        let n = Normalizer(configuration: c)
        var keysByRecord: [String: Set<String>] = [:]
        for rec in records {
            for id in rec.ids {
                if case .success(let v) = n.normalize(id.value, rule: NormalizationRule.builtIn(for: id.kind)!) {
                    keysByRecord[rec.key, default: []].insert("\(id.kind.rawValue):\(v)")
                } else {
                    keysByRecord[rec.key, default: []].formUnion([])
                }
            }
            keysByRecord[rec.key, default: []].formUnion([])
        }
        // Naive O(n^2) flood fill.
        let keys = keysByRecord.keys.sorted()
        var component: [String: Int] = [:]
        var next = 0
        for k in keys where component[k] == nil {
            var stack = [k]
            component[k] = next
            while let x = stack.popLast() {
                for y in keys where component[y] == nil && !keysByRecord[x]!.isDisjoint(with: keysByRecord[y]!) {
                    component[y] = next
                    stack.append(y)
                }
            }
            next += 1
        }
        var expected: [Int: [String]] = [:]
        for (k, c) in component { expected[c, default: []].append(k) }
        #expect(partition(map) == Set(expected.values.map { $0.sorted() }))
    }
}
