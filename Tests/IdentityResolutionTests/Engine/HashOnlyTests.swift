#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

private func temporaryPath(_ name: String) -> String {
    "/tmp/idr-hashonly-\(getpid())-\(name)-\(UInt64.random(in: 0..<UInt64.max))"
}

private let secret = Array("correct horse battery staple".utf8)

private func hashOnly(_ c: ResolverConfiguration = ResolverConfiguration()) -> ResolverConfiguration {
    var c = c
    c.hashOnlySecret = secret
    return c
}

@Suite("Hash-only mode")
struct HashOnlyTests {
    /// Same records, same partition, IDs and lookups as the normal engine; no value in memory.
    @Test(arguments: [11, 12])
    func behavesLikeTheNormalEngine(seed: UInt64) throws {
        let records = randomRecords(seed: seed, people: 80)
        var c = ResolverConfiguration()
        c.genericThresholds[.phone] = 2
        let normal = try Engine(configuration: c)
        let hashed = try Engine(configuration: hashOnly(c))
        for r in records {
            try normal.add(key: r.key, identifiers: r.ids)
            try hashed.add(key: r.key, identifiers: r.ids)
        }
        #expect(normal.snapshot().map(\.entity) == hashed.snapshot().map(\.entity))
        #expect(normal.statistics == hashed.statistics)
        for r in records {
            for id in r.ids { #expect(try normal.lookup(id.kind, id.value) == hashed.lookup(id.kind, id.value)) }
        }
        #expect(try hashed.lookup(.email, "test@test.com") == nil, "placeholders are still refused")
        for r in records.prefix(20) {
            for id in r.ids where id.kind == .email { #expect(!containsBytes(hashed.values.arena, id.value.lowercased())) }
        }
        let ids = hashed.identifiers(ofKey: records[0].key)!
        #expect(ids.allSatisfy { $0.value.hasPrefix("#") && $0.value.count == 33 })
    }

    /// Neither the snapshot nor the log holds a value; a replayed log keeps placeholder flags;
    /// the state needs its secret.
    @Test func filesHoldNoValuesAndNeedTheSecret() throws {
        let path = temporaryPath("files")
        defer { unlink(path); unlink(path + ".log") }
        let e = try Engine.open(path: path, configuration: hashOnly())
        try e.add(key: "a", identifiers: [Identifier(.email, "ann@example.org"), Identifier(.email, "test@test.com")])
        try e.add(key: "b", identifiers: [Identifier(.email, "ann@example.org")])
        try e.save()
        try e.add(key: "c", identifiers: [Identifier(.email, "bob@example.org"), Identifier(.email, "test@test.com")])
        try e.add(key: "d", identifiers: [Identifier(.email, "bob@example.org")])
        for file in [path, path + ".log"] {
            for value in ["ann@example.org", "bob@example.org", "test@test.com"] {
                #expect(!containsBytes(fileBytes(file), value), "\(file) holds \(value)")
            }
        }
        let reopened = try Engine.open(path: path, configuration: hashOnly())
        #expect(reopened.snapshot().map(\.entity) == e.snapshot().map(\.entity))
        #expect(reopened.entityID(ofKey: "a") != reopened.entityID(ofKey: "c"), "test@test.com stays a placeholder after replay")
        #expect(try reopened.lookup(.email, "BOB@example.org") == e.entityID(ofKey: "d"))

        #expect(throws: IDRError.self) { try Engine.open(path: path) }
        var wrong = ResolverConfiguration()
        wrong.hashOnlySecret = Array("another secret of some length".utf8)
        #expect(throws: IDRError.self) { try Engine.open(path: path, configuration: wrong) }
        #expect(throws: IDRError.self) { try Engine.load(from: path) }
        try reopened.save(to: path + ".copy")
        defer { unlink(path + ".copy") }
        #expect(try Engine.load(from: path + ".copy", secret: secret).snapshot().map(\.entity) == e.snapshot().map(\.entity))
        // A normal state refuses a secret.
        let plain = try Engine()
        try plain.add(key: "a", identifiers: [Identifier(.email, "ann@example.org")])
        try plain.save(to: path + ".plain")
        defer { unlink(path + ".plain") }
        #expect(throws: IDRError.self) { try Engine.load(from: path + ".plain", secret: secret) }
    }

    @Test func eraseAndExplainShowFingerprints() throws {
        let e = try Engine(configuration: hashOnly())
        try e.add(key: "a", identifiers: [Identifier(.email, "ann@example.org")])
        try e.add(key: "b", identifiers: [Identifier(.email, "ann@example.org"), Identifier(.phone, "555 010 0001")])
        guard case .joined(let path) = try e.why("a", "b") else { Issue.record("not joined"); return }
        #expect(path.last?.via?.value.hasPrefix("#") == true)
        #expect(try e.erase(.email, "ANN@example.org") == 2)
        #expect(e.entityID(ofKey: "a") != e.entityID(ofKey: "b"))
        try e.add(key: "c", identifiers: [Identifier(.email, "ann@example.org")])
        #expect(e.statistics.erasedValues == 1)
    }

    @Test func secretLengthIsChecked() {
        var c = ResolverConfiguration()
        c.hashOnlySecret = [1, 2, 3]
        #expect(throws: IDRError.self) { try Engine(configuration: c) }
        c.hashOnlySecret = Array(repeating: 7, count: 16)
        #expect(throws: IDRError.self) { try Resolver(configuration: c) }
    }
}
