#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

/// Whether `haystack` holds `needle`'s UTF-8 bytes anywhere.
func containsBytes(_ haystack: [UInt8], _ needle: String) -> Bool {
    let n = Array(needle.utf8)
    guard !n.isEmpty, haystack.count >= n.count else { return false }
    for i in 0...(haystack.count - n.count) where haystack[i] == n[0] && Array(haystack[i..<(i + n.count)]) == n {
        return true
    }
    return false
}

/// A file's bytes ([] if absent).
func fileBytes(_ path: String) -> [UInt8] {
    (try? FileIO.read(path)).flatMap { $0 } ?? []
}

private func temporaryPath(_ name: String) -> String {
    "/tmp/idr-erase-\(getpid())-\(name)-\(UInt64.random(in: 0..<UInt64.max))"
}

@Suite("Erase (GDPR)")
struct EngineEraseTests {
    /// a–b share an email, b–c a loyalty ID: erasing the email leaves a alone and b with c.
    private func threeRecords(_ c: ResolverConfiguration = ResolverConfiguration()) throws -> Engine {
        let e = try Engine(configuration: c)
        try e.add(key: "a", identifiers: [Identifier(.email, "Ann@Example.org"), Identifier(.phone, "555 010 0001")])
        try e.add(key: "b", identifiers: [Identifier(.email, "ann@example.org"), Identifier(.loyaltyID, "LY-1")])
        try e.add(key: "c", identifiers: [Identifier(.loyaltyID, "ly 1")])
        return e
    }

    @Test func eraseSplitsAndForgetsTheValue() throws {
        let e = try threeRecords()
        e.collectsEvents = true
        let before = e.entityID(ofKey: "a")!
        #expect(e.entityID(ofKey: "c") == before)
        #expect(try e.erase(.email, "ANN@example.org") == 2)
        #expect(e.entityID(ofKey: "a") != e.entityID(ofKey: "b"))
        #expect(e.entityID(ofKey: "b") == e.entityID(ofKey: "c"))
        #expect(e.entityID(ofKey: "a") == before, "a is the oldest record: its part keeps the ID")
        #expect(try e.lookup(.email, "ann@example.org") == nil)
        #expect(e.identifiers(ofKey: "a")!.map(\.kind) == [.phone])
        #expect(e.identifiers(ofKey: "b")!.map(\.kind) == [.loyaltyID])
        // The event names the value by its fingerprint, never by the value.
        let events = e.drainEvents()
        guard case .split(let from, let parts, _, let cut)? = events.first(where: { if case .split = $0 { true } else { false } }) else {
            Issue.record("no split event: \(events)")
            return
        }
        #expect(from == before && parts.count == 2)
        #expect(cut?.kind == .email && cut?.value.hasPrefix("#") == true && cut?.value.count == 33)
        #expect(!containsBytes(e.values.arena, "ann@example.org"))
        #expect(e.statistics.tombstones == 1)
    }

    @Test func tombstoneStopsLaterAddsFromLinking() throws {
        let e = try threeRecords()
        try e.erase(.email, "ann@example.org")
        try e.add(key: "d", identifiers: [Identifier(.email, "ann@example.org"), Identifier(.phone, "555 010 0009")])
        try e.add(key: "f", identifiers: [Identifier(.email, " ANN@EXAMPLE.ORG ")])
        #expect(e.entityID(ofKey: "d") != e.entityID(ofKey: "f"))
        #expect(e.identifiers(ofKey: "d")!.map(\.kind) == [.phone])
        #expect(e.statistics.erasedValues == 2)
        #expect(!containsBytes(e.values.arena, "ann@example.org"))
    }

    @Test func withoutTombstonesTheValueLinksAgain() throws {
        var c = ResolverConfiguration()
        c.erasureTombstones = false
        let e = try threeRecords(c)
        try e.erase(.email, "ann@example.org")
        try e.add(key: "d", identifiers: [Identifier(.email, "ann@example.org")])
        try e.add(key: "f", identifiers: [Identifier(.email, "ann@example.org")])
        #expect(e.entityID(ofKey: "d") == e.entityID(ofKey: "f"))
        #expect(e.entityID(ofKey: "d") != e.entityID(ofKey: "a"))
        #expect(e.statistics.tombstones == 0)
    }

    @Test func unknownAndInvalidValues() throws {
        let e = try threeRecords()
        #expect(try e.erase(.email, "nobody@example.org") == 0)
        #expect(try e.erase(.email, "not an email") == 0)
        #expect(throws: IDRError.self) { try e.erase(IdentifierKind(rawValue: 999), "x") }
        #expect(e.entityCount == 1)
        #expect(e.statistics.tombstones == 1, "a valid value gets a tombstone even if no record holds it")
    }

    /// On an engine with files, erase ends with a save: neither the snapshot nor the new log
    /// holds the value, and the tombstone survives a reload.
    @Test func erasureReachesTheFiles() throws {
        let path = temporaryPath("files")
        defer { unlink(path); unlink(path + ".log") }
        let e = try Engine.open(path: path)
        try e.add(key: "a", identifiers: [Identifier(.email, "ann@example.org"), Identifier(.phone, "555 010 0001")])
        try e.add(key: "b", identifiers: [Identifier(.email, "ann@example.org")])
        try e.save()
        try e.add(key: "c", identifiers: [Identifier(.email, "ann@example.org")])
        #expect(containsBytes(fileBytes(path + ".log"), "ann@example.org"))
        #expect(containsBytes(fileBytes(path), "ann@example.org"))
        #expect(try e.erase(.email, "ann@example.org") == 3)
        #expect(!containsBytes(fileBytes(path), "ann@example.org"))
        #expect(!containsBytes(fileBytes(path + ".log"), "ann@example.org"))
        try e.add(key: "d", identifiers: [Identifier(.email, "ann@example.org")])
        let reopened = try Engine.open(path: path)
        #expect(reopened.statistics.tombstones == 1)
        #expect(reopened.statistics.erasedValues == 1)
        try reopened.add(key: "f", identifiers: [Identifier(.email, "ann@example.org")])
        #expect(reopened.entityID(ofKey: "f") != reopened.entityID(ofKey: "a"))
        #expect(reopened.identifiers(ofKey: "f") == [])
        let loaded = try Engine.load(from: path)
        #expect(loaded.statistics.tombstones == 1)
    }
}
