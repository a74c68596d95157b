import Glibc

/// One record's key for one blocking key: the key's hash, the record, the key's position.
private struct BlockEntry {
    var hash: UInt64
    var record: UInt32
    var key: UInt32
}

extension Resolver {
    /// Blocks, compares and scores the records' attributes (``FuzzyMatching``); returns the
    /// pairs that reach the threshold and the statistics, or nil when fuzzy matching is off or
    /// no record has an attribute.
    func matchAttributes() -> (links: [FuzzyLink], statistics: FuzzyStatistics)? {
        let f = configuration.fuzzy
        guard f.enabled, attributes.isActive, !attributes.bytes.isEmpty else { return nil }
        return attributes.bytes.withUnsafeBufferPointer { bytes in
            attributes.slots.withUnsafeBufferPointer { slots in
                matchAttributes(PairComparator(bytes: bytes.baseAddress!, slots: slots.baseAddress!), f)
            }
        }
    }

    private func matchAttributes(_ cmp: PairComparator, _ f: FuzzyMatching) -> (links: [FuzzyLink], statistics: FuzzyStatistics) {
        let clock = ContinuousClock()
        let started = clock.now
        let n = records.count
        var stats = FuzzyStatistics()
        stats.attributes = IdentifierKind.attributes.map { kindStatistics($0, name: $0.attributeName!) }
        for r in 0..<n where (0..<PairComparator.attributes).contains(where: { cmp.value(r, $0) != nil }) {
            stats.recordsWithAttributes += 1
        }

        let (pairs, keyHashes) = candidatePairs(cmp, f, &stats)
        let blocked = clock.now
        var patterns = [UInt32](repeating: 0, count: pairs.count)
        for i in pairs.indices {
            patterns[i] = cmp.pattern(Int(truncatingIfNeeded: pairs[i] >> 32), Int(truncatingIfNeeded: pairs[i] & 0xFFFF_FFFF))
        }
        // Enough random pairs to see rare agreements, without spending seconds on a small input.
        let random = randomPatterns(cmp, count: min(f.randomPairs, n * (n - 1) / 2, max(200_000, 20 * n)))
        stats.comparedPairs = pairs.count
        stats.randomPairs = random.count
        let compared = clock.now

        var model = FellegiSunter(m: FellegiSunter.defaultM(), u: FellegiSunter.uProbabilities(random), lambda: 0.1)
        if f.estimateParameters {
            (stats.iterations, stats.converged) = estimateM(&model, pairs: pairs, patterns: patterns, keyHashes: keyHashes, f)
        }
        stats.parameters = PairComparator.comparisonNames.enumerated().map { i, name in
            FuzzyStatistics.ComparisonParameters(comparison: name, m: Array(model.m[i][1...]), u: Array(model.u[i][1...]))
        }
        let frequencies = f.termFrequencyAdjustment ? nameFrequencies(cmp) : []
        var weights = [Double](repeating: 0, count: pairs.count)
        for i in pairs.indices {
            let a = Int(truncatingIfNeeded: pairs[i] >> 32)
            let p = patterns[i]
            var w = 0.0
            for c in 0..<PairComparator.comparisons {
                let level = PairComparator.level(p, c)
                if c < 2, level == 1, !frequencies.isEmpty {
                    // Agreeing on a rare name says more than agreeing on "smith": u becomes the
                    // name's own frequency instead of the average agreement rate.
                    w += log2(model.m[c][1] / Double(frequencies[c * n + a]))
                } else {
                    w += model.weight(c, level)
                }
            }
            weights[i] = w
        }
        model.lambda = populationPrior(weights, records: n)
        stats.matchRate = model.lambda
        var links: [FuzzyLink] = []
        for i in pairs.indices {
            let probability = model.probability(weight: weights[i])
            if probability >= f.threshold, !f.requirePersonalEvidence || Self.hasPersonalEvidence(patterns[i]),
               !f.firstNameVeto || PairComparator.level(patterns[i], 0) != Int(ComparisonLevel.different.rawValue) {
                links.append(FuzzyLink(recordA: Int(truncatingIfNeeded: pairs[i] >> 32), recordB: Int(truncatingIfNeeded: pairs[i] & 0xFFFF_FFFF),
                                       probability: probability, weight: weights[i], pattern: patterns[i]))
            }
        }
        stats.links = links.count
        let scored = clock.now
        stats.blockingSeconds = seconds(blocked - started)
        stats.comparingSeconds = seconds(compared - blocked)
        stats.scoringSeconds = seconds(scored - compared)
        return (links, stats)
    }

    /// Distinct candidate pairs `a << 32 | b` (a < b), sorted, and each record's hash per
    /// blocking key (`record * keys + key`; 0 for none or an oversized block); fills the blocking
    /// statistics.
    private func candidatePairs(_ cmp: PairComparator, _ f: FuzzyMatching, _ stats: inout FuzzyStatistics) -> (pairs: [UInt64], keyHashes: [UInt64]) {
        let n = records.count
        stats.blockingKeys = f.blockingKeys.map { FuzzyStatistics.BlockingKeyStatistics(key: $0.description) }
        let keyCount = f.blockingKeys.count
        var keyHashes = [UInt64](repeating: 0, count: n * keyCount)
        var entries: [BlockEntry] = []
        entries.reserveCapacity(n * keyCount)
        var buffer: [UInt8] = [], part: [UInt8] = [], other: [UInt8] = []
        for (k, key) in f.blockingKeys.enumerated() {
            for r in 0..<n where blockingKey(key, index: k, record: r, cmp, &buffer, &part, &other) {
                let h = buffer.withUnsafeBytes { XXH3.hash64($0, seed: 0xB10C) } | 1
                keyHashes[r * keyCount + k] = h
                entries.append(BlockEntry(hash: h, record: UInt32(r), key: UInt32(k)))
                stats.blockingKeys[k].records += 1
            }
        }
        entries.sort { $0.hash != $1.hash ? $0.hash < $1.hash : $0.record < $1.record }
        let cap = blockCap(entries, f, records: n)
        stats.effectiveMaxBlockSize = cap
        var pairs: [UInt64] = []
        var oversized: [(size: Int, entry: BlockEntry)] = []
        var i = 0
        while i < entries.count {
            var j = i + 1
            while j < entries.count, entries[j].hash == entries[i].hash { j += 1 }
            let size = j - i
            let k = Int(entries[i].key)
            if size > cap {
                stats.blockingKeys[k].oversizedBlocks += 1
                oversized.append((size, entries[i]))
                for x in i..<j { keyHashes[Int(entries[x].record) * keyCount + k] = 0 }
            } else if size > 1 {
                stats.blockingKeys[k].blocks += 1
                stats.blockingKeys[k].pairs += size * (size - 1) / 2
                for x in i..<j {
                    for y in (x + 1)..<j where entries[x].record != entries[y].record {
                        let a = min(entries[x].record, entries[y].record), b = max(entries[x].record, entries[y].record)
                        pairs.append(UInt64(a) << 32 | UInt64(b))
                    }
                }
            }
            i = j
        }
        pairs.sort()
        var w = 0
        for p in pairs.indices where p == 0 || pairs[p] != pairs[p - 1] {
            pairs[w] = pairs[p]
            w += 1
        }
        pairs.removeLast(pairs.count - w)
        stats.oversizedBlockCount = oversized.count
        var reported = oversized.map { o in
            FuzzyStatistics.OversizedBlock(
                key: describeBlock(f.blockingKeys[Int(o.entry.key)], index: Int(o.entry.key), record: Int(o.entry.record), cmp),
                size: o.size)
        }
        reported.sort { $0.size != $1.size ? $0.size > $1.size : $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        stats.oversizedBlocks = Array(reported.prefix(20))
        return (pairs, keyHashes)
    }

    /// Whether a pattern agrees (exactly or closely) on the first name or the date of birth:
    /// a family name and an address alone describe a household, not a person.
    static func hasPersonalEvidence(_ pattern: UInt32) -> Bool {
        let first = PairComparator.level(pattern, 0), dob = PairComparator.level(pattern, 2)
        return first == 1 || first == 2 || dob == 1 || dob == 2
    }

    /// Estimates m by EM once per blocking key, over the pairs that key proposed, leaving out
    /// the comparisons the key blocks on: inside a block those agree for matches and non-matches
    /// alike, so they carry no information there (and u, measured on random pairs, would not
    /// describe them). Each comparison's m is the mean over the keys that leave it free.
    private func estimateM(_ model: inout FellegiSunter, pairs: [UInt64], patterns: [UInt32], keyHashes: [UInt64],
                           _ f: FuzzyMatching) -> (Int, Bool) {
        let keyCount = f.blockingKeys.count
        var sums = [[Double]](repeating: [Double](repeating: 0, count: FellegiSunter.levels), count: PairComparator.comparisons)
        var estimates = [Int](repeating: 0, count: PairComparator.comparisons)
        var iterations = 0
        var converged = true
        for (k, key) in f.blockingKeys.enumerated() {
            var mask: UInt32 = 0
            var blocked = Set<Int>()
            for part in key.parts {
                switch part {
                case .attribute(let kind, _):
                    let c = kind == .firstName ? 0 : kind == .lastName ? 1 : kind == .dateOfBirth ? 2 : 3
                    blocked.insert(c)
                case .nameSet:
                    blocked.insert(0)
                    blocked.insert(1)
                }
            }
            // People who live together mostly share a family name: among non-matches, last name
            // and location agree together, so a key on one leaves the other uninformative too.
            if blocked.contains(3) { blocked.insert(1) }
            if blocked.contains(1) { blocked.insert(3) }
            for c in blocked { mask |= 0xF << (4 * UInt32(c)) }
            var masked: [UInt32] = []
            for i in pairs.indices {
                let a = Int(truncatingIfNeeded: pairs[i] >> 32), b = Int(truncatingIfNeeded: pairs[i] & 0xFFFF_FFFF)
                let ha = keyHashes[a * keyCount + k]
                if ha != 0, ha == keyHashes[b * keyCount + k] { masked.append(patterns[i] & ~mask) }
            }
            guard !masked.isEmpty, blocked.count < PairComparator.comparisons else { continue }
            var keyModel = FellegiSunter(m: FellegiSunter.defaultM(), u: model.u, lambda: 0.1)
            let (its, ok) = keyModel.estimate(patternCounts(masked), maxIterations: f.maxIterations)
            iterations = max(iterations, its)
            converged = converged && ok
            for c in 0..<PairComparator.comparisons where !blocked.contains(c) {
                for l in 1..<FellegiSunter.levels { sums[c][l] += keyModel.m[c][l] }
                estimates[c] += 1
            }
        }
        for c in 0..<PairComparator.comparisons where estimates[c] > 0 {
            for l in 1..<FellegiSunter.levels { model.m[c][l] = sums[c][l] / Double(estimates[c]) }
        }
        model.normalizeM()
        return (iterations, converged)
    }

    /// The probability that two random records match, as the fixed point of: expected matches
    /// among the candidate pairs (their posteriors under this prior) over all pairs of records.
    ///
    /// The weights are summed in sorted order: pairs are numbered by record index, which depends
    /// on the order of adds, and floating-point sums depend on their order.
    private func populationPrior(_ unsorted: [Double], records n: Int) -> Double {
        let weights = unsorted.sorted()
        let allPairs = Double(n) * Double(n - 1) / 2
        var prior = min(0.5, Double(n) / allPairs)
        for _ in 0..<100 {
            let logOdds = log2(prior / (1 - prior))
            var expected = 0.0
            for w in weights { expected += 1 / (1 + exp2(-(logOdds + w))) }
            let next = min(max(expected / allPairs, 1e-12), 0.5)
            if abs(next - prior) <= prior * 1e-6 { return next }
            prior = next
        }
        return prior
    }

    /// The block size cap: the configured one, halved until the pairs it allows fit the budget
    /// of ``FuzzyMatching/maxPairsPerRecord`` per record (at least 100,000 pairs), so that
    /// no input (thousands of blocks just under the cap) can make comparing explode. A function
    /// of the block sizes alone, so of the data.
    private func blockCap(_ entries: [BlockEntry], _ f: FuzzyMatching, records n: Int) -> Int {
        var sizes: [Int] = []
        var i = 0
        while i < entries.count {
            var j = i + 1
            while j < entries.count, entries[j].hash == entries[i].hash { j += 1 }
            if j - i > 1 { sizes.append(j - i) }
            i = j
        }
        let budget = max(100_000, f.maxPairsPerRecord * n)
        var cap = f.maxBlockSize
        while cap > 2 {
            var pairs = 0
            for s in sizes where s <= cap { pairs += s * (s - 1) / 2 }
            if pairs <= budget { break }
            cap /= 2
        }
        return max(cap, 2)
    }

    /// Builds record `r`'s bytes for one blocking key (the key's index, then each part after a
    /// separator) into `out`; false when the record lacks a part.
    private func blockingKey(
        _ key: BlockingKey, index: Int, record r: Int, _ cmp: PairComparator,
        _ out: inout [UInt8], _ part: inout [UInt8], _ other: inout [UInt8]
    ) -> Bool {
        out.removeAll(keepingCapacity: true)
        out.append(UInt8(truncatingIfNeeded: index))
        for p in key.parts {
            out.append(0x1F)
            switch p {
            case .attribute(let kind, let t):
                guard transform(cmp.value(r, kind.attributeIndex), t, into: &part) else { return false }
                out.append(contentsOf: part)
            case .nameSet(let t):
                guard transform(cmp.value(r, 0), t, into: &part), transform(cmp.value(r, 1), t, into: &other) else { return false }
                if other.lexicographicallyPrecedes(part) { swap(&part, &other) }
                out.append(contentsOf: part)
                out.append(0x1E)
                out.append(contentsOf: other)
            }
        }
        return true
    }

    private func transform(_ v: UnsafeRawBufferPointer?, _ t: BlockingKey.Transform, into out: inout [UInt8]) -> Bool {
        guard let v else { return false }
        out.removeAll(keepingCapacity: true)
        switch t {
        case .exact: out.append(contentsOf: v)
        case .prefix(let n): out.append(contentsOf: v.prefix(n))
        case .year:
            guard v.count >= 4 else { return false }
            out.append(contentsOf: v.prefix(4))
        case .phonetic: Phonetic.code(v, into: &out)
        }
        return !out.isEmpty
    }

    /// `key=part|part`, for reporting a skipped block.
    private func describeBlock(_ key: BlockingKey, index: Int, record: Int, _ cmp: PairComparator) -> String {
        var buffer: [UInt8] = [], part: [UInt8] = [], other: [UInt8] = []
        _ = blockingKey(key, index: index, record: record, cmp, &buffer, &part, &other)
        let shown = buffer.dropFirst(2).map { $0 == 0x1F ? UInt8(ascii: "|") : $0 == 0x1E ? UInt8(ascii: "/") : $0 }
        return "\(key)=\(String(decoding: shown, as: UTF8.self))"
    }

    /// Patterns of `count` random pairs of distinct records, drawn in an order of the records
    /// defined by their keys (XXH3 of the key, then the key bytes), so the sample does not depend
    /// on the order of adds.
    private func randomPatterns(_ cmp: PairComparator, count: Int) -> [UInt32] {
        let n = records.count
        guard n >= 2, count > 0 else { return [] }
        var order = (0..<n).map { r in (hash: records.withBytes(at: r) { XXH3.hash64($0, seed: 0x5A3F) }, record: UInt32(r)) }
        order.sort { a, b in a.hash != b.hash ? a.hash < b.hash : records.bytesLess(Int(a.record), Int(b.record)) }
        var rng = SplitMix(seed: 0x1D7_F5EED)
        var out = [UInt32](repeating: 0, count: count)
        for i in 0..<count {
            let x = rng.below(n)
            var y = rng.below(n - 1)
            if y >= x { y += 1 }
            out[i] = cmp.pattern(Int(order[x].record), Int(order[y].record))
        }
        return out
    }

    /// Candidate patterns with their counts, sorted by pattern.
    private func patternCounts(_ patterns: [UInt32]) -> [(pattern: UInt32, count: Int)] {
        let sorted = patterns.sorted()
        var out: [(pattern: UInt32, count: Int)] = []
        for p in sorted {
            if out.last?.pattern == p { out[out.count - 1].count += 1 } else { out.append((p, 1)) }
        }
        return out
    }

    /// For first and last names: each record's name frequency among records that have the
    /// attribute (`attribute * n + record`; 1 where missing).
    private func nameFrequencies(_ cmp: PairComparator) -> [Float] {
        let n = records.count
        var out = [Float](repeating: 1, count: 2 * n)
        for a in 0..<2 {
            var hashed: [UInt64] = []
            var who: [UInt32] = []
            for r in 0..<n {
                guard let v = cmp.value(r, a) else { continue }
                hashed.append(XXH3.hash64(v, seed: 0x7F))
                who.append(UInt32(r))
            }
            guard !hashed.isEmpty else { continue }
            let order = hashed.indices.sorted { hashed[$0] < hashed[$1] }
            let total = Float(hashed.count)
            var i = 0
            while i < order.count {
                var j = i + 1
                while j < order.count, hashed[order[j]] == hashed[order[i]] { j += 1 }
                let freq = Float(j - i) / total
                for k in i..<j { out[a * n + Int(who[order[k]])] = freq }
                i = j
            }
        }
        return out
    }

    /// Statistics of one attribute kind from the add counters.
    private func kindStatistics(_ kind: IdentifierKind, name: String) -> ResolutionStatistics.KindStatistics {
        let k = Int(kind.rawValue)
        var s = ResolutionStatistics.KindStatistics(kind: kind, name: name)
        s.identifiers = counters.identifiers[k]
        s.placeholderHits = counters.placeholders[k]
        s.invalid = InvalidReason.allCases.compactMap { r in
            let c = counters.invalid[counters.invalidIndex(k, Int(r.rawValue))]
            return c > 0 ? (r, c) : nil
        }
        return s
    }
}

/// A duration in seconds.
func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) / 1e18
}
