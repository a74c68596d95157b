@testable import IdentityResolution

/// The engine's documented semantics written the obvious, slow way, for model-based testing.
///
/// It shares no code with the engine except the normalizer (the documented normalization
/// rules), the placeholder *tables* (`PlaceholderGuard.builtInValues` / `builtInPatterns`, data
/// the README lists) and XXH3 (the documented ID hash). Everything else — placeholder shapes and
/// globs, the generic rule, components, stable IDs, redirects, events, explanations, erasure — is
/// recomputed from scratch after every operation with sets and dictionaries, from the README's
/// wording, never from the engine's data structures.
final class ReferenceModel {
    /// A normalized identifier.
    struct Value: Hashable, Comparable, CustomStringConvertible {
        var kind: UInt32
        var text: String
        static func < (a: Value, b: Value) -> Bool {
            a.kind != b.kind ? a.kind < b.kind : a.text.utf8.lexicographicallyPrecedes(b.text.utf8)
        }
        var description: String { "\(kind):\(text)" }
    }

    struct Record {
        var age: UInt64
        var values: Set<Value>
    }

    struct Entity {
        var id: UInt64
        var created: UInt64
        var members: Set<String>
    }

    /// An event reduced to what the model predicts: type, IDs, record where it is determined.
    enum Event: Hashable, CustomStringConvertible {
        case created(entity: UInt64, record: String)
        case merged(from: UInt64, into: UInt64)
        case split(from: UInt64, first: UInt64, parts: Set<UInt64>)
        case removed(record: String, entity: UInt64, gone: Bool)

        var description: String {
            switch self {
            case .created(let e, let r): "created(\(e), \(r))"
            case .merged(let f, let i): "merged(\(f) -> \(i))"
            case .split(let f, let first, let p): "split(\(f) -> \(first) + \(p.sorted()))"
            case .removed(let r, let e, let g): "removed(\(r), \(e), gone: \(g))"
            }
        }
    }

    let configuration: ResolverConfiguration
    private let normalizer: Normalizer
    /// Kind number → (rule, generic threshold, distinguishes customers).
    private(set) var kinds: [UInt32: (rule: NormalizationRule, threshold: Int, distinguishes: Bool)] = [:]
    private var customNames: [String: UInt32] = [:]
    private var placeholderValues: Set<Value> = []
    private var placeholderPatterns: [(kind: UInt32, pattern: [UInt8])] = []

    private(set) var records: [String: Record] = [:]
    private(set) var entities: [Entity] = []
    private(set) var issued: Set<UInt64> = []
    private(set) var redirects: [UInt64: UInt64] = [:]
    private(set) var tombstones: Set<Value> = []
    private(set) var invalidDropped = 0
    private(set) var erasedDropped = 0
    private var sequence: UInt64 = 0
    /// Events of the last operation.
    private(set) var events: [Event] = []

    init(configuration c: ResolverConfiguration) {
        configuration = c
        normalizer = Normalizer(configuration: c)
        for kind in IdentifierKind.builtIn {
            kinds[kind.rawValue] = (NormalizationRule.builtIn(for: kind)!, c.genericThresholds[kind] ?? 0,
                                    c.distinguishingKinds.contains(kind))
        }
        for kind in IdentifierKind.builtIn { addPlaceholderTables(kind: kind.rawValue) }
        for id in c.placeholderValues {
            if let v = normalized(id.kind.rawValue, id.value) { placeholderValues.insert(v) }
        }
    }

    /// Registers a custom kind with the next free number (as the engine numbers them).
    func register(name: String, rule: NormalizationRule, threshold: Int? = nil, distinguishes: Bool = true) -> UInt32 {
        if let k = customNames[name] { return k }
        let k = IdentifierKind.firstCustomRawValue + UInt32(customNames.count)
        customNames[name] = k
        kinds[k] = (rule, threshold ?? configuration.customGenericThreshold, distinguishes)
        addPlaceholderTables(kind: k)
        return k
    }

    private func addPlaceholderTables(kind: UInt32) {
        guard configuration.builtInPlaceholders, let rule = kinds[kind]?.rule else { return }
        for (r, list) in PlaceholderGuard.builtInValues where r == rule {
            for raw in list { if let v = normalized(kind, raw) { placeholderValues.insert(v) } }
        }
        for (r, list) in PlaceholderGuard.builtInPatterns where r == rule {
            for p in list { placeholderPatterns.append((kind, Array(p.utf8))) }
        }
    }

    func normalized(_ kind: UInt32, _ raw: String) -> Value? {
        guard let rule = kinds[kind]?.rule, case .success(let text) = normalizer.normalize(raw, rule: rule) else { return nil }
        return Value(kind: kind, text: text)
    }

    // MARK: Guards, the obvious way

    func isPlaceholder(_ v: Value) -> Bool {
        if placeholderValues.contains(v) { return true }
        let bytes = Array(v.text.utf8)
        for p in placeholderPatterns where p.kind == v.kind && Self.glob(p.pattern[...], bytes[...]) { return true }
        guard configuration.builtInPlaceholders, let rule = kinds[v.kind]?.rule else { return false }
        switch rule {
        case .phone:
            // "+", a 1–3 digit country code, then six or more of one repeated digit.
            guard bytes.count >= 8, bytes.first == UInt8(ascii: "+") else { return false }
            for cc in 1...3 where bytes.count - 1 - cc >= 6 {
                let rest = bytes[(1 + cc)...]
                if rest.allSatisfy({ $0 == rest.first! }) { return true }
            }
            return false
        case .token:
            return bytes.count >= 2 && bytes.allSatisfy { $0 == bytes[0] }
        default:
            return false
        }
    }

    /// `*` any run, `?` one byte; recursive and slow on purpose.
    static func glob(_ p: ArraySlice<UInt8>, _ t: ArraySlice<UInt8>) -> Bool {
        guard let first = p.first else { return t.isEmpty }
        if first == UInt8(ascii: "*") {
            var rest = t
            while true {
                if glob(p.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        }
        guard let c = t.first, first == UInt8(ascii: "?") || first == c else { return false }
        return glob(p.dropFirst(), t.dropFirst())
    }

    /// The README's generic rule: more than T records carry it and they hold more than T distinct
    /// values of one distinguishing kind (not the value itself, not placeholders).
    func isGeneric(_ v: Value) -> Bool {
        guard configuration.genericGuard, !isPlaceholder(v), let t = kinds[v.kind]?.threshold, t > 0 else { return false }
        let holders = records.values.filter { $0.values.contains(v) }
        guard holders.count > t else { return false }
        var perKind: [UInt32: Set<String>] = [:]
        for r in holders {
            for w in r.values where w != v && !isPlaceholder(w) && kinds[w.kind]!.distinguishes {
                perKind[w.kind, default: []].insert(w.text)
            }
        }
        return perKind.values.contains { $0.count > t }
    }

    func links(_ v: Value) -> Bool { !isPlaceholder(v) && !isGeneric(v) }

    /// Components of the live records through linking values (breadth-first over sets).
    func components() -> [Set<String>] {
        var linking: [Value: [String]] = [:]
        for (key, r) in records { for v in r.values { linking[v, default: []].append(key) } }
        linking = linking.filter { links($0.key) }
        var seen: Set<String> = []
        var out: [Set<String>] = []
        for key in records.keys.sorted() where !seen.contains(key) {
            var component: Set<String> = [key]
            var frontier = [key]
            seen.insert(key)
            while let x = frontier.popLast() {
                for v in records[x]!.values {
                    for y in linking[v] ?? [] where !seen.contains(y) {
                        seen.insert(y)
                        component.insert(y)
                        frontier.append(y)
                    }
                }
            }
            out.append(component)
        }
        return out
    }

    // MARK: Operations

    /// An operation that changes nothing (a failed call, a save): no events.
    func nothingHappened() { events = [] }

    /// Add or upsert; returns the record's entity ID.
    @discardableResult
    func add(_ key: String, _ ids: [Identifier]) -> UInt64 {
        var values: Set<Value> = []
        for id in ids {
            guard let v = normalized(id.kind.rawValue, id.value) else { invalidDropped += 1; continue }
            if tombstones.contains(v) { erasedDropped += 1; continue }
            values.insert(v)
        }
        if let r = records[key] {
            if r.values == values {
                events = []
                return entityID(of: key)!
            }
            step { $0.records[key]!.values = values }
        } else {
            step { m in
                m.sequence += 1
                m.records[key] = Record(age: m.sequence, values: values)
            }
        }
        return entityID(of: key)!
    }

    @discardableResult
    func remove(_ key: String) -> Bool {
        guard records[key] != nil else { events = []; return false }
        step { $0.records[key] = nil }
        return true
    }

    /// Erase; returns how many records held the value.
    @discardableResult
    func erase(_ kind: UInt32, _ raw: String) -> Int {
        guard let v = normalized(kind, raw) else { events = []; return 0 }
        if configuration.erasureTombstones { tombstones.insert(v) }
        let holders = records.filter { $0.value.values.contains(v) }.map(\.key)
        if holders.isEmpty { events = []; return 0 }
        step { m in for k in holders { m.records[k]!.values.remove(v) } }
        return holders.count
    }

    /// Applies a change to the records, then derives the new entities from the old ones by the
    /// documented rules: the part of an old entity holding its oldest surviving record inherits
    /// it; a component inheriting several keeps the ID created first and the others redirect to
    /// it; a component inheriting none gets a new ID, XXH3-64 of its oldest record's key,
    /// re-seeded (1, 2, …) while that ID is 0 or was ever issued; new IDs are created in the
    /// order of their oldest records.
    private func step(_ change: (ReferenceModel) -> Void) {
        let before = entities
        let liveBefore = Set(records.keys)
        change(self)
        events = []
        let comps = components()
        var compOf: [String: Int] = [:]
        for (i, c) in comps.enumerated() { for k in c { compOf[k] = i } }
        func oldest(_ keys: Set<String>) -> String { keys.min { records[$0]!.age < records[$1]!.age }! }
        var heirs: [Int: [Entity]] = [:]
        for e in before {
            let survivors = e.members.filter { records[$0] != nil }
            guard !survivors.isEmpty else { continue }
            heirs[compOf[oldest(survivors)]!, default: []].append(e)
        }
        var result: [Entity?] = Array(repeating: nil, count: comps.count)
        for (i, c) in comps.enumerated() {
            guard let candidates = heirs[i] else { continue }
            let winner = candidates.min { $0.created < $1.created }!
            for loser in candidates where loser.id != winner.id {
                redirects[loser.id] = winner.id
                events.append(.merged(from: loser.id, into: winner.id))
            }
            result[i] = Entity(id: winner.id, created: winner.created, members: c)
        }
        let fresh = comps.indices.filter { result[$0] == nil }.sorted {
            records[oldest(comps[$0])]!.age < records[oldest(comps[$1])]!.age
        }
        for i in fresh {
            let creator = oldest(comps[i])
            var seed: UInt64 = 0
            var id: UInt64
            repeat {
                id = XXH3.hash64(creator, seed: seed)
                seed += 1
            } while id == 0 || issued.contains(id)
            issued.insert(id)
            sequence += 1
            result[i] = Entity(id: id, created: sequence, members: comps[i])
            if comps[i].isDisjoint(with: liveBefore) { events.append(.created(entity: id, record: creator)) }
        }
        entities = result.map { $0! }
        var idOf: [String: UInt64] = [:]
        for e in entities { for k in e.members { idOf[k] = e.id } }
        for e in before {
            let survivors = e.members.filter { records[$0] != nil }
            let removed = e.members.subtracting(survivors).intersection(liveBefore.subtracting(records.keys))
            for r in removed { events.append(.removed(record: r, entity: e.id, gone: survivors.isEmpty)) }
            let parts = Set(survivors.map { idOf[$0]! })
            if parts.count > 1 {
                let first = idOf[oldest(survivors)]!
                events.append(.split(from: e.id, first: first, parts: parts.subtracting([first])))
            }
        }
    }

    // MARK: Queries

    func entityID(of key: String) -> UInt64? { entities.first { $0.members.contains(key) }?.id }

    func resolve(_ id: UInt64) -> UInt64? {
        var id = id
        var hops = 0
        while let next = redirects[id], hops <= issued.count { id = next; hops += 1 }
        return entities.contains { $0.id == id } ? id : nil
    }

    func members(_ id: UInt64) -> [String] {
        guard let current = resolve(id), let e = entities.first(where: { $0.id == current }) else { return [] }
        return e.members.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    func lookup(_ kind: UInt32, _ raw: String) -> UInt64? {
        guard let v = normalized(kind, raw), links(v),
              let holder = records.first(where: { $0.value.values.contains(v) })?.key
        else { return nil }
        return entityID(of: holder)
    }

    /// Distinct values held, generic values, placeholder values held.
    func valueCounts() -> (held: Int, generic: Int, placeholders: Int) {
        let held = Set(records.values.flatMap(\.values))
        return (held.count, held.filter { isGeneric($0) }.count, held.filter { isPlaceholder($0) }.count)
    }

    /// Shortest evidence distance (records apart) between two records through linking values,
    /// and whether any chain exists at all through any values (linking or not).
    func evidence(_ a: String, _ b: String) -> (linkingHops: Int?, anyChain: Bool) {
        func bfs(_ usable: (Value) -> Bool) -> Int? {
            var dist: [String: Int] = [a: 0]
            var queue = [a]
            var i = 0
            while i < queue.count {
                let x = queue[i]
                i += 1
                if x == b { return dist[x] }
                for v in records[x]!.values where usable(v) {
                    for (y, r) in records where r.values.contains(v) && dist[y] == nil {
                        dist[y] = dist[x]! + 1
                        queue.append(y)
                    }
                }
            }
            return nil
        }
        return (bfs { self.links($0) }, bfs { _ in true } != nil)
    }

    /// Values held by two or more records of the entity that link, with those records.
    func links(of id: UInt64) -> [Value: Set<String>] {
        guard let e = entities.first(where: { $0.id == id }) else { return [:] }
        var out: [Value: Set<String>] = [:]
        for k in e.members { for v in records[k]!.values where links(v) { out[v, default: []].insert(k) } }
        return out.filter { $0.value.count >= 2 }
    }
}
