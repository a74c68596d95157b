import Testing
@testable import IdentityResolution

@Suite("Online engine: reserveCapacity")
struct EngineReserveTests {
    /// A reserve is a sizing hint: it estimates distinct values at two thirds of the
    /// identifiers, and data with more (here every identifier distinct, and more records than
    /// reserved) must grow the tables and answer exactly as an engine that reserved nothing.
    @Test(arguments: [(records: 3_000, identifiers: 3_000), (records: 1_000, identifiers: 900), (records: 0, identifiers: 0)])
    func reserveBelowTheDataChangesNothing(reserve: (records: Int, identifiers: Int)) throws {
        let reserved = try Engine(), plain = try Engine()
        reserved.reserveCapacity(records: reserve.records, identifiers: reserve.identifiers)
        var rng = SplitMix64(seed: 7)
        for i in 0..<4_000 {
            // Distinct emails and phones; every fifth record shares a loyalty card with the one before.
            var ids = [Identifier(.email, "person\(i)@example.org"), Identifier(.phone, "+1555\(1_000_000 + i)")]
            if i % 5 == 0 { ids.append(Identifier(.loyaltyID, "LY-\(i / 10)")) }
            if rng.next() % 7 == 0 { ids.append(Identifier(.deviceID, "dev-\(rng.next() % 500)")) }
            let a = try reserved.add(key: "r\(i)", identifiers: ids)
            let b = try plain.add(key: "r\(i)", identifiers: ids)
            #expect(a == b)
        }
        #expect(reserved.statistics == plain.statistics)
        for i in stride(from: 0, to: 4_000, by: 37) {
            #expect(reserved.entityID(ofKey: "r\(i)") == plain.entityID(ofKey: "r\(i)"))
            #expect(try reserved.lookup(.email, "person\(i)@example.org") == plain.lookup(.email, "person\(i)@example.org"))
            #expect(try reserved.lookup(.email, "person\(i)@example.org") != nil)
        }
    }
}
