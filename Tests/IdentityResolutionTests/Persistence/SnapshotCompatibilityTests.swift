#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

@Suite("Snapshot compatibility")
struct SnapshotCompatibilityTests {
    private func write(_ bytes: [UInt8]) -> String {
        let path = "/tmp/idr-compat-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        let f = fopen(path, "wb")!
        _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
        return path
    }

    /// The fixture's state, as the library that wrote it reported it.
    private func expectFixtureState(_ e: Engine) throws {
        let expected: [String: UInt64] = [
            "web-1": 14861603140197594164, "app-3": 13045083871086760596,
            "cc-9": 14351023457212982571, "crm-1": 14351023457212982571, "junk": 14351023457212982571,
            "bob": 1442208253991303397, "bob2": 11653733167656589046,
            "x1": 18362080210044035485, "x2": 18362080210044035485, "x3": 18362080210044035485,
        ]
        #expect(e.snapshot().count == expected.count)
        for (key, id) in expected { #expect(e.entityID(ofKey: key) == id, "\(key)") }
        #expect(e.entityID(ofKey: "pos-7") == nil)
        #expect(e.resolve(1182897768013595746) == 18362080210044035485)     // x2's absorbed ID
        #expect(try e.lookup(.email, "ANN@example.org") == 14861603140197594164)
        #expect(try e.lookup(.loyaltyID, "LY42") == 13045083871086760596)
        #expect(try e.lookup(.posCard, "tok_123456") == nil)                    // erased
        let s = e.statistics
        #expect(s.records == 10 && s.entities == 6 && s.values == 10 && s.placeholderValues == 1 && s.tombstones == 1)
        // The erasure tombstone still stops the value.
        try e.add(key: "new", identifiers: [Identifier(.posCard, "tok_123456"), Identifier(.phone, "+1 555 0100")])
        #expect(e.entityID(ofKey: "new") == 14351023457212982571)
        #expect(e.statistics.erasedValues == 1)
    }

    @Test func aVersion2SnapshotStillLoads() throws {
        let path = write(snapshotV2Fixture)
        defer { unlink(path) }
        try expectFixtureState(try Engine.load(from: path))
    }

    @Test func aVersion2SnapshotSavedAgainKeepsItsState() throws {
        let path = write(snapshotV2Fixture)
        defer { unlink(path); unlink(path + ".2") }
        let e = try Engine.load(from: path)
        try e.save(to: path + ".2")
        try expectFixtureState(try Engine.load(from: path + ".2"))
    }
}
