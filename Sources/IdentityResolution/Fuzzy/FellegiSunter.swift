import Glibc

/// The Fellegi–Sunter model of fuzzy matching: per attribute and level, m = P(level | match) and
/// u = P(level | non-match); a pair's evidence is the sum of `log2(m/u)` over its non-missing
/// attributes, turned into a match probability with the match rate `lambda`.
struct FellegiSunter {
    static let attributes = PairComparator.comparisons
    /// Levels per attribute, missing included (index = ``ComparisonLevel`` raw value).
    static let levels = 5

    /// m and u per attribute per level (index 0, missing, unused).
    var m: [[Double]]
    var u: [[Double]]
    /// The share of candidate pairs that are matches.
    var lambda: Double

    init(m: [[Double]], u: [[Double]], lambda: Double) {
        self.m = m
        self.u = u
        self.lambda = lambda
    }

    /// u per comparison and level from the patterns of random pairs, smoothed towards
    /// ``FuzzyMatching/defaultUProbabilities`` with the weight of 10,000 pairs: a large sample
    /// speaks for itself, a small file (a handful of records) falls back on the defaults.
    static func uProbabilities(_ patterns: [UInt32]) -> [[Double]] {
        let priorPairs = 10_000.0
        var counts = [[Double]](repeating: [Double](repeating: 0, count: levels), count: attributes)
        for p in patterns {
            for a in 0..<attributes { counts[a][PairComparator.level(p, a)] += 1 }
        }
        return counts.enumerated().map { a, c in
            let prior = FuzzyMatching.defaultUProbabilities[a]
            let total = c[1...].reduce(0, +) + priorPairs
            return [0] + (1..<levels).map { (c[$0] + prior[$0 - 1] * priorPairs) / total }
        }
    }

    /// The m probabilities in ``FuzzyMatching/defaultMProbabilities`` as a model table.
    static func defaultM() -> [[Double]] { FuzzyMatching.defaultMProbabilities.map { [0] + $0 } }

    /// Bayes factor weight (log2) of a level.
    @inline(__always)
    func weight(_ a: Int, _ level: Int) -> Double { level == 0 ? 0 : log2(m[a][level] / u[a][level]) }

    /// The pattern's total weight.
    func weight(_ pattern: UInt32) -> Double {
        var w = 0.0
        for a in 0..<Self.attributes { w += weight(a, PairComparator.level(pattern, a)) }
        return w
    }

    /// Match probability of a total weight.
    func probability(weight w: Double) -> Double {
        let prior = log2(lambda / (1 - lambda))
        return 1 / (1 + exp2(-(prior + w)))
    }

    /// Rescales each comparison's m over its levels to sum to 1 (after flooring and averaging).
    mutating func normalizeM() {
        for a in 0..<Self.attributes {
            let total = m[a][1...].reduce(0, +)
            guard total > 0 else { continue }
            for l in 1..<Self.levels { m[a][l] /= total }
        }
    }

    /// Expectation–maximization of m and lambda over `(pattern, count)` (sorted by pattern, so
    /// the floating-point sums run in one order and the result is deterministic); u stays as
    /// measured on random pairs. Returns the iterations run and whether it converged.
    mutating func estimate(_ patterns: [(pattern: UInt32, count: Int)], maxIterations: Int) -> (Int, Bool) {
        guard !patterns.isEmpty else { return (0, true) }
        let total = Double(patterns.reduce(0) { $0 + $1.count })
        for iteration in 1...maxIterations {
            var mass = [[Double]](repeating: [Double](repeating: 0, count: Self.levels), count: Self.attributes)
            var matches = 0.0
            for (p, c) in patterns {
                let posterior = probability(weight: weight(p)) * Double(c)
                matches += posterior
                for a in 0..<Self.attributes { mass[a][PairComparator.level(p, a)] += posterior }
            }
            var change = 0.0
            for a in 0..<Self.attributes {
                let seen = mass[a][1...].reduce(0, +)
                guard seen > 0 else { continue }
                for l in 1..<Self.levels {
                    // A floor keeps every level possible among matches: a level never seen in
                    // this sample must not veto a pair forever.
                    let next = max(mass[a][l] / seen, 1e-4)
                    change = max(change, abs(next - m[a][l]))
                    m[a][l] = next
                }
            }
            normalizeM()
            let nextLambda = min(max(matches / total, 1e-7), 0.999)
            change = max(change, abs(nextLambda - lambda) / max(lambda, 1e-7) * 1e-2)
            lambda = nextLambda
            if change < 1e-6 { return (iteration, true) }
        }
        return (maxIterations, false)
    }
}

/// A small deterministic generator (SplitMix64): random pairs for u, and the tests' seeded data.
package struct SplitMix: RandomNumberGenerator, Sendable {
    package var state: UInt64

    /// Starts from `seed`.
    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (n > 0), by multiply-shift.
    package mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(n).multipliedFullWidth(by: next())).high)
    }
}
