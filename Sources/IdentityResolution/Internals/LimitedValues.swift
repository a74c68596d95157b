/// The limited values an entity holds, as sorted, distinct words `kind << 32 | value`: what the
/// per-entity limits (``ResolverConfiguration/entityLimits``) count, shared by the bulk resolver
/// and the online engine so that both refuse exactly the same links.
package enum LimitedValues {
    /// The rank of each of `kindCount` kinds in the link order: its place in `priority` (the last
    /// one if listed twice), or after every listed kind by number.
    package static func linkRanks(priority: [IdentifierKind], kindCount: Int) -> [Int] {
        var rank = (0..<kindCount).map { 1000 + $0 }
        for (i, kind) in priority.enumerated() where Int(kind.rawValue) < kindCount { rank[Int(kind.rawValue)] = i }
        return rank
    }

    /// The sorted union of two sorted, duplicate-free sets.
    package static func union(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: [UInt64] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] < b[j]) {
                out.append(a[i]); i += 1
            } else if i == a.count || b[j] < a[i] {
                out.append(b[j]); j += 1
            } else {
                out.append(a[i]); i += 1; j += 1
            }
        }
        return out
    }

    /// Removes adjacent duplicates from a sorted array, in place.
    package static func deduplicate<T: Equatable>(_ a: inout [T]) {
        var kept = 0
        for i in a.indices where kept == 0 || a[i] != a[kept - 1] {
            a[kept] = a[i]
            kept += 1
        }
        a.removeLast(a.count - kept)
    }

    /// The first kind whose distinct count in `merged` (the union of `a` and `b`) passes its
    /// limit and what either side holds alone, so that a record carrying two values itself is
    /// never cut off from its own evidence; `nil` when the link may be made.
    package static func exceeded(_ merged: [UInt64], _ a: [UInt64], _ b: [UInt64],
                                 limit: (UInt32) -> Int) -> (kind: UInt32, limit: Int)? {
        var i = 0
        while i < merged.count {
            let kind = UInt32(merged[i] >> 32)
            var j = i
            while j < merged.count, UInt32(merged[j] >> 32) == kind { j += 1 }
            let l = limit(kind)
            let count = j - i
            if count > l, count > a.lazy.filter({ UInt32($0 >> 32) == kind }).count,
               count > b.lazy.filter({ UInt32($0 >> 32) == kind }).count {
                return (kind, l)
            }
            i = j
        }
        return nil
    }
}
