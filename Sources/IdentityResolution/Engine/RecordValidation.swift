extension KindRegistry {
    /// Checks what every add checks before touching any state: a non-empty UTF-8 record key
    /// within its limit, at most `maxIdentifiersPerRecord` identifiers and attributes, every
    /// kind registered (attribute kinds only where `attributes` says they are matched).
    ///
    /// - Returns: the key's base address (non-nil once checked).
    /// - Throws: `invalidArgument`, `limitExceeded`, `invalidUTF8`, `unknownKind`.
    @inline(__always)
    func validate(
        recordKey key: UnsafeRawBufferPointer, identifiers: UnsafeBufferPointer<RawIdentifier>,
        limits: ResolverConfiguration.Limits, attributes: Bool = false
    ) throws(IDRError) -> UnsafeRawPointer {
        guard key.count > 0, let keyBase = key.baseAddress else {
            throw IDRError(.invalidArgument, "record key is empty")
        }
        guard key.count <= limits.maxRecordKeyLength else {
            throw IDRError(.limitExceeded, "record key of \(key.count) bytes exceeds maxRecordKeyLength \(limits.maxRecordKeyLength)")
        }
        guard isValidUTF8(keyBase.assumingMemoryBound(to: UInt8.self), key.count) else {
            throw IDRError(.invalidUTF8, "record key is not valid UTF-8")
        }
        guard identifiers.count <= limits.maxIdentifiersPerRecord else {
            throw IDRError(.limitExceeded, "\(identifiers.count) identifiers exceed maxIdentifiersPerRecord \(limits.maxIdentifiersPerRecord)")
        }
        for id in identifiers {
            let k = Int(id.kind.rawValue)
            if id.kind.isAttribute {
                guard attributes else {
                    // Fuzzy links are not maintained incrementally yet: refusing is better than
                    // silently keeping attributes that would never be used.
                    throw IDRError(.invalidArgument, "\(id.kind.attributeName!) is a person attribute: only the bulk resolver matches attributes, the online engine does not take them")
                }
                continue
            }
            guard k < infos.count, infos[k].registered else {
                throw IDRError(.unknownKind, "identifier kind \(id.kind.rawValue) is not registered")
            }
        }
        return keyBase
    }
}

/// The largest number of distinct values of one kind in `seen`, a sorted list of
/// `kind << 32 | value` (duplicates allowed): the customers count of the generic rule.
package func largestDistinctCountPerKind(_ seen: [UInt64]) -> Int {
    var most = 0
    var i = 0
    while i < seen.count {
        let kind = seen[i] >> 32
        var distinct = 0
        var j = i
        while j < seen.count, seen[j] >> 32 == kind {
            if j == i || seen[j] != seen[j - 1] { distinct += 1 }
            j += 1
        }
        most = max(most, distinct)
        i = j
    }
    return most
}
