import Testing
@testable import IdentityResolution

/// `resolve --threads 2` prepares rows on another thread; adding them must be exactly adding
/// the raw rows: same records, counters, guard decisions, fuzzy links, errors and IDs.
@Suite("Resolver: prepared rows")
struct ResolverPreparedTests {
    /// Rows with identifiers, attributes, invalid values, placeholders, repeated keys, sources,
    /// an unknown kind and bad keys.
    private func rows(seed: UInt64) -> [(key: String, source: String?, ids: [Identifier])] {
        var rng = SplitMix64(seed: seed)
        var out = randomRecords(seed: seed, people: 300).map { (key: $0.key, source: nil as String?, ids: $0.ids) }
        for i in out.indices {
            if Int.random(in: 0..<3, using: &rng) == 0 { out[i].source = ["web", "pos", "bad\u{FFFF}"][Int.random(in: 0..<3, using: &rng)] }
            if Int.random(in: 0..<2, using: &rng) == 0 {
                let p = Int.random(in: 0..<150, using: &rng)
                out[i].ids += [Identifier(.firstName, ["Ann", "BOB", "unknown", "Zoë"][p % 4]), Identifier(.lastName, "Fam\(p)x"),
                               Identifier(.dateOfBirth, p % 11 == 0 ? "31/02/1990" : "19\(50 + p % 40)-0\(1 + p % 9)-1\(p % 10)"),
                               Identifier(.postcode, p % 13 == 0 ? "00000" : "1\(p % 50)00")]
            }
            if Int.random(in: 0..<20, using: &rng) == 0 { out[i].ids.append(Identifier(.email, "not an email")) }
            if Int.random(in: 0..<40, using: &rng) == 0 { out[i].ids.append(Identifier(.phone, String(repeating: "9", count: 2000))) }
        }
        out.append((key: out[3].key, source: "again", ids: [Identifier(.loyaltyID, "LY-77")]))   // a repeated key
        out.append((key: "", source: nil, ids: [Identifier(.email, "a@b.com")]))                  // refused: empty key
        out.append((key: "unknown-kind", source: nil, ids: [Identifier(IdentifierKind(rawValue: 99), "x")]))
        out.append((key: String(repeating: "k", count: 2000), source: nil, ids: []))               // refused: key too long
        out.append((key: "long-source", source: String(repeating: "s", count: 2000), ids: [Identifier(.email, "c@d.com")]))  // refused: source too long
        return out
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func preparedRowsAddLikeRawRows(seed: UInt64) throws {
        let input = rows(seed: seed)
        let direct = try Resolver()
        let prepared = try Resolver()
        var preparer = prepared.preparer()
        var batch = PreparedRows()
        for r in input {
            try withRawRecord(key: r.key, source: r.source, identifiers: r.ids) { (k, s, ids) throws(IDRError) in
                preparer.append(recordKey: k, source: s, identifiers: ids, to: &batch)
            }
        }
        #expect(batch.count == input.count)
        for (i, r) in input.enumerated() {
            var a: Result<Int, IDRError>
            do { a = .success(try direct.add(key: r.key, source: r.source, identifiers: r.ids)) } catch { a = .failure(error) }
            var b: Result<Int, IDRError>
            do { b = .success(try prepared.add(prepared: batch, row: i)) } catch { b = .failure(error) }
            switch (a, b) {
            case (.success(let x), .success(let y)): #expect(x == y)
            case (.failure(let x), .failure(let y)): #expect(x.code == y.code && x.message == y.message)
            default: Issue.record("row \(i): \(a) against \(b)")
            }
        }
        let x = direct.resolve(), y = prepared.resolve()
        #expect(x.entityIDs == y.entityIDs)
        #expect(x.statistics == y.statistics)
        #expect(x.genericValues == y.genericValues)
        func untimed(_ f: FuzzyStatistics?) -> FuzzyStatistics? {
            guard var f else { return nil }
            (f.blockingSeconds, f.comparingSeconds, f.scoringSeconds) = (0, 0, 0)
            return f
        }
        #expect(untimed(x.fuzzy) == untimed(y.fuzzy) && x.fuzzyLinks == y.fuzzyLinks)
        #expect(x.fuzzy != nil)
        #expect(direct.attributes.bytes == prepared.attributes.bytes && direct.attributes.slots == prepared.attributes.slots)
        #expect(direct.recordSource.elements == prepared.recordSource.elements)
    }

    /// `idr-bench resolve` frees the hash index before resolving (``Resolver/releaseIndex()``).
    /// Whatever comes after, raw or prepared adds (a repeated key among them), key lookups,
    /// explanations and resolves, must answer as if it had never been freed.
    @Test(arguments: [4, 5] as [UInt64])
    func releasedIndexIsRebuiltWhenNeeded(seed: UInt64) throws {
        let input = rows(seed: seed)
        let half = input.count / 2
        let kept = try Resolver(), released = try Resolver()
        func addRaw(_ r: Resolver, _ row: (key: String, source: String?, ids: [Identifier])) -> Result<Int, IDRError> {
            do { return .success(try r.add(key: row.key, source: row.source, identifiers: row.ids)) } catch { return .failure(error) }
        }
        func same(_ a: Result<Int, IDRError>, _ b: Result<Int, IDRError>) -> Bool {
            switch (a, b) {
            case (.success(let x), .success(let y)): x == y
            case (.failure(let x), .failure(let y)): x.code == y.code && x.message == y.message
            default: false
            }
        }
        for row in input[..<half] { #expect(same(addRaw(kept, row), addRaw(released, row))) }
        released.releaseIndex()
        #expect(released.indexReleased)
        #expect(kept.resolve().entityIDs == released.resolve().entityIDs)
        #expect(released.indexReleased, "resolving needs no index")
        // The second half through prepared rows, the index freed again before the batch.
        var preparer = released.preparer()
        var batch = PreparedRows()
        for r in input[half...] {
            try withRawRecord(key: r.key, source: r.source, identifiers: r.ids) { (k, s, ids) throws(IDRError) in
                preparer.append(recordKey: k, source: s, identifiers: ids, to: &batch)
            }
        }
        released.releaseIndex()
        for (i, row) in input[half...].enumerated() {
            var b: Result<Int, IDRError>
            do { b = .success(try released.add(prepared: batch, row: i)) } catch { b = .failure(error) }
            #expect(same(addRaw(kept, row), b), "row \(half + i)")
        }
        #expect(!released.indexReleased)
        #expect(kept.recordCount == released.recordCount)
        released.releaseIndex()
        for row in input where !row.key.isEmpty {
            #expect(kept.recordIndex(forKey: row.key) == released.recordIndex(forKey: row.key))
        }
        #expect(released.recordIndex(forKey: "never-added") == nil)
        let x = kept.resolve()
        released.releaseIndex()
        let y = released.resolve()
        #expect(x.entityIDs == y.entityIDs && x.statistics == y.statistics && x.genericValues == y.genericValues)
        let a = input[0].key, b = input[1].key
        #expect(try kept.why(a, b, in: x) == released.why(a, b, in: y))
        // A raw add of a key already there, after a release: the same record, not a new one.
        released.releaseIndex()
        #expect(same(addRaw(kept, input[2]), addRaw(released, input[2])))
        #expect(kept.recordCount == released.recordCount)
    }
}
