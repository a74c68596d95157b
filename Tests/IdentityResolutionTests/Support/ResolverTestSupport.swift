@testable import IdentityResolution

/// Resolves `records` in the given order and returns key → entity ID.
func resolveMap(
    _ records: [TestRecord], configuration: ResolverConfiguration = ResolverConfiguration(),
    hasher: KeyHasher = KeyHasher()
) throws -> [String: UInt64] {
    let r = try Resolver(configuration: configuration, hasher: hasher)
    for rec in records { try r.add(key: rec.key, identifiers: rec.ids) }
    let res = r.resolve()
    var out: [String: UInt64] = [:]
    for i in 0..<r.recordCount { out[r.recordKey(at: i)] = res.entityID(ofRecord: i) }
    return out
}

/// The partition of keys implied by a key → entity map, as a set of sorted key groups.
func partition(_ map: [String: UInt64]) -> Set<[String]> {
    var groups: [UInt64: [String]] = [:]
    for (k, e) in map { groups[e, default: []].append(k) }
    return Set(groups.values.map { $0.sorted() })
}

/// Random records with shared values, household phones, placeholders and a few junk values
/// shared widely enough to be generic.
func randomRecords(seed: UInt64, people: Int) -> [TestRecord] {
    var rng = SplitMix64(seed: seed)
    var out: [TestRecord] = []
    var n = 0
    let storeCards = (0..<3).map { "STORE-CARD-\($0)" }
    for p in 0..<people {
        let email = "person\(p)@mail\(p % 7).com"
        let phone = "555\(String(1_000_000 + p).suffix(7))"
        let household = "777\(String(1_000_000 + p / 3).suffix(7))"
        let count = Int.random(in: 1...4, using: &rng)
        for _ in 0..<count {
            var ids: [Identifier] = []
            if Bool.random(using: &rng) { ids.append(Identifier(.email, Bool.random(using: &rng) ? email.uppercased() : email)) }
            if Int.random(in: 0..<3, using: &rng) == 0 { ids.append(Identifier(.phone, phone)) }
            if Int.random(in: 0..<5, using: &rng) == 0 { ids.append(Identifier(.phone, household)) }
            if Int.random(in: 0..<6, using: &rng) == 0 { ids.append(Identifier(.posCard, storeCards[Int.random(in: 0..<3, using: &rng)])) }
            if Int.random(in: 0..<10, using: &rng) == 0 { ids.append(Identifier(.email, "test@test.com")) }
            if Int.random(in: 0..<4, using: &rng) == 0 { ids.append(Identifier(.loyaltyID, "LY-\(p)")) }
            if Int.random(in: 0..<8, using: &rng) == 0 { ids.append(Identifier(.loyaltyID, "LY-\(p + 1)")) }
            out.append(TestRecord("r\(n)", ids))
            n += 1
        }
    }
    return out
}
