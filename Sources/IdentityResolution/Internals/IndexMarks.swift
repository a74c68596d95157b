/// One bit per index in `0..<count`: for checks that stored indices each appear at most once
/// (a snapshot's hash slots, its entity ID table).
package struct IndexMarks {
    private var words: [UInt64]
    private let count: Int

    /// All unmarked.
    package init(count: Int) {
        self.count = count
        words = [UInt64](repeating: 0, count: count / 64 + 1)
    }

    /// Marks `i`; false if it is out of range or was marked before.
    package mutating func markOnce(_ i: Int) -> Bool {
        guard i >= 0, i < count else { return false }
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[i >> 6] & bit == 0 else { return false }
        words[i >> 6] |= bit
        return true
    }
}

/// The new number of each index `0..<count` when only those that `keep` selects are kept, in
/// order (`UInt32.max` for the others): how a snapshot renumbers records and values around dead ones.
package func keptRanks(count: Int, keep: (Int) -> Bool) -> [UInt32] {
    var ranks = [UInt32](repeating: .max, count: count)
    var next: UInt32 = 0
    for i in 0..<count where keep(i) {
        ranks[i] = next
        next += 1
    }
    return ranks
}
