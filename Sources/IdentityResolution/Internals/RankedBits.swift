/// A set of indices in `0..<count` as one bit each, with the rank of a member (how many members
/// come before it) in O(1) once ``freeze()`` has counted the words: a dense numbering of a
/// sparse subset without an array the size of the whole range.
package struct RankedBits {
    private var words: [UInt64]
    /// Members before each word, valid after ``freeze()``.
    private var before: [UInt32] = []

    /// The empty set over `0..<count`.
    package init(count: Int) {
        words = [UInt64](repeating: 0, count: count / 64 + 1)
    }

    /// Adds `i`.
    @inline(__always)
    package mutating func insert(_ i: Int) {
        words.withUnsafeMutableBufferPointer { $0[i >> 6] |= 1 << UInt64(i & 63) }
    }

    /// Whether `i` is a member.
    @inline(__always)
    package func contains(_ i: Int) -> Bool {
        words.withUnsafeBufferPointer { $0[i >> 6] >> UInt64(i & 63) & 1 != 0 }
    }

    /// Counts the members and prepares ``rank(_:)``; returns the number of members.
    package mutating func freeze() -> Int {
        before = [UInt32](repeating: 0, count: words.count)
        var total: UInt32 = 0
        for w in words.indices {
            before[w] = total
            total &+= UInt32(words[w].nonzeroBitCount)
        }
        return Int(total)
    }

    /// The number of members smaller than `i` (`i` a member, after ``freeze()``).
    @inline(__always)
    package func rank(_ i: Int) -> Int {
        let below: UInt64 = (1 << UInt64(i & 63)) &- 1
        return Int(before[i >> 6]) + (words[i >> 6] & below).nonzeroBitCount
    }
}
