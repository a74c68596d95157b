/// One step of an evidence chain: a record, and the identifier it shares with the step before.
public struct EvidenceStep: Sendable, Equatable {
    /// The record's key.
    public var record: String
    /// The identifier linking it to the previous step's record (nil on the first step).
    public var via: EventIdentifier?
}

/// Why two records are, or are not, one customer.
public enum WhyAnswer: Sendable, Equatable {
    /// Joined through this chain (a shortest one): record, identifier, record, …
    case joined(path: [EvidenceStep])
    /// The only chains between them go through an identifier that a guard stopped linking.
    case refused(by: GuardKind, identifier: EventIdentifier, path: [EvidenceStep])
    /// A chain of linking identifiers joins them, but a per-entity limit refused a link on it:
    /// together their entities would hold more than `limit` distinct values of `kind`.
    /// `identifier` is the one whose link was refused.
    case overLimit(kind: IdentifierKind, limit: Int, identifier: EventIdentifier, path: [EvidenceStep])
    /// Nothing connects them, not even through stopped identifiers.
    case noSharedEvidence
}

/// The guard that stopped an identifier from linking.
public enum GuardKind: String, Sendable, Equatable {
    /// A placeholder value (built-in or configured list, pattern or shape).
    case placeholder
    /// A generic value: shared by more customers than its kind's threshold.
    case generic
}

/// How an entity holds together: its records and the identifiers that link them.
public struct EntityAnatomy: Sendable, Equatable {
    /// The entity's current ID.
    public var entity: UInt64
    /// Its record keys, sorted bytewise.
    public var records: [String]
    /// Each identifier held by two or more of its records, with those records (sorted by kind,
    /// then value).
    public var links: [(identifier: EventIdentifier, records: [String])]

    /// Compares every field.
    public static func == (a: EntityAnatomy, b: EntityAnatomy) -> Bool {
        a.entity == b.entity && a.records == b.records && a.links.map(\.identifier) == b.links.map(\.identifier)
            && a.links.map(\.records) == b.links.map(\.records)
    }
}

extension Engine {
    /// Why the records with keys `a` and `b` are, or are not, one customer. Read-only.
    ///
    /// - Throws: `notFound` if either record is not in the engine.
    public func why(_ a: String, _ b: String) throws(IDRError) -> WhyAnswer {
        guard let ra = recordIndex(a), recordAlive[ra] else { throw IDRError(.notFound, "no record \"\(a)\"") }
        guard let rb = recordIndex(b), recordAlive[rb] else { throw IDRError(.notFound, "no record \"\(b)\"") }
        if !entityLimitsOn || sameEntity(UInt32(ra), UInt32(rb)) {
            let within = entityLimitsOn ? uf.root(of: UInt32(ra)) : nil
            if let path = shortestPath(from: UInt32(ra), to: UInt32(rb), throughStopped: false, within: within) {
                return .joined(path: steps(path))
            }
        } else if let path = shortestPath(from: UInt32(ra), to: UInt32(rb), throughStopped: false) {
            return overLimit(path)
        }
        guard let path = shortestPath(from: UInt32(ra), to: UInt32(rb), throughStopped: true) else {
            return .noSharedEvidence
        }
        let blocking = path.lazy.compactMap(\.via).first { !self.links(Int($0)) }!
        let guardKind: GuardKind = valueIsPlaceholder[Int(blocking)] ? .placeholder : .generic
        return .refused(by: guardKind, identifier: identifier(blocking), path: steps(path))
    }

    /// The answer for records in different entities joined by a chain of linking values: the
    /// chain's first step between two entities is a link the limits refused.
    private func overLimit(_ path: [(record: UInt32, via: UInt32?)]) -> WhyAnswer {
        let i = path.indices.dropFirst().first { !sameEntity(path[$0 - 1].record, path[$0].record) }!
        let v = path[i].via!
        // The value's records were linked to its record with the smallest key: the refused link
        // joined that record's entity and one of the two here (the other may be a third entity
        // refused the same way).
        let first = firstHolder(of: v)
        let other = sameEntity(first, path[i].record) ? path[i - 1].record : path[i].record
        let (kind, limit) = exceededLimit(between: first, other) ?? (values.tag(Int(v)), entityLimit(values.tag(Int(v))))
        return .overLimit(kind: IdentifierKind(rawValue: kind), limit: limit, identifier: identifier(v), path: steps(path))
    }

    /// The records of an entity (after ``resolve(_:)``) and the identifiers that link them.
    ///
    /// - Throws: `notFound` for an unknown entity.
    public func how(_ entity: UInt64) throws(IDRError) -> EntityAnatomy {
        guard let current = resolve(entity), let slot = slotOfID[current] else {
            throw IDRError(.notFound, "entity \(entity) is unknown or has no records left")
        }
        let members = members(of: current)
        var byValue: [UInt32: [String]] = [:]
        var seen: Set<UInt32> = []
        for key in members {
            guard let r = recordIndex(key) else { continue }
            forEachNode(ofRecord: r) { node in
                let v = occValue[Int(node)]
                guard self.links(Int(v)), seen.insert(v).inserted, valueDegree[Int(v)] > 1 else { return }
                var holders: [String] = []
                forEachRecord(of: Int(v)) { y in
                    // With limits a value can also be held in other entities: those records are not links here.
                    if !entityLimitsOn || sameEntity(y, UInt32(r)) { holders.append(records.string(at: Int(y))) }
                }
                if holders.count > 1 { byValue[v] = holders.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
            }
        }
        let links = byValue.keys.sorted { x, y in
            let kx = values.tag(Int(x)), ky = values.tag(Int(y))
            return kx != ky ? kx < ky : values.bytesLess(Int(x), Int(y))
        }.map { (identifier: identifier($0), records: byValue[$0]!) }
        _ = slot
        return EntityAnatomy(entity: current, records: members, links: links)
    }

    private func identifier(_ v: UInt32) -> EventIdentifier {
        EventIdentifier(kind: IdentifierKind(rawValue: values.tag(Int(v))), value: valueText(Int(v)))
    }

    private func steps(_ path: [(record: UInt32, via: UInt32?)]) -> [EvidenceStep] {
        path.map { EvidenceStep(record: records.string(at: Int($0.record)), via: $0.via.map(identifier)) }
    }

    /// Breadth-first from `a` to `b` through linking values (and, with `throughStopped`, through
    /// placeholder and generic values too), only through records of the set rooted at `within`
    /// when given. Uses only local state: safe for concurrent readers.
    private func shortestPath(from a: UInt32, to b: UInt32, throughStopped: Bool,
                              within: UInt32? = nil) -> [(record: UInt32, via: UInt32?)]? {
        if a == b { return [(a, nil)] }
        var parent: [UInt32: (record: UInt32, via: UInt32)] = [:]
        var seenValues: Set<UInt32> = []
        var queue: [UInt32] = [a]
        var visited: Set<UInt32> = [a]
        var i = 0
        search: while i < queue.count {
            let x = queue[i]
            i += 1
            var node = recordHead[Int(x)]
            while node != Engine.none {
                let v = occValue[Int(node)]
                node = occSibling[Int(node)]
                guard throughStopped || links(Int(v)), seenValues.insert(v).inserted else { continue }
                var o = valueHead[Int(v)]
                while o != Engine.none {
                    let y = occRecord[Int(o)]
                    if within == nil || uf.root(of: y) == within, visited.insert(y).inserted {
                        parent[y] = (x, v)
                        if y == b { break search }
                        queue.append(y)
                    }
                    o = occNext[Int(o)]
                }
            }
        }
        guard parent[b] != nil else { return nil }
        var path: [(record: UInt32, via: UInt32?)] = []
        var y = b
        while y != a {
            let p = parent[y]!
            path.append((y, p.via))
            y = p.record
        }
        path.append((a, nil))
        return path.reversed()
    }
}
