extension Engine {
    /// Whether value `v` is generic now (the rule of ``Resolver/resolve()``, from its records).
    ///
    /// - Complexity: O(d·k log(d·k)) for d records of k identifiers; O(1) when d ≤ T.
    func isGenericNow(_ v: Int) -> Bool {
        guard configuration.genericGuard, !valueIsPlaceholder[v] else { return false }
        let threshold = kinds[Int(values.tag(v))].genericThreshold
        guard threshold > 0, Int(valueDegree[v]) > threshold else { return false }
        var seen: [UInt64] = []
        var o = valueHead[v]
        while o != Engine.none {
            for other in recordOccurrences[Int(occRecord[Int(o)])] {
                let w = Int(occValue[Int(other)])
                let kind = values.tag(w)
                if w != v, !valueIsPlaceholder[w], kinds[Int(kind)].distinguishesCustomers {
                    seen.append(UInt64(kind) << 32 | UInt64(w))
                }
            }
            o = occNext[Int(o)]
        }
        seen.sort()
        var i = 0
        while i < seen.count {
            let kind = seen[i] >> 32
            var distinct = 0
            var j = i
            while j < seen.count, seen[j] >> 32 == kind {
                if j == i || seen[j] != seen[j - 1] { distinct += 1 }
                j += 1
            }
            if distinct > threshold { return true }
            i = j
        }
        return false
    }
}
