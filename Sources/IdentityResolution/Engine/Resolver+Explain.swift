import Glibc

/// What links one record of a bulk explanation to the previous one.
public enum BulkEvidence: Sendable, Equatable {
    /// Both carry this identifier.
    case identifier(EventIdentifier)
    /// Their attributes matched (a fuzzy link): probability, weight and comparison levels.
    case attributes(probability: Double, weight: Double, levels: String)
}

/// One step of a bulk evidence chain: a record, and what links it to the step before.
public struct BulkEvidenceStep: Sendable, Equatable {
    /// The record's key.
    public var record: String
    /// The evidence linking it to the previous step's record (nil on the first step).
    public var via: BulkEvidence?
}

/// How two records compare by their attributes under a resolution's fitted model.
public struct AttributeComparison: Sendable, Equatable {
    /// The match probability.
    public var probability: Double
    /// The Fellegi–Sunter weight (log2 Bayes factor, term-frequency adjusted).
    public var weight: Double
    /// The comparison levels (`first_name=exact …`).
    public var levels: String
    /// Whether the pair passes the threshold and the guards (it would be linked if compared).
    public var linkable: Bool
    /// Why a pair over the threshold is not linkable: `require_personal_evidence` or
    /// `first_name_veto`; nil otherwise.
    public var refusedBy: String?
}

/// Why two records are, or are not, one entity of a bulk resolution.
public enum BulkWhyAnswer: Sendable, Equatable {
    /// Joined through this chain (a shortest one within their entity).
    case joined(path: [BulkEvidenceStep])
    /// Not joined; with attributes on both sides, how they compare.
    case notJoined(attributes: AttributeComparison?)
}

extension Resolver {
    /// Why the records with keys `a` and `b` are, or are not, in one entity of `resolution` (the
    /// result of this resolver's ``resolve()``): a shortest chain of shared identifiers
    /// (placeholders and generic values excluded) and fuzzy links, within their entity.
    ///
    /// - Throws: `notFound` for an unknown key.
    public func why(_ a: String, _ b: String, in resolution: Resolution) throws(IDRError) -> BulkWhyAnswer {
        guard let ra = recordIndex(forKey: a) else { throw IDRError(.notFound, "no record \"\(a)\"") }
        guard let rb = recordIndex(forKey: b) else { throw IDRError(.notFound, "no record \"\(b)\"") }
        guard resolution.entityIDs[ra] == resolution.entityIDs[rb] else {
            return .notJoined(attributes: compareAttributes(ra, rb, in: resolution))
        }
        let graph = evidenceGraph(resolution)
        let entity = resolution.entityIDs[ra]
        // Breadth-first over records of the entity; `came[r]` is the record before r and how.
        var came: [Int: (Int, BulkEvidence?)] = [ra: (ra, nil)]
        var frontier = [ra]
        while !frontier.isEmpty, came[rb] == nil {
            var next: [Int] = []
            frontier.sort { records.bytesLess($0, $1) }
            for r in frontier {
                for (other, evidence) in graph.neighbours(r) where resolution.entityIDs[other] == entity && came[other] == nil {
                    came[other] = (r, evidence)
                    next.append(other)
                }
            }
            frontier = next
        }
        guard came[rb] != nil else { return .notJoined(attributes: nil) }  // unreachable: one entity is connected
        var path: [BulkEvidenceStep] = []
        var r = rb
        while true {
            let (previous, via) = came[r]!
            path.append(BulkEvidenceStep(record: records.string(at: r), via: via))
            if r == ra { break }
            r = previous
        }
        return .joined(path: path.reversed())
    }

    /// The records of the entity holding `key`, sorted bytewise, and the evidence between them:
    /// identifiers held by two or more of them and the fuzzy links among them.
    ///
    /// - Throws: `notFound` for an unknown key.
    public func how(_ key: String, in resolution: Resolution) throws(IDRError)
        -> (entity: UInt64, records: [String], identifiers: [(EventIdentifier, [String])], fuzzyLinks: [(String, String, Double)]) {
        guard let r = recordIndex(forKey: key) else { throw IDRError(.notFound, "no record \"\(key)\"") }
        let entity = resolution.entityIDs[r]
        let members = (0..<records.count).filter { resolution.entityIDs[$0] == entity }
        let memberSet = Set(members)
        let graph = evidenceGraph(resolution)
        var byValue: [UInt32: Set<Int>] = [:]
        for m in members {
            for v in graph.values(of: m) { byValue[v, default: []].insert(m) }
        }
        func sortedKeys(_ rs: some Sequence<Int>) -> [String] {
            rs.map { records.string(at: $0) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        var identifiers = byValue.filter { $0.value.count > 1 }.map { (identifier(Int($0.key)), sortedKeys($0.value)) }
        identifiers.sort { x, y in
            x.0.kind != y.0.kind ? x.0.kind < y.0.kind : x.0.value.utf8.lexicographicallyPrecedes(y.0.value.utf8)
        }
        var fuzzy = resolution.fuzzyLinks.filter { memberSet.contains($0.recordA) }.map { l in
            let pair = sortedKeys([l.recordA, l.recordB])
            return (pair[0], pair[1], l.probability)
        }
        fuzzy.sort { x, y in x.0 != y.0 ? x.0.utf8.lexicographicallyPrecedes(y.0.utf8) : x.1.utf8.lexicographicallyPrecedes(y.1.utf8) }
        return (entity, sortedKeys(members), identifiers, fuzzy)
    }

    /// How two records compare by attributes under the resolution's fitted parameters, or nil
    /// when fuzzy matching did not run or either lacks attributes.
    public func compareAttributes(_ a: String, _ b: String, in resolution: Resolution) throws(IDRError) -> AttributeComparison? {
        guard let ra = recordIndex(forKey: a) else { throw IDRError(.notFound, "no record \"\(a)\"") }
        guard let rb = recordIndex(forKey: b) else { throw IDRError(.notFound, "no record \"\(b)\"") }
        return compareAttributes(ra, rb, in: resolution)
    }

    private func compareAttributes(_ a: Int, _ b: Int, in resolution: Resolution) -> AttributeComparison? {
        guard let f = resolution.fuzzy, attributes.isActive, !attributes.bytes.isEmpty else { return nil }
        let model = FellegiSunter(m: f.parameters.map { [0] + $0.m }, u: f.parameters.map { [0] + $0.u }, lambda: f.matchRate)
        let config = configuration.fuzzy
        return attributes.bytes.withUnsafeBufferPointer { bytes in
            attributes.slots.withUnsafeBufferPointer { slots in
                let cmp = PairComparator(bytes: bytes.baseAddress!, slots: slots.baseAddress!)
                let has = { (r: Int) in (0..<PairComparator.attributes).contains { cmp.value(r, $0) != nil } }
                guard has(a), has(b) else { return nil }
                let pattern = cmp.pattern(a, b)
                var w = 0.0
                for c in 0..<PairComparator.comparisons {
                    let level = PairComparator.level(pattern, c)
                    if c < 2, level == 1, config.termFrequencyAdjustment, let v = cmp.value(a, c) {
                        w += log2(model.m[c][1] / nameFrequency(cmp, attribute: c, value: v))
                    } else {
                        w += model.weight(c, level)
                    }
                }
                let p = model.probability(weight: w)
                var refusedBy: String? = nil
                if config.requirePersonalEvidence, !Self.hasPersonalEvidence(pattern) {
                    refusedBy = "require_personal_evidence"
                } else if config.firstNameVeto, PairComparator.level(pattern, 0) == Int(ComparisonLevel.different.rawValue) {
                    refusedBy = "first_name_veto"
                }
                let link = FuzzyLink(recordA: min(a, b), recordB: max(a, b), probability: p, weight: w, pattern: pattern)
                return AttributeComparison(probability: p, weight: w, levels: link.levelsDescription,
                                           linkable: p >= config.threshold && refusedBy == nil,
                                           refusedBy: p >= config.threshold ? refusedBy : nil)
            }
        }
    }

    /// The share of records with this name among those that have the attribute (as in scoring).
    private func nameFrequency(_ cmp: PairComparator, attribute: Int, value: UnsafeRawBufferPointer) -> Double {
        var total = 0, same = 0
        for r in 0..<records.count {
            guard let v = cmp.value(r, attribute) else { continue }
            total += 1
            if v.count == value.count, v.elementsEqual(value) { same += 1 }
        }
        return Double(max(same, 1)) / Double(max(total, 1))
    }

    /// The identifier (kind, normalized value) of value index `v`.
    private func identifier(_ v: Int) -> EventIdentifier {
        EventIdentifier(kind: IdentifierKind(rawValue: values.tag(v)), value: values.string(at: v))
    }

    /// Records and their linking evidence: values that link (neither placeholder nor generic)
    /// and fuzzy links.
    private func evidenceGraph(_ resolution: Resolution) -> EvidenceGraph {
        restoreIndex()
        var generic = Set<Int>()
        for g in resolution.genericValues {
            var bytes = g.value
            if let v = bytes.withUTF8({ values.find(tag: g.kind.rawValue, $0.baseAddress, $0.count) }) { generic.insert(Int(v)) }
        }
        var byRecord = [[UInt32]](repeating: [], count: records.count)
        var byValue = [[Int]](repeating: [], count: values.count)
        for o in occurrenceRecord.indices {
            let v = Int(occurrenceValue[o]), r = Int(occurrenceRecord[o])
            guard !valueIsPlaceholder[v], !generic.contains(v) else { continue }
            if byValue[v].last != r { byValue[v].append(r) }
            byRecord[r].append(UInt32(v))
        }
        var fuzzy = [[(Int, BulkEvidence)]](repeating: [], count: records.count)
        for l in resolution.fuzzyLinks {
            let e = BulkEvidence.attributes(probability: l.probability, weight: l.weight, levels: l.levelsDescription)
            fuzzy[l.recordA].append((l.recordB, e))
            fuzzy[l.recordB].append((l.recordA, e))
        }
        return EvidenceGraph(resolver: self, byRecord: byRecord, byValue: byValue, fuzzy: fuzzy)
    }

    private struct EvidenceGraph {
        let resolver: Resolver
        let byRecord: [[UInt32]]
        let byValue: [[Int]]
        let fuzzy: [[(Int, BulkEvidence)]]

        func values(of r: Int) -> [UInt32] { byRecord[r] }

        /// Neighbours of `r` sorted by record key, each record once with its first evidence:
        /// identifiers (by kind, then value) before fuzzy links. Sorting keeps the chosen chain
        /// independent of the order of adds.
        func neighbours(_ r: Int) -> [(Int, BulkEvidence)] {
            var out: [(Int, BulkEvidence)] = []
            for v in byRecord[r] {
                let id = resolver.identifier(Int(v))
                for other in byValue[Int(v)] where other != r { out.append((other, .identifier(id))) }
            }
            out += fuzzy[r]
            func rank(_ e: BulkEvidence) -> (Int, UInt32, String) {
                switch e {
                case .identifier(let id): (0, id.kind.rawValue, id.value)
                case .attributes: (1, 0, "")
                }
            }
            out.sort { x, y in
                if x.0 != y.0 { return resolver.records.bytesLess(x.0, y.0) }
                let a = rank(x.1), b = rank(y.1)
                return a.0 != b.0 ? a.0 < b.0 : a.1 != b.1 ? a.1 < b.1 : a.2.utf8.lexicographicallyPrecedes(b.2.utf8)
            }
            var unique: [(Int, BulkEvidence)] = []
            for n in out where unique.last?.0 != n.0 { unique.append(n) }
            return unique
        }
    }
}
