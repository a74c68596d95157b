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
            forEachNode(ofRecord: Int(occRecord[Int(o)])) { other in
                let w = Int(occValue[Int(other)])
                let kind = values.tag(w)
                if w != v, !valueIsPlaceholder[w], kinds[Int(kind)].distinguishesCustomers {
                    seen.append(UInt64(kind) << 32 | UInt64(w))
                }
            }
            o = occNext[Int(o)]
        }
        seen.sort()
        return largestDistinctCountPerKind(seen) > threshold
    }
}
