#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

private func temporaryPath(_ name: String) -> String {
    "/tmp/idr-persist-\(getpid())-\(name)-\(UInt64.random(in: 0..<UInt64.max))"
}

private func cleanup(_ path: String) {
    unlink(path)
    unlink(path + ".log")
}

/// An engine with history: merges, splits, upserts, removes, generic values, a custom kind.
private func busyEngine(seed: UInt64, storage path: String? = nil) throws -> Engine {
    var c = ResolverConfiguration()
    c.genericThresholds[.posCard] = 2
    c.placeholderValues = [Identifier(.email, "store@shop.com")]
    let e = try path.map { p throws(IDRError) in try Engine.open(path: p, configuration: c) } ?? Engine(configuration: c)
    let crm = try e.registerKind(named: "crm_id", rule: .token)
    try apply(ops: 250, seed: seed, to: e, crm: crm)
    return e
}

private func apply(ops: Int, seed: UInt64, to e: Engine, crm: IdentifierKind) throws {
    var rng = SplitMix64(seed: seed)
    for _ in 0..<ops {
        let key = "k\(Int.random(in: 0..<40, using: &rng))"
        if Int.random(in: 0..<6, using: &rng) == 0 {
            _ = try e.remove(key: key)
        } else {
            var ids: [Identifier] = []
            for _ in 0..<Int.random(in: 0...3, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: ids.append(Identifier(.email, "e\(Int.random(in: 0..<10, using: &rng))@x.com"))
                case 1: ids.append(Identifier(.posCard, "C\(Int.random(in: 0..<3, using: &rng))"))
                case 2: ids.append(Identifier(crm, "crm-\(Int.random(in: 0..<8, using: &rng))"))
                default: ids.append(Identifier(.email, Bool.random(using: &rng) ? "store@shop.com" : "not an email"))
                }
            }
            try e.add(key: key, identifiers: ids)
        }
    }
}

private func state(_ e: Engine) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for (k, v) in e.snapshot() { out[k] = v }
    return out
}

@Suite("Persistence")
struct PersistenceTests {
    /// Regression (C call-sequence fuzzer): with a small value limit, a phone number normalized
    /// past the limit (`5550100` → `+15550100`) made the saved state unloadable.
    @Test func valuesNormalizedPastTheLimitSurviveSaveAndLoad() throws {
        let path = temporaryPath("limit")
        defer { cleanup(path) }
        var c = ResolverConfiguration()
        c.limits.maxValueLength = 8
        let e = try Engine.open(path: path, configuration: c)
        let a = try e.add(key: "a", identifiers: [Identifier(.phone, "5550100")])
        try e.add(key: "b", identifiers: [Identifier(.phone, "555 0100")])
        let replayed = try Engine.open(path: path, configuration: c)
        #expect(replayed.entityID(ofKey: "b") == a)
        try e.save()
        #expect(try Engine.load(from: path).entityID(ofKey: "b") == a)
    }

    @Test(arguments: [1, 2, 3])
    func roundTripKeepsIDsAndBehaviour(seed: UInt64) throws {
        let path = temporaryPath("rt")
        defer { cleanup(path) }
        let original = try busyEngine(seed: seed)
        try original.save(to: path)
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let loaded = try Engine.load(from: path)
        #expect(state(loaded) == state(original))
        #expect(loaded.statistics == original.statistics)
        for id in Set(state(original).values) { #expect(loaded.members(of: id) == original.members(of: id)) }
        for i in 0..<10 {
            #expect(try loaded.lookup(.email, "e\(i)@x.com") == original.lookup(.email, "e\(i)@x.com"))
        }
        // Every ID ever issued redirects the same way.
        for id in original.slotOfID.ids { #expect(loaded.resolve(id) == original.resolve(id)) }
        // And the two go on identically.
        let crm = try #require(loaded.kind(named: "crm_id"))
        try apply(ops: 150, seed: seed + 100, to: original, crm: crm)
        try apply(ops: 150, seed: seed + 100, to: loaded, crm: crm)
        #expect(state(loaded) == state(original))
    }

    @Test func everyTruncationAndManyBitFlipsAreRefused() throws {
        let path = temporaryPath("bad")
        defer { cleanup(path) }
        let e = try Engine()
        try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com"), Identifier(.phone, "5550100001")])
        try e.add(key: "b", identifiers: [Identifier(.email, "a@x.com")])
        let good = e.snapshotBytes(generation: 7)
        func write(_ bytes: [UInt8]) {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        for n in 0..<good.count {
            write(Array(good[0..<n]))
            #expect(throws: IDRError.self) { try Engine.load(from: path) }
        }
        var rng = SplitMix64(seed: 5)
        for _ in 0..<400 {
            var bad = good
            let i = Int.random(in: 0..<bad.count, using: &rng)
            bad[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            write(bad)
            #expect { try Engine.load(from: path) } throws: { ($0 as! IDRError).code == .corruptData }
        }
        write(Array("not a snapshot at all, just some text".utf8))
        #expect { try Engine.load(from: path) } throws: { ($0 as! IDRError).code == .corruptData }
        #expect { try Engine.load(from: path + ".missing") } throws: { ($0 as! IDRError).code == .io }
        write(good)
        #expect(state(try Engine.load(from: path)) == state(e))
    }

    @Test func theLogReplaysWritesAfterACrash() throws {
        let path = temporaryPath("log")
        defer { cleanup(path) }
        var expected: [String: UInt64] = [:]
        do {
            let e = try busyEngine(seed: 9, storage: path)
            try e.save()
            let crm = try #require(e.kind(named: "crm_id"))
            try apply(ops: 120, seed: 10, to: e, crm: crm)
            expected = state(e)
            // No save: the process "dies" here.
        }
        var st = stat()
        #expect(stat(path + ".log", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let reopened = try Engine.open(path: path)
        #expect(state(reopened) == expected)
    }

    @Test func aTornTailIsDroppedAndDamageElsewhereIsRefused() throws {
        let path = temporaryPath("torn")
        defer { cleanup(path) }
        do {
            let e = try Engine.open(path: path)
            try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com")])
            try e.add(key: "b", identifiers: [Identifier(.email, "a@x.com")])
        }
        let log = try #require(try FileIO.read(path + ".log"))
        // A torn last entry (a write that never returned).
        let fd = open(path + ".log", O_WRONLY | O_APPEND)
        _ = [UInt8]([40, 0, 0, 0, 1, 2, 3]).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let e = try Engine.open(path: path)
        #expect(e.entityID(ofKey: "a") == e.entityID(ofKey: "b") && e.recordCount == 2)
        try e.add(key: "c", identifiers: [Identifier(.email, "a@x.com")])
        #expect(try Engine.open(path: path).recordCount == 3)
        // Damage in the middle, with entries after it.
        var damaged = log
        damaged[20] ^= 0xFF
        try FileIO.replaceAtomically(path + ".log", with: damaged + log[16...])
        #expect { try Engine.open(path: path) } throws: { ($0 as! IDRError).code == .corruptData }
    }

    @Test func aStaleLogIsIgnored() throws {
        let path = temporaryPath("stale")
        defer { cleanup(path) }
        do {
            let e = try Engine.open(path: path)
            try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com")])
            let staleLog = try #require(try FileIO.read(path + ".log"))
            try e.add(key: "b", identifiers: [Identifier(.email, "b@x.com")])
            try e.save()
            // A crash after the snapshot's rename but before the new log: the old log is back.
            try FileIO.replaceAtomically(path + ".log", with: staleLog + [0])
        }
        let e = try Engine.open(path: path)
        #expect(e.recordCount == 2)
    }

    @Test func saveNeedsAPath() throws {
        #expect(throws: IDRError.self) { try Engine().save() }
    }

    /// A saved file holds exactly the in-memory snapshot's bytes, though it is written a section
    /// at a time with the file's digest hashed as the sections go out (save(to:) and save()).
    @Test(arguments: [4, 5])
    func savedFilesAreTheSnapshotBytes(seed: UInt64) throws {
        let path = temporaryPath("stream")
        let statePath = temporaryPath("stream-state")
        defer { cleanup(path); cleanup(statePath) }
        let e = try busyEngine(seed: seed)
        try e.save(to: path)
        #expect(try FileIO.read(path) == e.snapshotBytes(generation: 0))
        let opened = try busyEngine(seed: seed, storage: statePath)
        try opened.save()
        try opened.save()
        #expect(try FileIO.read(statePath) == opened.snapshotBytes(generation: 2))
        #expect(state(try Engine.load(from: path)) == state(e))
    }

    /// A state path that is a symbolic link stays a link: the file it names is replaced (the
    /// snapshot and the log both), where the rename used to turn the link into a plain file.
    @Test func aLinkedStatePathKeepsItsLink() throws {
        let target = temporaryPath("target")
        let link = temporaryPath("link")
        defer { cleanup(target); cleanup(link) }
        #expect(symlink(target, link) == 0)
        let e = try Engine.open(path: link)
        try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com")])
        try e.save()
        try e.add(key: "b", identifiers: [Identifier(.email, "a@x.com")])
        var st = stat()
        #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)
        #expect(lstat(target, &st) == 0 && st.st_mode & S_IFMT == S_IFREG)
        #expect(try Engine.load(from: target).recordCount == 1)
        let reopened = try Engine.open(path: target)
        #expect(reopened.recordCount == 2)
        try e.save(to: link)
        #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)
        #expect(try Engine.load(from: target).recordCount == 2)
    }

    /// A directory or device is refused with `io`, and is still there afterwards.
    @Test func saveRefusesWhatIsNotARegularFile() throws {
        let e = try Engine()
        try e.add(key: "a", identifiers: [Identifier(.email, "a@x.com")])
        #expect { try e.save(to: "/tmp") } throws: { ($0 as! IDRError).code == .io }
        #expect { try e.save(to: "/dev/null") } throws: { ($0 as! IDRError).code == .io }
        var st = stat()
        #expect(stat("/dev/null", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
    }
}
