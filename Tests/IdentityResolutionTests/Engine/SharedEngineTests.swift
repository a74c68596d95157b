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
}
