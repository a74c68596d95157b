/// What fuzzy matching did in one ``Resolver/resolve()``; lists are in a fixed order, so printing
/// them is deterministic.
public struct FuzzyStatistics: Sendable, Equatable {
    /// Records carrying at least one valid attribute.
    public var recordsWithAttributes = 0
    /// Per attribute kind, in ``IdentifierKind/attributes`` order.
    public var attributes: [ResolutionStatistics.KindStatistics] = []
    /// Per blocking key, in configuration order.
    public var blockingKeys: [BlockingKeyStatistics] = []
    /// The largest skipped blocks (at most 20), largest first, then by key.
    public var oversizedBlocks: [OversizedBlock] = []
    /// All skipped blocks.
    public var oversizedBlockCount = 0
    /// The block size cap applied: ``FuzzyMatching/maxBlockSize``, or less when the pair budget
    /// (``FuzzyMatching/maxPairsPerRecord``) required it.
    public var effectiveMaxBlockSize = 0
    /// Distinct candidate pairs compared.
    public var comparedPairs = 0
    /// Random pairs compared to measure u.
    public var randomPairs = 0
    /// Pairs whose match probability reached the threshold.
    public var links = 0
    /// Links that joined two entities not already joined (by identifiers or earlier links).
    public var merges = 0
    /// Links refused by per-entity limits.
    public var refusedLinks = 0
    /// The estimated share of candidate pairs that match.
    public var matchRate = 0.0
    /// EM iterations run, and whether the parameters settled.
    public var iterations = 0
    /// Whether EM converged (true when EM is off).
    public var converged = true
    /// m and u per comparison (first name, last name, date of birth, location), per level
    /// (exact, close, far, different).
    public var parameters: [ComparisonParameters] = []
    /// Time spent blocking, comparing and estimating, in seconds.
    public var blockingSeconds = 0.0
    /// Time spent comparing candidate and random pairs, in seconds.
    public var comparingSeconds = 0.0
    /// Time spent estimating parameters and scoring, in seconds.
    public var scoringSeconds = 0.0

    /// Counts for one blocking key.
    public struct BlockingKeyStatistics: Sendable, Equatable {
        /// The key as written in configuration (`last_name~phonetic+zip`).
        public var key: String
        /// Records that have every part of the key.
        public var records = 0
        /// Blocks of two records or more that were compared.
        public var blocks = 0
        /// Blocks skipped for exceeding the size cap.
        public var oversizedBlocks = 0
        /// Pairs the key proposed (a pair proposed by several keys counts in each).
        public var pairs = 0
    }

    /// A block skipped for exceeding ``FuzzyMatching/maxBlockSize``.
    public struct OversizedBlock: Sendable, Equatable {
        /// The key and its parts' values: `last_name~phonetic+zip=S530|10001`.
        public var key: String
        /// Records in the block.
        public var size: Int
    }

    /// Fellegi–Sunter parameters of one comparison.
    public struct ComparisonParameters: Sendable, Equatable {
        /// `first_name`, `last_name`, `dob` or `location` (address, postcode and city).
        public var comparison: String
        /// P(level | match) for exact, close, far, different.
        public var m: [Double]
        /// P(level | non-match) for exact, close, far, different.
        public var u: [Double]
    }
}

/// A pair of records linked by their attributes.
public struct FuzzyLink: Sendable, Equatable {
    /// Record indices, `recordA < recordB`.
    public var recordA: Int
    /// See ``recordA``.
    public var recordB: Int
    /// The match probability.
    public var probability: Double
    /// The Fellegi–Sunter weight (log2 Bayes factor, term-frequency adjusted).
    public var weight: Double
    /// The comparison pattern (4 bits per attribute).
    var pattern: UInt32

    /// How the two records compared on a comparison (`first_name`, `last_name`, `dob`,
    /// `location`); nil for another name.
    public func level(_ comparison: String) -> ComparisonLevel? {
        guard let i = PairComparator.comparisonNames.firstIndex(of: comparison) else { return nil }
        return ComparisonLevel(rawValue: UInt8(PairComparator.level(pattern, i)))
    }

    /// The levels, as `first_name=exact last_name=close …` (missing ones left out).
    public var levelsDescription: String {
        PairComparator.comparisonNames.indices.compactMap { i in
            let l = PairComparator.level(pattern, i)
            return l == 0 ? nil : "\(PairComparator.comparisonNames[i])=\(ComparisonLevel(rawValue: UInt8(l))!)"
        }.joined(separator: " ")
    }
}
