extension InternTable {
    /// Writes the table: its arena, entry words and (when `withSlots`) hash slots, each a flat
    /// array. Without slots the loader rebuilds them by hashing every entry.
    package func write(to w: inout ByteWriter, withSlots: Bool) {
        w.array(arena)
        w.array(entries)
        w.array(withSlots ? slots : [])
    }

    /// A table of the entries of `self` that `keep` selects, in index order (entry `i` becomes
    /// the number of kept entries before it): what a snapshot stores when some entries are dead.
    package func compacted(keeping keep: (Int) -> Bool) -> InternTable {
        var arena: [UInt8] = []
        var entries: [UInt64] = []
        arena.reserveCapacity(self.arena.count)
        entries.reserveCapacity(self.entries.count)
        self.arena.withUnsafeBufferPointer { a in
            for i in 0..<count where keep(i) {
                entries.append(UInt64(arena.count) | UInt64(tag(i)) << 40)
                arena.append(contentsOf: a[start(i)..<start(i + 1)])
            }
        }
        entries.append(UInt64(arena.count))
        return InternTable(arena: arena, entries: entries, slots: [], hasher: hasher)
    }

    /// Reads what ``write(to:withSlots:)`` wrote and checks its structure, so that no later
    /// operation can index out of bounds or probe forever: entry offsets rise from 0 to the
    /// arena's end; every entry is at most `maxLength` bytes and its tag passes `validTag`; the
    /// slots (if stored) are a power of two, at most 3/4 full, and hold every entry exactly once.
    /// Whether each entry sits where its hash would put it is not checked (the snapshot's
    /// checksums guard against damage; a misplaced entry would only be missed by lookups).
    package static func read(from r: inout ByteReader, hasher: KeyHasher, maxLength: Int,
                             validTag: (UInt32) -> Bool) throws(IDRError) -> InternTable {
        let arena = try r.array(of: UInt8.self)
        let entries = try r.array(of: UInt64.self)
        let slots = try r.array(of: UInt64.self)
        guard let last = entries.last, last == UInt64(arena.count), entries.count - 1 < Int(UInt32.max) - 1 else {
            throw r.corrupt("entries do not end at the arena's end")
        }
        let count = entries.count - 1
        var previous = 0
        for i in 0..<count {
            let word = entries[i], next = Int(entries[i + 1] & 0xFF_FFFF_FFFF)
            let start = Int(word & 0xFF_FFFF_FFFF)
            guard start == previous, next >= start, next - start <= maxLength else { throw r.corrupt("a bad entry offset") }
            guard validTag(UInt32(truncatingIfNeeded: word >> 40)) else { throw r.corrupt("an entry with an unknown kind") }
            previous = next
        }
        if !slots.isEmpty {
            let n = slots.count
            guard n >= 16, n & (n - 1) == 0, count * 4 <= n * 3 else { throw r.corrupt("a bad hash table size") }
            // Each entry exactly once: a bitmap of the indices met.
            var seen = IndexMarks(count: count)
            var held = 0
            for v in slots where v != 0 {
                guard seen.markOnce(Int(v & 0xFFFF_FFFF) - 1) else { throw r.corrupt("a bad hash slot") }
                held += 1
            }
            guard held == count else { throw r.corrupt("hash slots miss entries") }
        }
        return InternTable(arena: arena, entries: entries, slots: slots, hasher: hasher)
    }
}
