extension Resolver {
    /// Calls `body` once per entity of `resolution`, in ascending entity ID order, with its
    /// record count and its distinct normalized identifier values (sorted by kind, then bytes;
    /// placeholders and generic values included, as the records carry them).
    ///
    /// - Complexity: O(I log I + N log N) for I identifiers and N records.
    public func forEachEntity<E: Error>(
        of resolution: Resolution,
        _ body: (_ entity: UInt64, _ records: Int, _ values: [(kind: IdentifierKind, value: UnsafeRawBufferPointer)]) throws(E) -> Void
    ) throws(E) {
        let n = records.count
        // Records grouped by entity ID.
        let order = (0..<n).sorted { a, b in
            let ea = resolution.entityIDs[a], eb = resolution.entityIDs[b]
            return ea != eb ? ea < eb : a < b
        }
        // Values of each record (CSR over the occurrence list).
        var start = [Int](repeating: 0, count: n + 1)
        for r in occurrenceRecord { start[Int(r) + 1] += 1 }
        for r in 0..<n { start[r + 1] += start[r] }
        var fill = start
        var held = [UInt32](repeating: 0, count: occurrenceRecord.count)
        for o in occurrenceRecord.indices {
            let r = Int(occurrenceRecord[o])
            held[fill[r]] = occurrenceValue[o]
            fill[r] += 1
        }
        var i = 0
        var group: [UInt32] = []
        while i < n {
            let entity = resolution.entityIDs[order[i]]
            var j = i
            group.removeAll(keepingCapacity: true)
            while j < n, resolution.entityIDs[order[j]] == entity {
                let r = order[j]
                group.append(contentsOf: held[start[r]..<start[r + 1]])
                j += 1
            }
            group.sort { a, b in
                let ka = values.tag(Int(a)), kb = values.tag(Int(b))
                return ka != kb ? ka < kb : values.bytesLess(Int(a), Int(b))
            }
            var distinct: [UInt32] = []
            for v in group where distinct.last != v { distinct.append(v) }
            // `withUnsafeBytes` rethrows untyped errors: the typed one travels in a Result.
            let result: Result<Void, E> = values.arena.withUnsafeBytes { arena in
                let list = distinct.map { v in
                    (kind: IdentifierKind(rawValue: values.tag(Int(v))),
                     value: UnsafeRawBufferPointer(rebasing: arena[values.start(Int(v))..<values.start(Int(v) + 1)]))
                }
                return Result { () throws(E) in try body(entity, j - i, list) }
            }
            try result.get()
            i = j
        }
    }
}
