import Testing
@testable import IdentityResolution

/// A person of the synthetic population below.
private struct Person {
    var first: String, last: String, dob: String, zip: String, address: String, city: String
}

/// A population where names repeat (a few common ones) and every person has 1–3 records with
/// typos, nicknames, other date formats and missing fields; households share a family name and
/// an address. Returns the records (key, attributes) and each record's person.
private func population(people: Int, seed: UInt64) -> (records: [TestRecord], person: [Int]) {
    var rng = SplitMix64(seed: seed)
    func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &rng)] }
    let firsts = ["robert", "mary", "john", "patricia", "william", "linda", "james", "susan", "olga", "pieter", "amara",
                  "kenji", "ingrid", "tomasz", "leilani", "farida", "bogdan", "siobhan", "xavier", "yolanda"]
    var people_: [Person] = []
    for p in 0..<people {
        var person = Person(
            first: pick(firsts), last: "fam\(Int.random(in: 0..<(people / 3), using: &rng))x",
            dob: "19\(40 + Int.random(in: 0..<60, using: &rng))-0\(1 + Int.random(in: 0..<9, using: &rng))-1\(Int.random(in: 0..<10, using: &rng))",
            zip: String(10000 + Int.random(in: 0..<(people / 4), using: &rng)),
            address: "\(1 + Int.random(in: 0..<999, using: &rng)) \(pick(["oak", "elm", "main", "birch", "cedar"])) street",
            city: pick(["springfield", "riverton", "lakeside", "fairview"]))
        if p > 0, Int.random(in: 0..<10, using: &rng) == 0 {
            // A household member: same family name and address, another first name and birth date.
            let h = people_[p - 1]
            person.last = h.last
            person.address = h.address
            person.zip = h.zip
            person.city = h.city
            person.first = firsts.first { $0 != h.first }!
        }
        people_.append(person)
    }
    var records: [TestRecord] = []
    var who: [Int] = []
    for (p, person) in people_.enumerated() {
        for copy in 0..<(1 + Int.random(in: 0..<3, using: &rng)) {
            var first = person.first, last = person.last, dob = person.dob
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: last = String(last.dropLast(2)) + String(last.suffix(2).reversed())  // transposition
            case 1: first = first == "robert" ? "Bob" : first.uppercased()
            case 2:
                let parts = dob.split(separator: "-")
                dob = "\(parts[2])/\(parts[1])/\(parts[0])"
            default: break
            }
            var ids = [Identifier(.firstName, first), Identifier(.lastName, last), Identifier(.dateOfBirth, dob),
                       Identifier(.postcode, person.zip), Identifier(.address, person.address), Identifier(.city, person.city)]
            if copy > 0, Int.random(in: 0..<4, using: &rng) == 0 { ids.remove(at: 3 + Int.random(in: 0..<3, using: &rng)) }
            records.append(TestRecord("p\(p)-r\(copy)", ids))
            who.append(p)
        }
    }
    return (records, who)
}

/// Pairwise precision and recall of a resolution against the true persons.
private func pairwise(_ resolution: Resolution, _ resolver: Resolver, _ records: [TestRecord], _ person: [Int]) -> (Double, Double) {
    var truePairs = 0, predicted = 0, correct = 0
    let ids = records.map { resolution.entityID(ofRecord: resolver.recordIndex(forKey: $0.key)!) }
    for i in records.indices {
        for j in (i + 1)..<records.count {
            let t = person[i] == person[j], p = ids[i] == ids[j]
            if t { truePairs += 1 }
            if p { predicted += 1 }
            if t && p { correct += 1 }
        }
    }
    return (Double(correct) / Double(max(predicted, 1)), Double(correct) / Double(max(truePairs, 1)))
}

@Suite("Fuzzy matching")
struct FuzzyMatchingTests {
    @Test func attributesAreNormalized() throws {
        var store = AttributeStore(configuration: FuzzyMatching())
        var out: [UInt8] = []
        func norm(_ kind: IdentifierKind, _ s: String) -> (AttributeStore.Outcome, String) {
            var s = s
            let outcome = s.withUTF8 { store.normalize(kind, UnsafeRawBufferPointer($0), into: &out) }
            return (outcome, String(decoding: out, as: UTF8.self))
        }
        #expect(norm(.firstName, " BOB ") == (.valid, "robert"))
        #expect(norm(.firstName, "José") == (.valid, "jose"))
        #expect(norm(.lastName, "O'Brien-Smith") == (.valid, "obrien smith"))
        #expect(norm(.firstName, "UNKNOWN").0 == .placeholder)
        #expect(norm(.dateOfBirth, "29/02/1984") == (.valid, "19840229"))
        #expect(norm(.dateOfBirth, "1900-01-01").0 == .placeholder)
        #expect(norm(.dateOfBirth, "31/02/1984").0 == .invalid(.dateFormat))
        #expect(norm(.dateOfBirth, "  ").0 == .invalid(.empty))
        #expect(norm(.postcode, "sw1a 1aa") == (.valid, "SW1A1AA"))
        #expect(norm(.postcode, "00000").0 == .placeholder)
        #expect(norm(.address, "12 North Main Street, Apt. 4") == (.valid, "12 n main st apt 4"))
        #expect(norm(.city, "São Paulo") == (.valid, "sao paulo"))
        #expect(norm(.firstName, "ann\u{0}").0 == .invalid(.controlCharacter))
        #expect(norm(.lastName, String(repeating: "x", count: 300)).0 == .invalid(.tooLong))
        var monthFirst = FuzzyMatching()
        monthFirst.dateOrder = .monthFirst
        monthFirst.nicknames = [("bobby", "rob")]
        var us = AttributeStore(configuration: monthFirst)
        var s = "02/29/1984"
        #expect(s.withUTF8 { us.normalize(.dateOfBirth, UnsafeRawBufferPointer($0), into: &out) } == .valid)
        #expect(String(decoding: out, as: UTF8.self) == "19840229")
        s = "Bobby"
        _ = s.withUTF8 { us.normalize(.firstName, UnsafeRawBufferPointer($0), into: &out) }
        #expect(String(decoding: out, as: UTF8.self) == "rob")
    }

    @Test func phoneticCodesGroupNamesThatSoundAlike() {
        #expect(Phonetic.code("smith") == Phonetic.code("smyth"))
        #expect(Phonetic.code("cathy") == Phonetic.code("kathy"))
        #expect(Phonetic.code("phillips") == Phonetic.code("filips"))
        #expect(Phonetic.code("robert") == Phonetic.code("rupert"))
        #expect(Phonetic.code("smith") != Phonetic.code("jones"))
        #expect(Phonetic.code("") == "")
    }

    @Test func comparisonLevels() throws {
        let resolver = try Resolver()
        func add(_ key: String, _ f: String, _ l: String, _ d: String, _ z: String, _ a: String) throws {
            try resolver.add(key: key, identifiers: [Identifier(.firstName, f), Identifier(.lastName, l), Identifier(.dateOfBirth, d),
                                                     Identifier(.postcode, z), Identifier(.address, a)])
        }
        try add("a", "Ann", "Smith", "1980-04-03", "10001", "1 Oak Street")
        try add("b", "Smith", "Anne", "1980-03-04", "10001", "1 Oak St")       // swapped names, day and month
        try add("c", "Bea", "Jones", "1981-07-09", "20002", "9 Elm Road")
        let store = resolver.attributes
        let p = store.bytes.withUnsafeBufferPointer { bytes in
            store.slots.withUnsafeBufferPointer { slots in
                let cmp = PairComparator(bytes: bytes.baseAddress!, slots: slots.baseAddress!)
                return (cmp.pattern(0, 1), cmp.pattern(1, 0), cmp.pattern(0, 2))
            }
        }
        #expect(p.0 == p.1, "comparisons are symmetric")
        let ab = FuzzyLink(recordA: 0, recordB: 1, probability: 1, weight: 0, pattern: p.0)
        // Swapped names compare crosswise; the better level is reported first.
        #expect(ab.level("first_name") == .exact && ab.level("last_name") == .close)
        #expect(ab.level("dob") == .close && ab.level("location") == .exact)
        let ac = FuzzyLink(recordA: 0, recordB: 2, probability: 1, weight: 0, pattern: p.2)
        #expect(ac.levelsDescription == "first_name=different last_name=different dob=different location=different")
    }

    @Test func linksPeopleWithoutSharedIdentifiersAndKeepsHouseholdsApart() throws {
        let (records, person) = population(people: 3000, seed: 11)
        let resolver = try Resolver()
        for r in records { try resolver.add(key: r.key, identifiers: r.ids) }
        let resolution = resolver.resolve()
        let (precision, recall) = pairwise(resolution, resolver, records, person)
        #expect(precision > 0.98, "precision \(precision)")
        #expect(recall > 0.9, "recall \(recall)")
        let f = try #require(resolution.fuzzy)
        #expect(f.recordsWithAttributes == records.count)
        #expect(f.links == resolution.fuzzyLinks.count && f.links > 0)
        #expect(f.merges > 0 && f.merges <= f.links)
        #expect(f.comparedPairs > 0 && f.randomPairs > 0)
        #expect(f.parameters.count == 4)
        for p in f.parameters {
            #expect(abs(p.m.reduce(0, +) - 1) < 1e-6 && abs(p.u.reduce(0, +) - 1) < 1e-6, "\(p.comparison)")
            // Agreement is likelier among matches than among random pairs.
            #expect(p.m[0] > p.u[0], "\(p.comparison)")
        }
        for link in resolution.fuzzyLinks {
            #expect(link.recordA < link.recordB && link.probability >= 0.99)
        }

        // Off: no attribute links at all (records share no identifier).
        var off = ResolverConfiguration()
        off.fuzzy.enabled = false
        let plain = try Resolver(configuration: off)
        for r in records { try plain.add(key: r.key, identifiers: r.ids) }
        let none = plain.resolve()
        #expect(none.fuzzy == nil && none.fuzzyLinks.isEmpty)
        #expect(none.statistics.entities == records.count)
    }

    @Test func sameResultWhateverTheOrder() throws {
        let (records, _) = population(people: 800, seed: 5)
        func run(_ rs: [TestRecord]) throws -> ([String: UInt64], [String]) {
            let resolver = try Resolver()
            for r in rs { try resolver.add(key: r.key, identifiers: r.ids) }
            let res = resolver.resolve()
            var ids: [String: UInt64] = [:]
            for r in rs { ids[r.key] = res.entityID(ofRecord: resolver.recordIndex(forKey: r.key)!) }
            let links = res.fuzzyLinks.map { l in
                [resolver.recordKey(at: l.recordA), resolver.recordKey(at: l.recordB)].sorted().joined(separator: "~") + "@\(l.probability)"
            }.sorted()
            return (ids, links)
        }
        let base = try run(records)
        var rng = SplitMix64(seed: 99)
        for _ in 0..<3 {
            let shuffled = try run(records.shuffled(using: &rng))
            #expect(shuffled.0 == base.0)
            #expect(shuffled.1 == base.1)
        }
    }

    @Test func householdsTwinsAndHomonymsAreNotMerged() throws {
        let (records, _) = population(people: 1500, seed: 3)
        let resolver = try Resolver()
        for r in records { try resolver.add(key: r.key, identifiers: r.ids) }
        let extra: [(String, [Identifier])] = [
            ("twin-1", [Identifier(.firstName, "Castor"), Identifier(.lastName, "Zwilling"), Identifier(.dateOfBirth, "1990-05-05"),
                        Identifier(.postcode, "55555"), Identifier(.address, "7 Gemini Way")]),
            ("twin-2", [Identifier(.firstName, "Pollux"), Identifier(.lastName, "Zwilling"), Identifier(.dateOfBirth, "1990-05-05"),
                        Identifier(.postcode, "55555"), Identifier(.address, "7 Gemini Way")]),
            // Family name and address only: a household, not a person.
            ("thin-1", [Identifier(.lastName, "Quandt"), Identifier(.postcode, "66666"), Identifier(.address, "3 Birch Lane")]),
            ("thin-2", [Identifier(.lastName, "Quandt"), Identifier(.postcode, "66666"), Identifier(.address, "3 Birch Lane")]),
            ("same-1", [Identifier(.firstName, "Ofelia"), Identifier(.lastName, "Quirke"), Identifier(.dateOfBirth, "1971-11-02"),
                        Identifier(.postcode, "77777"), Identifier(.address, "8 Pine Road")]),
            ("same-2", [Identifier(.firstName, "OFELIA"), Identifier(.lastName, "Quirk"), Identifier(.dateOfBirth, "02/11/1971"),
                        Identifier(.postcode, "77777")]),
        ]
        for (k, ids) in extra { try resolver.add(key: k, identifiers: ids) }
        let res = resolver.resolve()
        func id(_ k: String) -> UInt64 { res.entityID(ofRecord: resolver.recordIndex(forKey: k)!) }
        #expect(id("twin-1") != id("twin-2"))
        #expect(id("thin-1") != id("thin-2"))
        #expect(id("same-1") == id("same-2"))
    }

    @Test func oversizedBlocksAreSkippedAndReported() throws {
        var c = ResolverConfiguration()
        c.fuzzy.blockingKeys = [try BlockingKey(parsing: "last_name~phonetic+zip")]
        c.fuzzy.maxBlockSize = 50
        let resolver = try Resolver(configuration: c)
        for i in 0..<120 {
            try resolver.add(key: "s\(i)", identifiers: [Identifier(.firstName, "john"), Identifier(.lastName, "Smith"),
                                                        Identifier(.postcode, "10001"), Identifier(.dateOfBirth, "1980-01-01")])
        }
        try resolver.add(key: "o1", identifiers: [Identifier(.lastName, "Oddie"), Identifier(.postcode, "10001")])
        try resolver.add(key: "o2", identifiers: [Identifier(.lastName, "Oddy"), Identifier(.postcode, "10001")])
        let f = try #require(resolver.resolve().fuzzy)
        #expect(f.oversizedBlockCount == 1)
        #expect(f.oversizedBlocks == [FuzzyStatistics.OversizedBlock(key: "last_name~phonetic+zip=253|10001", size: 120)])
        #expect(f.blockingKeys.count == 1 && f.blockingKeys[0].oversizedBlocks == 1)
        #expect(f.blockingKeys[0].blocks == 1 && f.blockingKeys[0].pairs == 1 && f.comparedPairs == 1)
    }

    @Test func aPairBudgetBoundsTheWork() throws {
        var c = ResolverConfiguration()
        c.fuzzy.blockingKeys = [try BlockingKey(parsing: "dob+zip")]
        c.fuzzy.maxPairsPerRecord = 1
        let resolver = try Resolver(configuration: c)
        // 15 blocks of 200 records: 298,500 pairs under the cap, over the 100,000 budget.
        for b in 0..<15 {
            for i in 0..<200 {
                try resolver.add(key: "b\(b)-\(i)", identifiers: [Identifier(.firstName, "n\(i)x"), Identifier(.dateOfBirth, "1980-01-\(10 + b)"),
                                                                  Identifier(.postcode, "10001")])
            }
        }
        let f = try #require(resolver.resolve().fuzzy)
        #expect(f.effectiveMaxBlockSize == 100)
        #expect(f.oversizedBlockCount == 15 && f.comparedPairs == 0)
    }

    @Test func fuzzyLinksObeyEntityLimits() throws {
        var c = ResolverConfiguration()
        c.entityLimits = [.loyaltyID: 1]
        let (records, _) = population(people: 600, seed: 8)
        let resolver = try Resolver(configuration: c)
        for r in records { try resolver.add(key: r.key, identifiers: r.ids) }
        let person: [Identifier] = [Identifier(.firstName, "Wilhelmina"), Identifier(.lastName, "Zabrowski"),
                                    Identifier(.dateOfBirth, "1966-06-16"), Identifier(.postcode, "40404"), Identifier(.address, "4 Ash Road")]
        try resolver.add(key: "card-a", identifiers: person + [Identifier(.loyaltyID, "483920")])
        try resolver.add(key: "card-b", identifiers: person + [Identifier(.loyaltyID, "739201")])
        let res = resolver.resolve()
        #expect(res.entityID(ofRecord: resolver.recordIndex(forKey: "card-a")!) != res.entityID(ofRecord: resolver.recordIndex(forKey: "card-b")!))
        let refused = try #require(res.refusedLinks.first { $0.fuzzyProbability != nil })
        #expect(Set([refused.recordKey, refused.otherRecordKey]) == ["card-a", "card-b"])
        #expect(refused.limitedKind == .loyaltyID && refused.viaValue.contains("first_name=exact"))
        #expect(res.fuzzy?.refusedLinks == 1)
    }

    @Test func attributeInputErrorsAndTheOnlineEngine() throws {
        let resolver = try Resolver()
        try resolver.add(key: "x", identifiers: [Identifier(.dateOfBirth, "not a date"), Identifier(.firstName, "Ann")])
        try resolver.add(key: "x", identifiers: [Identifier(.firstName, "Bea")])   // first value given wins
        #expect(resolver.attributes.string(record: 0, attribute: 0) == "ann")
        let f = try #require(resolver.resolve().fuzzy)
        #expect(f.attributes[2].invalid.map(\.reason) == [.dateFormat])
        #expect(f.attributes[0].identifiers == 2)   // valid occurrences, like identifiers; "Bea" is not stored
        let engine = try Engine()
        #expect(throws: IDRError.self) { try engine.add(key: "y", identifiers: [Identifier(.firstName, "Ann")]) }
        #expect(engine.recordCount == 0)
    }

    @Test func blockingKeysParseAndConfigurationIsChecked() throws {
        for text in ["last_name~phonetic+zip", "first_name~prefix1+dob", "names~phonetic+dob~year", "address+city"] {
            #expect(try BlockingKey(parsing: text).description == text)
        }
        for bad in ["", "email", "last_name~soundex", "first_name~prefix0", "zip+", "names~prefix99"] {
            #expect(throws: IDRError.self, "\(bad)") { try BlockingKey(parsing: bad) }
        }
        for change in [{ (f: inout FuzzyMatching) in f.threshold = 1 }, { $0.threshold = 0 }, { $0.maxBlockSize = 1 },
                       { $0.randomPairs = 10 }, { $0.maxIterations = 0 }, { $0.maxPairsPerRecord = 0 }, { $0.blockingKeys = [BlockingKey([])] },
                       { $0.blockingKeys = [BlockingKey([.attribute(.email, .exact)])] }] {
            var c = ResolverConfiguration()
            change(&c.fuzzy)
            #expect(throws: IDRError.self) { try Resolver(configuration: c) }
        }
    }

    @Test func bulkExplanationsShowFuzzyLinksWithTheirScore() throws {
        let (records, _) = population(people: 600, seed: 21)
        let resolver = try Resolver()
        for r in records { try resolver.add(key: r.key, identifiers: r.ids) }
        try resolver.add(key: "web", identifiers: [Identifier(.email, "zed@x.com"), Identifier(.firstName, "Zeno"),
                                                    Identifier(.lastName, "Quastorff"), Identifier(.dateOfBirth, "1977-03-09"),
                                                    Identifier(.postcode, "80808")])
        try resolver.add(key: "pos", identifiers: [Identifier(.loyaltyID, "LY-7"), Identifier(.firstName, "ZENO"),
                                                    Identifier(.lastName, "Quastorf"), Identifier(.dateOfBirth, "09/03/1977")])
        try resolver.add(key: "cc", identifiers: [Identifier(.loyaltyID, "ly 7")])
        try resolver.add(key: "sis", identifiers: [Identifier(.firstName, "Xenia"), Identifier(.lastName, "Quastorff"),
                                                    Identifier(.dateOfBirth, "1981-11-30"), Identifier(.postcode, "80808")])
        let res = resolver.resolve()
        guard case .joined(let path) = try resolver.why("web", "cc", in: res) else {
            Issue.record("web and cc should be joined")
            return
        }
        #expect(path.map(\.record) == ["web", "pos", "cc"])
        guard case .attributes(let p, _, let levels)? = path[1].via else {
            Issue.record("web-pos should be a fuzzy link")
            return
        }
        #expect(p >= 0.99 && levels.contains("first_name=exact") && levels.contains("dob=exact"))
        #expect(path[2].via == .identifier(EventIdentifier(kind: .loyaltyID, value: "LY7")))
        guard case .notJoined(let comparison?) = try resolver.why("web", "sis", in: res) else {
            Issue.record("web and sis should not be joined")
            return
        }
        #expect(!comparison.linkable && comparison.levels.contains("first_name=different"))
        let anatomy = try resolver.how("cc", in: res)
        #expect(anatomy.records == ["cc", "pos", "web"])
        #expect(anatomy.fuzzyLinks.map { [$0.0, $0.1] } == [["pos", "web"]])
        #expect(anatomy.identifiers.map(\.1) == [["cc", "pos"]])
        #expect(throws: IDRError.self) { try resolver.why("web", "nobody", in: res) }
    }
}
