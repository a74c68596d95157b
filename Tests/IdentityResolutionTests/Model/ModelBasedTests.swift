#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import IdentityResolution

/// One operation of a random sequence, with its concrete arguments (so a failing sequence can be
/// replayed and shrunk without its random generator).
enum ModelOp: CustomStringConvertible {
    case add(String, [Identifier])
    /// An add that must fail (unknown kind) and change nothing.
    case badAdd(String)
    case remove(String)
    case erase(IdentifierKind, String)
    /// Memory engine: save(to:) then load (the loaded engine carries on). File engine: save().
    case save
    /// File engine: drop the engine without saving and open its state again (log replay).
    case reopen

    var description: String {
        switch self {
        case .add(let k, let ids): "add(\(k), [\(ids.map { "\($0.kind.rawValue):\($0.value)" }.joined(separator: ", "))])"
        case .badAdd(let k): "badAdd(\(k))"
        case .remove(let k): "remove(\(k))"
        case .erase(let kind, let v): "erase(\(kind.rawValue), \(v))"
        case .save: "save"
        case .reopen: "reopen"
        }
    }
}

/// Model-based testing: random operation sequences run against the engine and the
/// ``ReferenceModel``, compared after every step (partition, entity IDs, every ID ever issued and
/// where it redirects, lookups, members, statistics, guard decisions, events, explanations). A
/// divergence is shrunk to a minimal sequence and printed with its seed.
@Suite("Engine against the reference model")
struct ModelBasedTests {
    static let crm = IdentifierKind(rawValue: IdentifierKind.firstCustomRawValue)
    static let keys = (0..<12).map { "k\($0)" }

    /// Raw values in several spellings, placeholders and invalid values among them.
    static let pool: [(IdentifierKind, [String])] = [
        (.email, ["e0@x.com", "E0@X.com ", "e1@x.com", "e2@x.com", " e2@X.COM", "e3@x.com", "e4@x.com", "e5@y.org",
                  "test@test.com", "noreply@shop.com", "not an email"]),
        (.phone, ["555-010-0001", "(555) 010 0001", "+1 555 010 0002", "555.010.0003", "555 010 0004",
                  "555-555-5555", "12"]),
        (.loyaltyID, ["LY-1", "ly 1", "LY-2", "LY-3", "N/A"]),
        (.posCard, ["CARD-A", "card a", "CARD-B", "0000 0000"]),
        (.deviceID, ["6F9619FF-8B86-D011-B42D-00C04FC964FF", "{6f9619ff8b86d011b42d00c04fc964ff}", "dev-2", "unknown"]),
        (crm, ["crm-1", "CRM 1", "crm-2", "crm-3"]),
    ]

    static func configuration(hashOnly: Bool, tombstones: Bool) -> ResolverConfiguration {
        var c = ResolverConfiguration()
        c.genericThresholds = [.email: 2, .phone: 1, .loyaltyID: 2, .deviceID: 2, .posCard: 2]
        c.customGenericThreshold = 2
        c.placeholderValues = [Identifier(.email, "noreply@shop.com")]
        c.erasureTombstones = tombstones
        if hashOnly { c.hashOnlySecret = Array("model-based test secret".utf8) }
        return c
    }

    static func randomOps(seed: UInt64, count: Int, files: Bool) -> [ModelOp] {
        var rng = SplitMix64(seed: seed)
        var ops: [ModelOp] = []
        for _ in 0..<count {
            let key = keys.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<100, using: &rng)
            switch roll {
            case 0..<62:
                var ids: [Identifier] = []
                for _ in 0..<Int.random(in: 0...4, using: &rng) {
                    let (kind, values) = pool.randomElement(using: &rng)!
                    ids.append(Identifier(kind, values.randomElement(using: &rng)!))
                }
                ops.append(.add(key, ids))
            case 62..<64: ops.append(.badAdd(key))
            case 64..<82: ops.append(.remove(key))
            case 82..<86:
                let (kind, values) = pool.randomElement(using: &rng)!
                ops.append(.erase(kind, values.randomElement(using: &rng)!))
            case 86..<92:
                // Re-add a record as it is (an identical upsert must change nothing).
                ops.append(.add(key, []))
            case 92..<96: ops.append(.save)
            default: ops.append(files ? .reopen : .save)
            }
        }
        return ops
    }

    /// Runs `ops` against a fresh engine and model; the first divergence, if any.
    static func run(_ ops: [ModelOp], hashOnly: Bool, tombstones: Bool, files: Bool) -> (step: Int, message: String)? {
        let c = configuration(hashOnly: hashOnly, tombstones: tombstones)
        let model = ReferenceModel(configuration: c)
        _ = model.register(name: "crm_id", rule: .token)
        let path = "/tmp/idr-model-\(getpid())-\(UInt64.random(in: 0..<UInt64.max))"
        defer { unlink(path); unlink(path + ".log"); unlink(path + ".snap") }
        func start() throws -> Engine {
            let e = files ? try Engine.open(path: path, configuration: c) : try Engine(configuration: c)
            e.collectsEvents = true
            return e
        }
        var engine: Engine
        do {
            // On a file engine the registration is logged, so every reopen replays it.
            engine = try start()
            guard try engine.registerKind(named: "crm_id", rule: .token) == crm else { return (-1, "custom kind number") }
        } catch {
            return (-1, "setup: \(error)")
        }
        for (step, op) in ops.enumerated() {
            do {
                switch op {
                case .add(let key, let ids):
                    // An empty list re-adds the record as the model holds it: an identical upsert.
                    var raw = ids
                    if ids.isEmpty, let r = model.records[key] {
                        raw = r.values.sorted().map { Identifier(IdentifierKind(rawValue: $0.kind), $0.text) }
                        if hashOnly { raw = [] }
                    }
                    let expected = model.add(key, raw)
                    let got = try engine.add(key: key, identifiers: raw)
                    if got != expected { return (step, "add returned \(got), model \(expected)") }
                case .badAdd(let key):
                    model.nothingHappened()
                    let before = engine.statistics
                    var threw = false
                    do { try engine.add(key: key, identifiers: [Identifier(IdentifierKind(rawValue: 999), "x")]) } catch { threw = true }
                    if !threw || engine.statistics != before { return (step, "a bad add did not fail cleanly") }
                case .remove(let key):
                    let expected = model.remove(key)
                    if try engine.remove(key: key) != expected { return (step, "remove result differs") }
                case .erase(let kind, let value):
                    let expected = model.erase(kind.rawValue, value)
                    let got = try engine.erase(kind, value)
                    if got != expected { return (step, "erase touched \(got) records, model \(expected)") }
                case .save:
                    if files {
                        try engine.save()
                    } else {
                        try engine.save(to: path + ".snap")
                        engine = try Engine.load(from: path + ".snap", secret: c.hashOnlySecret)
                        engine.collectsEvents = true
                    }
                    model.nothingHappened()
                    if !engine.drainEvents().isEmpty { return (step, "save produced events") }
                    if let d = compare(engine, model, step: step, events: false, hashOnly: hashOnly) { return (step, d) }
                    continue
                case .reopen:
                    engine = try start()
                    if let d = compare(engine, model, step: step, events: false, hashOnly: hashOnly) { return (step, d) }
                    continue
                }
            } catch {
                return (step, "engine threw \(error)")
            }
            if let d = compare(engine, model, step: step, events: true, hashOnly: hashOnly) { return (step, d) }
        }
        return nil
    }

    /// Everything observable, engine against model; a description of the first difference.
    static func compare(_ e: Engine, _ m: ReferenceModel, step: Int, events: Bool, hashOnly: Bool) -> String? {
        if e.recordCount != m.records.count { return "records \(e.recordCount) vs \(m.records.count)" }
        if e.entityCount != m.entities.count { return "entities \(e.entityCount) vs \(m.entities.count)" }
        for key in keys where e.entityID(ofKey: key) != m.entityID(of: key) {
            return "entity of \(key): \(String(describing: e.entityID(ofKey: key))) vs \(String(describing: m.entityID(of: key)))"
        }
        if Set(e.slotOfID.ids) != m.issued { return "issued IDs differ" }
        for id in m.issued {
            if e.resolve(id) != m.resolve(id) { return "resolve(\(id))" }
        }
        for entity in m.entities where e.members(of: entity.id) != m.members(entity.id) {
            return "members of \(entity.id): \(e.members(of: entity.id)) vs \(m.members(entity.id))"
        }
        for (kind, values) in pool {
            for raw in values {
                let got = try? e.lookup(kind, raw)
                if got != m.lookup(kind.rawValue, raw) { return "lookup \(kind.rawValue):\(raw): \(String(describing: got)) vs \(String(describing: m.lookup(kind.rawValue, raw)))" }
            }
        }
        if let v = e.firstStaleLookupHint() { return "value \(v)'s lookup hint is stale" }
        let s = e.statistics
        let counts = m.valueCounts()
        if s.values != counts.held || s.genericValues != counts.generic || s.placeholderValues != counts.placeholders
            || s.invalidValues != m.invalidDropped || s.erasedValues != m.erasedDropped || s.tombstones != m.tombstones.count {
            return "statistics \(s) vs held \(counts.held) generic \(counts.generic) placeholders \(counts.placeholders) invalid \(m.invalidDropped) erased \(m.erasedDropped) tombstones \(m.tombstones.count)"
        }
        for (key, r) in m.records {
            guard let ids = e.identifiers(ofKey: key) else { return "identifiers of \(key) missing" }
            let got = hashOnly ? ids.map { "\($0.kind.rawValue)" }.sorted() : ids.map { "\($0.kind.rawValue):\($0.value)" }.sorted()
            let want = hashOnly ? r.values.map { "\($0.kind)" }.sorted() : r.values.map(\.description).sorted()
            if got != want { return "identifiers of \(key): \(got) vs \(want)" }
        }
        if events {
            let got = e.drainEvents().map(reduced).map(\.description).sorted()
            let want = m.events.map(\.description).sorted()
            if got != want { return "events \(got) vs \(want)" }
        }
        // Explanations: a pair chosen by the step, and every entity's anatomy.
        let live = m.records.keys.sorted()
        if live.count >= 2 {
            let a = live[step % live.count], b = live[(step * 7 + 3) % live.count]
            if let d = compareWhy(e, m, a, b) { return d }
        }
        for entity in m.entities {
            guard let anatomy = try? e.how(entity.id) else { return "how(\(entity.id)) failed" }
            if anatomy.records != m.members(entity.id) { return "how(\(entity.id)).records" }
            let want = m.links(of: entity.id)
            let got = anatomy.links.map { ($0.identifier, Set($0.records)) }
            if got.count != want.count { return "how(\(entity.id)): \(got.count) links vs \(want.count)" }
            if !hashOnly {
                for (id, holders) in got {
                    let v = ReferenceModel.Value(kind: id.kind.rawValue, text: id.value)
                    if want[v] != holders { return "how(\(entity.id)): link \(v)" }
                }
            } else if Set(got.map(\.1)) != Set(want.values) {
                return "how(\(entity.id)): link record sets"
            }
        }
        return nil
    }

    static func compareWhy(_ e: Engine, _ m: ReferenceModel, _ a: String, _ b: String) -> String? {
        guard let answer = try? e.why(a, b) else { return "why(\(a), \(b)) failed" }
        let (hops, anyChain) = m.evidence(a, b)
        switch answer {
        case .joined(let path):
            guard let hops, m.entityID(of: a) == m.entityID(of: b) else { return "why(\(a), \(b)) joined; model: not joined" }
            if path.count - 1 != hops { return "why(\(a), \(b)): chain of \(path.count - 1) steps, shortest is \(hops)" }
            if path.first?.record != a || path.last?.record != b { return "why(\(a), \(b)): chain ends" }
            for i in 1..<path.count {
                guard let via = path[i].via else { return "why: a step without identifier" }
                if e.fingerprinter.isKeyed { continue }
                let v = ReferenceModel.Value(kind: via.kind.rawValue, text: via.value)
                guard m.links(v), m.records[path[i - 1].record]?.values.contains(v) == true,
                      m.records[path[i].record]?.values.contains(v) == true
                else { return "why(\(a), \(b)): step \(i) via \(v) does not link those records" }
            }
        case .refused:
            if hops != nil || !anyChain { return "why(\(a), \(b)) refused; model: hops \(String(describing: hops)), chain \(anyChain)" }
        case .noSharedEvidence:
            if anyChain { return "why(\(a), \(b)): no evidence; model has a chain" }
        case .overLimit:
            return "why(\(a), \(b)): over a limit, but the model has no limits"
        }
        return nil
    }

    /// An engine event in the model's terms.
    static func reduced(_ event: EntityEvent) -> ReferenceModel.Event {
        switch event {
        case .created(let entity, let record): .created(entity: entity, record: record)
        case .merged(let from, let into, _, _): .merged(from: from, into: into)
        case .split(let from, let parts, _, _): .split(from: from, first: parts[0], parts: Set(parts.dropFirst()))
        case .removed(let record, let entity, let gone): .removed(record: record, entity: entity, gone: gone)
        }
    }

    /// Shrinks a failing sequence: drops chunks, then single operations, while it still fails.
    static func shrink(_ ops: [ModelOp], fails: ([ModelOp]) -> Bool) -> [ModelOp] {
        var current = ops
        var chunk = max(1, current.count / 2)
        while chunk >= 1 {
            var i = 0
            var progressed = false
            while i < current.count {
                var candidate = current
                candidate.removeSubrange(i..<min(current.count, i + chunk))
                if fails(candidate) {
                    current = candidate
                    progressed = true
                } else {
                    i += chunk
                }
            }
            if !progressed { chunk /= 2 }
        }
        return current
    }

    /// Runs one seeded sequence in every mode; records a shrunk failure.
    static func check(seed: UInt64, operations: Int) {
        for (hashOnly, tombstones, files) in [(false, true, false), (false, false, true), (true, true, true), (true, true, false)] {
            let ops = randomOps(seed: seed, count: operations, files: files)
            guard let failure = run(ops, hashOnly: hashOnly, tombstones: tombstones, files: files) else { continue }
            let minimal = shrink(Array(ops.prefix(failure.step + 1))) { run($0, hashOnly: hashOnly, tombstones: tombstones, files: files) != nil }
            let last = run(minimal, hashOnly: hashOnly, tombstones: tombstones, files: files)
            Issue.record("""
                engine diverged from the model: seed \(seed), hashOnly \(hashOnly), tombstones \(tombstones), files \(files), \
                step \(failure.step): \(failure.message)
                minimal sequence (\(minimal.count) ops), fails with: \(last?.message ?? "?")
                \(minimal.map { "  " + $0.description }.joined(separator: "\n"))
                """)
            return
        }
    }

    /// `make test`: a bounded number of sequences (IDR_MODEL_SEQUENCES, default 40) of 150
    /// operations, each in four modes (memory; files without tombstones; hash-only with and
    /// without files).
    @Test func randomSequences() {
        let n = Self.environment("IDR_MODEL_SEQUENCES") ?? 40
        for seed in 0..<UInt64(n) { Self.check(seed: 1000 + seed, operations: 150) }
    }

    /// `make soak SECONDS=N`: fresh seeds for N seconds (IDR_SOAK_SECONDS).
    @Test(.enabled(if: (Self.environment("IDR_SOAK_SECONDS") ?? 0) > 0))
    func soak() {
        let clock = ContinuousClock()
        let end = clock.now + .seconds(Self.environment("IDR_SOAK_SECONDS") ?? 0)
        var rng = SystemRandomNumberGenerator()
        var sequences = 0
        while clock.now < end {
            Self.check(seed: rng.next(), operations: 300)
            sequences += 1
        }
        print("model soak: \(sequences) sequences × 4 modes × 300 operations, no divergence unless reported above")
    }

    static func environment(_ name: String) -> Int? {
        guard let raw = getenv(name) else { return nil }
        return Int(String(cString: raw))
    }

    /// The shrinker and the comparison are only worth something if they catch a real difference:
    /// a model that forgets the upsert rule (it treats an upsert as a remove then an add, so the
    /// record ages) must diverge, and the failure must shrink to a few operations.
    @Test func aWrongModelIsCaughtAndShrunk() {
        let ops: [ModelOp] = Self.randomOps(seed: 7, count: 120, files: false)
        let c = Self.configuration(hashOnly: false, tombstones: true)
        func runWrong(_ ops: [ModelOp]) -> Bool {
            let model = ReferenceModel(configuration: c)
            _ = model.register(name: "crm_id", rule: .token)
            guard let engine = try? Engine(configuration: c), (try? engine.registerKind(named: "crm_id", rule: .token)) != nil else { return true }
            for op in ops {
                guard case .add(let key, let ids) = op, !ids.isEmpty else { continue }
                if model.records[key] != nil { model.remove(key) }   // the deliberate mistake
                model.add(key, ids)
                _ = try? engine.add(key: key, identifiers: ids)
                if Self.compare(engine, model, step: 0, events: false, hashOnly: false) != nil { return true }
            }
            return false
        }
        #expect(runWrong(ops), "the wrong model must diverge")
        let minimal = Self.shrink(ops, fails: runWrong)
        #expect(minimal.count <= 6, "shrunk to \(minimal.count) operations: \(minimal)")
    }
}
