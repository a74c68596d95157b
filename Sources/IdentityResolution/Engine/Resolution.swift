/// The result of ``Resolver/resolve()``: an entity ID per record, statistics and every guard
/// decision that changed the partition.
public struct Resolution: Sendable {
    /// The entity ID of each record, indexed by record index (order of first add).
    public let entityIDs: [UInt64]
    /// Counts of what was added, dropped, guarded and linked.
    public let statistics: ResolutionStatistics
    /// Values the generic-value guard stopped from linking, sorted by kind then value bytes.
    public let genericValues: [GenericValue]
    /// Links refused by per-entity limits, in the order they were considered.
    public let refusedLinks: [RefusedLink]
    /// What fuzzy matching did, or nil when it did not run (off, or no record had attributes).
    public let fuzzy: FuzzyStatistics?
    /// The attribute pairs that reached the match threshold, sorted by record indices; each
    /// explains a fuzzy link with its probability and per-attribute comparison levels.
    public let fuzzyLinks: [FuzzyLink]

    init(entityIDs: [UInt64], statistics: ResolutionStatistics, genericValues: [GenericValue], refusedLinks: [RefusedLink],
         fuzzy: FuzzyStatistics? = nil, fuzzyLinks: [FuzzyLink] = []) {
        self.entityIDs = entityIDs
        self.statistics = statistics
        self.genericValues = genericValues
        self.refusedLinks = refusedLinks
        self.fuzzy = fuzzy
        self.fuzzyLinks = fuzzyLinks
    }

    /// The entity ID of the record at `index`.
    public func entityID(ofRecord index: Int) -> UInt64 { entityIDs[index] }

    /// Record indices grouped by entity: each group ascending, groups by their first index.
    public var groups: [[Int]] {
        var byID: [UInt64: Int] = [:]
        var out: [[Int]] = []
        for (i, id) in entityIDs.enumerated() {
            if let g = byID[id] {
                out[g].append(i)
            } else {
                byID[id] = out.count
                out.append([i])
            }
        }
        return out
    }
}

/// A value that would have joined too many otherwise-separate customers and links none.
public struct GenericValue: Sendable, Equatable {
    /// Its kind.
    public var kind: IdentifierKind
    /// Its normalized value.
    public var value: String
    /// How many distinct records carry it.
    public var records: Int
    /// How many customers it would join: over the distinguishing kinds, the largest number of
    /// distinct values of one kind on its records (itself and placeholders not counted).
    public var customers: Int
    /// The threshold it exceeded.
    public var threshold: Int
}

/// A link between two records that a per-entity limit refused.
public struct RefusedLink: Sendable, Equatable {
    /// The record already in the entity the link started from.
    public var recordKey: String
    /// The record the link would have joined.
    public var otherRecordKey: String
    /// The kind of the identifier both records carry (kind 0 for a fuzzy link).
    public var viaKind: IdentifierKind
    /// That identifier's normalized value (the comparison levels for a fuzzy link).
    public var viaValue: String
    /// For a fuzzy link, its match probability; nil for an identifier link.
    public var fuzzyProbability: Double? = nil
    /// The limited kind that would have been exceeded.
    public var limitedKind: IdentifierKind
    /// The limit.
    public var limit: Int
}

/// What a resolution counted. Every list is sorted by kind, so printing it is deterministic.
public struct ResolutionStatistics: Sendable, Equatable {
    /// Distinct records.
    public var records = 0
    /// Add calls (rows); `adds - records` repeated an existing record key.
    public var adds = 0
    /// Per registered kind.
    public var kinds: [KindStatistics] = []
    /// Entities (connected components).
    public var entities = 0
    /// Records in the largest entity.
    public var largestEntity = 0
    /// Entity sizes in power-of-two buckets: 1, 2, 3–4, 5–8, …
    public var sizeHistogram: [SizeBucket] = []
    /// Links refused by per-entity limits.
    public var refusedLinks = 0

    /// Add calls that named an existing record key.
    public var repeatedKeyAdds: Int { adds - records }
    /// Valid identifiers over all kinds.
    public var identifiers: Int { kinds.reduce(0) { $0 + $1.identifiers } }
    /// Invalid identifiers over all kinds and reasons.
    public var invalid: Int { kinds.reduce(0) { $0 + $1.invalidTotal } }
    /// Placeholder occurrences over all kinds.
    public var placeholderHits: Int { kinds.reduce(0) { $0 + $1.placeholderHits } }
    /// Generic values over all kinds.
    public var genericValues: Int { kinds.reduce(0) { $0 + $1.genericValues } }

    /// Counts for one kind.
    public struct KindStatistics: Sendable, Equatable {
        /// The kind.
        public var kind: IdentifierKind
        /// Its name.
        public var name: String
        /// Valid identifiers added (occurrences).
        public var identifiers = 0
        /// Distinct normalized values.
        public var distinctValues = 0
        /// Invalid identifiers by reason (only reasons that occurred, in reason order).
        public var invalid: [(reason: InvalidReason, count: Int)] = []
        /// Identifiers whose value is a placeholder (occurrences).
        public var placeholderHits = 0
        /// Distinct values found generic.
        public var genericValues = 0

        /// All invalid identifiers of this kind.
        public var invalidTotal: Int { invalid.reduce(0) { $0 + $1.count } }

        /// Compares every field.
        public static func == (a: KindStatistics, b: KindStatistics) -> Bool {
            a.kind == b.kind && a.name == b.name && a.identifiers == b.identifiers
                && a.distinctValues == b.distinctValues && a.placeholderHits == b.placeholderHits
                && a.genericValues == b.genericValues && a.invalid.map(\.reason) == b.invalid.map(\.reason)
                && a.invalid.map(\.count) == b.invalid.map(\.count)
        }
    }

    /// Entities whose size lies in `lower...upper`.
    public struct SizeBucket: Sendable, Equatable {
        /// Smallest size in the bucket.
        public var lower: Int
        /// Largest size in the bucket.
        public var upper: Int
        /// Entities in the bucket.
        public var count: Int
    }
}
