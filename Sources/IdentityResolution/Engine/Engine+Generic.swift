extension Engine {
    /// Whether value `v` is generic now (the rule of ``Resolver/resolve()``, from its records).
    ///
    /// - Complexity: O(d·k log(d·k)) for d records of k identifiers; O(1) when d ≤ T.
    func isGenericNow(_ v: Int) -> Bool {
        guard configuration.genericGuard, !valueIsPlaceholder[v] else { return false }
        let threshold = kinds[Int(values.tag(v))].genericThreshold
        guard threshold > 0, Int(valueDegree[v]) > threshold else { return false }
        // The engine's scratch list, taken out while in use: an add allocates nothing.
        var seen = genericScratch
        genericScratch = []
        defer { seen.removeAll(keepingCapacity: true); genericScratch = seen }
        var o = valueHead[v]
        while o != Engine.none {
            forEachNode(ofRecord: Int(occRecord[Int(o)])) { other in
                let w = Int(occValue[Int(other)])
                guard w != v else { return }
                // The kind first: values of kinds that do not count (device IDs, cards) then
                // cost no read of their placeholder flag, a memory wait each at 10M records.
                let kind = values.tag(w)
                if kinds[Int(kind)].distinguishesCustomers, !valueIsPlaceholder[w] {
                    seen.append(UInt64(kind) << 32 | UInt64(w))
                }
            }
            o = occNext[Int(o)]
        }
        seen.sort()
        return largestDistinctCountPerKind(seen) > threshold
    }
}
