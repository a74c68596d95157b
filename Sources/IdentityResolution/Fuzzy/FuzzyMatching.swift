/// How the bulk ``Resolver`` links records by their person attributes (``IdentifierKind/firstName``
/// … ``IdentifierKind/city``) when they share no identifier.
///
/// 1. **Normalize** each attribute: names and cities folded to lowercase ASCII, nicknames mapped
///    to a canonical name, dates read as `YYYYMMDD`, postcodes uppercased without spaces, street
///    words abbreviated. Placeholders (`unknown`, `1900-01-01`, `00000` …) count as missing.
/// 2. **Block**: each record gets one hashed key per ``blockingKeys`` entry whose parts it has;
///    records sharing a key form a block. Blocks larger than ``maxBlockSize`` are skipped and
///    reported (``FuzzyStatistics/oversizedBlocks``). Every pair inside a block is a candidate.
/// 3. **Compare** each candidate pair attribute by attribute into a level (exact, close, far,
///    different, or missing).
/// 4. **Score** with Fellegi–Sunter: each level has an m probability (among true matches) and a
///    u probability (among non-matches); the pair's weight is the sum of `log2(m/u)` over its
///    non-missing attributes. u is measured on random pairs, m and the match rate are estimated
///    by expectation–maximization over the candidate pairs, without labels. Exact name agreement
///    is weighted by how rare the name is (term-frequency adjustment).
/// 5. **Link** pairs whose match probability reaches ``threshold``, as one more evidence class
///    beside shared identifiers.
///
/// Every step is a function of the set of records (random pairs are drawn in an order defined by
/// the record keys' hashes), so the partition does not depend on the order of adds.
public struct FuzzyMatching: Sendable, Equatable {
    /// Whether attributes are matched at all. Default on (a resolver given no attributes does no
    /// fuzzy work).
    public var enabled = true
    /// The match probability (0…1, exclusive) a pair needs to be linked. Default 0.99.
    public var threshold = 0.99
    /// How `NN/NN/YYYY` dates of birth are read. Default day first.
    public var dateOrder: AttributeNormalizer.DateOrder = .dayFirst
    /// Map first-name nicknames to a canonical name with the built-in table (`bob` → `robert`)
    /// before comparing. Default on.
    public var builtInNicknames = true
    /// Extra nicknames, `(nickname, canonical)`, written raw; they are folded like names and take
    /// precedence over the built-in table.
    public var nicknames: [(String, String)] = []
    /// Treat the built-in placeholder attributes (`unknown`, `test`, `1900-01-01`, `00000` …) as
    /// missing. Default on.
    public var builtInPlaceholders = true
    /// The blocking keys; a pair is compared when the two records share at least one.
    public var blockingKeys: [BlockingKey] = FuzzyMatching.defaultBlockingKeys
    /// Blocks with more records than this are skipped (not compared) and reported. Default 200.
    public var maxBlockSize = 200
    /// The budget of candidate pairs, per record (at least 100,000 in all): when the blocks
    /// under ``maxBlockSize`` would give more pairs, the cap is halved until they fit (reported
    /// as ``FuzzyStatistics/effectiveMaxBlockSize``). Default 100.
    public var maxPairsPerRecord = 100
    /// Most random pairs drawn to measure the u probabilities. Default 1,000,000; fewer are
    /// drawn for small inputs (at most 20 per record, but at least 200,000, and never more than
    /// there are pairs).
    public var randomPairs = 1_000_000
    /// Estimate m probabilities and the match rate by EM. Off uses ``defaultMProbabilities``
    /// and a match rate of 1 in 10 candidate pairs. Default on.
    public var estimateParameters = true
    /// Most EM iterations. Default 100 (it stops earlier when the parameters settle).
    public var maxIterations = 100
    /// Link only pairs that agree (exactly or closely) on the first name or the date of birth,
    /// whatever their score: a family name and an address alone describe a household, and
    /// relatives must not merge. Default on.
    public var requirePersonalEvidence = true
    /// Never link two records whose first names are both given and different (not a typo, a
    /// nickname in the table or an initial): twins share everything else. Default on.
    public var firstNameVeto = true
    /// Weight exact first- and last-name agreement by the name's frequency. Default on.
    public var termFrequencyAdjustment = true

    /// The defaults.
    public init() {}

    /// Phonetic last name + postcode; phonetic last name + date of birth; first letter of the
    /// first name + date of birth; date of birth + postcode; phonetic first and last name in
    /// either order (swapped names) + birth year, and + postcode; street line + postcode area;
    /// street line + city.
    public static let defaultBlockingKeys: [BlockingKey] = [
        BlockingKey([.attribute(.lastName, .phonetic), .attribute(.postcode, .exact)]),
        BlockingKey([.attribute(.lastName, .phonetic), .attribute(.dateOfBirth, .exact)]),
        BlockingKey([.attribute(.firstName, .prefix(1)), .attribute(.dateOfBirth, .exact)]),
        BlockingKey([.attribute(.dateOfBirth, .exact), .attribute(.postcode, .exact)]),
        BlockingKey([.nameSet(.phonetic), .attribute(.dateOfBirth, .year)]),
        BlockingKey([.nameSet(.phonetic), .attribute(.postcode, .exact)]),
        BlockingKey([.attribute(.address, .exact), .attribute(.postcode, .prefix(3))]),
        BlockingKey([.attribute(.address, .exact), .attribute(.city, .exact)]),
    ]

    /// m probabilities used without EM and as EM's starting point, per comparison (first name,
    /// last name, date of birth, location), per level (exact, close, far, different).
    public static let defaultMProbabilities: [[Double]] = [
        [0.85, 0.08, 0.04, 0.03],  // first name
        [0.88, 0.07, 0.03, 0.02],  // last name
        [0.92, 0.05, 0.02, 0.01],  // date of birth
        [0.80, 0.05, 0.05, 0.10],  // location: address, postcode, city
    ]

    /// u probabilities that smooth the ones measured on random pairs (with the weight of 10,000
    /// pairs), per comparison, per level (exact, close, far, different): what two strangers
    /// share by chance.
    public static let defaultUProbabilities: [[Double]] = [
        [0.01, 0.005, 0.03, 0.955],       // first name
        [0.002, 0.002, 0.02, 0.976],      // last name
        [0.0001, 0.002, 0.005, 0.9929],   // date of birth
        [0.0001, 0.0005, 0.01, 0.9894],   // location
    ]

    /// Compares every field (nicknames pair by pair).
    public static func == (a: FuzzyMatching, b: FuzzyMatching) -> Bool {
        a.enabled == b.enabled && a.threshold == b.threshold && a.dateOrder == b.dateOrder
            && a.builtInNicknames == b.builtInNicknames && a.nicknames.map(\.0) == b.nicknames.map(\.0)
            && a.nicknames.map(\.1) == b.nicknames.map(\.1) && a.builtInPlaceholders == b.builtInPlaceholders
            && a.blockingKeys == b.blockingKeys && a.maxBlockSize == b.maxBlockSize && a.randomPairs == b.randomPairs
            && a.estimateParameters == b.estimateParameters && a.maxIterations == b.maxIterations
            && a.termFrequencyAdjustment == b.termFrequencyAdjustment && a.requirePersonalEvidence == b.requirePersonalEvidence
            && a.firstNameVeto == b.firstNameVeto && a.maxPairsPerRecord == b.maxPairsPerRecord
    }

    /// Checks every field's domain.
    func validate() throws(IDRError) {
        guard threshold > 0, threshold < 1 else {
            throw IDRError(.invalidArgument, "fuzzy threshold must be a probability strictly between 0 and 1, got \(threshold)")
        }
        guard (2...100_000).contains(maxBlockSize) else {
            throw IDRError(.invalidArgument, "maxBlockSize must be 2...100000, got \(maxBlockSize)")
        }
        guard (1...100_000).contains(maxPairsPerRecord) else {
            throw IDRError(.invalidArgument, "maxPairsPerRecord must be 1...100000, got \(maxPairsPerRecord)")
        }
        guard (1_000...100_000_000).contains(randomPairs) else {
            throw IDRError(.invalidArgument, "randomPairs must be 1000...100000000, got \(randomPairs)")
        }
        guard (1...10_000).contains(maxIterations) else {
            throw IDRError(.invalidArgument, "maxIterations must be 1...10000, got \(maxIterations)")
        }
        guard blockingKeys.count <= 64 else { throw IDRError(.invalidArgument, "at most 64 blocking keys") }
        for key in blockingKeys {
            guard !key.parts.isEmpty, key.parts.count <= 8 else {
                throw IDRError(.invalidArgument, "a blocking key needs 1...8 parts")
            }
            for part in key.parts {
                switch part {
                case .attribute(let kind, let t):
                    guard kind.isAttribute else { throw IDRError(.invalidArgument, "blocking key part \(kind) is not an attribute") }
                    try t.validate()
                case .nameSet(let t):
                    try t.validate()
                }
            }
        }
    }
}

/// One blocking key: records whose parts all agree share a block.
public struct BlockingKey: Sendable, Equatable, CustomStringConvertible {
    /// What a key is made of; a record missing any part gets no key.
    public enum Part: Sendable, Equatable {
        /// One attribute, transformed.
        case attribute(IdentifierKind, Transform)
        /// First and last name, each transformed, in sorted order: swapped names share the key.
        case nameSet(Transform)
    }

    /// How an attribute's normalized value becomes a key part.
    public enum Transform: Sendable, Equatable {
        /// The whole value.
        case exact
        /// Its first `n` bytes (1–32).
        case prefix(Int)
        /// A phonetic code (``Phonetic/code(_:)``): names that sound alike share it.
        case phonetic
        /// The year of a date (its first 4 bytes).
        case year

        func validate() throws(IDRError) {
            if case .prefix(let n) = self, !(1...32).contains(n) {
                throw IDRError(.invalidArgument, "blocking prefix length must be 1...32, got \(n)")
            }
        }

        var name: String {
            switch self {
            case .exact: "exact"
            case .prefix(let n): "prefix\(n)"
            case .phonetic: "phonetic"
            case .year: "year"
            }
        }
    }

    /// The parts, all required.
    public var parts: [Part]

    /// Creates a key from its parts.
    public init(_ parts: [Part]) { self.parts = parts }

    /// The key spelled as in configuration files: `last_name~phonetic+zip`.
    public var description: String {
        parts.map { part in
            switch part {
            case .attribute(let k, .exact): k.attributeName ?? k.description
            case .attribute(let k, let t): "\(k.attributeName ?? k.description)~\(t.name)"
            case .nameSet(.exact): "names"
            case .nameSet(let t): "names~\(t.name)"
            }
        }.joined(separator: "+")
    }

    /// Parses ``description``'s form: parts joined by `+`, each `ATTRIBUTE[~TRANSFORM]` or
    /// `names[~TRANSFORM]`, transforms `exact`, `phonetic`, `year`, `prefixN`.
    public init(parsing text: String) throws(IDRError) {
        var parts: [Part] = []
        for piece in text.split(separator: "+", omittingEmptySubsequences: false) {
            let sides = piece.split(separator: "~", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            var transform = Transform.exact
            if sides.count == 2 {
                switch sides[1] {
                case "exact": transform = .exact
                case "phonetic": transform = .phonetic
                case "year": transform = .year
                case let t where t.hasPrefix("prefix"):
                    guard let n = Int(t.dropFirst(6)) else { throw IDRError(.invalidArgument, "blocking key \"\(text)\": bad transform \(t)") }
                    transform = .prefix(n)
                default: throw IDRError(.invalidArgument, "blocking key \"\(text)\": unknown transform \(sides[1])")
                }
            }
            if sides[0] == "names" {
                parts.append(.nameSet(transform))
            } else if let kind = IdentifierKind(attributeName: sides[0]) {
                parts.append(.attribute(kind, transform))
            } else {
                throw IDRError(.invalidArgument, "blocking key \"\(text)\": \(sides[0]) is not an attribute (first_name, last_name, dob, zip, address, city, names)")
            }
        }
        self.parts = parts
        try FuzzyMatching.validateKey(self)
    }
}

extension FuzzyMatching {
    static func validateKey(_ key: BlockingKey) throws(IDRError) {
        var f = FuzzyMatching()
        f.blockingKeys = [key]
        try f.validate()
    }
}
