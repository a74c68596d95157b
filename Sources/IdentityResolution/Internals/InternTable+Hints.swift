import CXXHash

/// Lookup hints: a second word per hash slot, for a table whose owner keeps a 32-bit value per
/// entry that every lookup reads next (the engine's entity slot of a value).
///
/// On a table larger than the cache, a lookup waits for one memory access after another: the
/// slot names the entry; the entry word gives the bytes' place, and the owner's value its
/// next array index; only then can the bytes and the owner's next arrays be read. The hint
/// word beside the slot holds the entry's arena offset and the owner's value as last set, so
/// the lookup can ask for all of those at once as soon as the slot arrives: two waits instead
/// of three. Hints only ever choose what to prefetch: a stale one costs time, never a wrong
/// answer, so no owner has to keep them exact.
///
/// A hint word: arena offset in the low 32 bits (the arena never passes 4 GiB), the owner's
/// value in the high 32 bits (``noHint`` until set).
extension InternTable {
    /// The owner's value of a hint not set yet.
    package static let noHint = UInt32.max

    /// A hint word.
    @inline(__always)
    static func hint(start: Int, value: UInt32) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: start)) | UInt64(value) << 32
    }

    /// Gives every slot a hint word, the owner's value of entry `i` being `value[i]` (or
    /// ``noHint`` past its end). Memory: 8 bytes per slot, as much again as the slots.
    package mutating func enableHints(values value: UnsafeBufferPointer<UInt32>) {
        hints = makeHints(values: value)
    }

    /// Installs hint words that ``makeHints(values:)`` built for this table (on another
    /// thread, say). Words of the wrong count turn hints off: they could only be another
    /// table's.
    package mutating func installHints(_ words: [UInt64]) {
        hints = words.count == slots.count ? words : []
    }

    /// The hint words for ``enableHints(values:)``, without installing them: reads only.
    package func makeHints(values value: UnsafeBufferPointer<UInt32>) -> [UInt64] {
        // Every word is written below: the memory needs no zeroing of its own.
        [UInt64](hugeCount: slots.count) { fresh in
            slots.withUnsafeBufferPointer { s in
                entries.withUnsafeBufferPointer { e in
                    // Slot order reads the slots and writes the hints front to back; the entry
                    // words and values it needs are scattered, so they are asked for a few
                    // slots ahead (the gathering is bound by memory latency, not bandwidth).
                    let ahead = 16
                    for p in 0..<s.count {
                        if p &+ ahead < s.count {
                            let w = s[p &+ ahead]
                            if w != 0 {
                                let j = Int(truncatingIfNeeded: w & 0xFFFF_FFFF) &- 1
                                idr_prefetch(e.baseAddress! + j)
                                if j < value.count { idr_prefetch(value.baseAddress! + j) }
                            }
                        }
                        let w = s[p]
                        guard w != 0 else {
                            (fresh.baseAddress! + p).initialize(to: 0)
                            continue
                        }
                        let i = Int(truncatingIfNeeded: w & 0xFFFF_FFFF) &- 1
                        let start = Int(truncatingIfNeeded: e[i] & 0xFF_FFFF_FFFF)
                        (fresh.baseAddress! + p).initialize(to: InternTable.hint(start: start, value: i < value.count ? value[i] : InternTable.noHint))
                    }
                }
            }
        }
    }

    /// Sets the owner's value in entry `i`'s hint (no effect when hints are off). Finds the
    /// entry's slot by hashing its bytes again: for owners that change the value of an entry
    /// they did not just look up.
    package mutating func setHint(entry i: Int, _ value: UInt32) {
        guard !hints.isEmpty, let slot = slot(ofEntry: i) else { return }
        hints[slot] = InternTable.hint(start: start(i), value: value)
    }

    /// Entry `i`'s hint: its arena offset and the owner's value; `nil` when hints are off or
    /// `i` is out of range. For checks: lookups read hints through ``hintedCandidate(hash:)``.
    package func hint(ofEntry i: Int) -> (start: Int, value: UInt32)? {
        guard !hints.isEmpty, let slot = slot(ofEntry: i) else { return nil }
        let word = hints[slot]
        return (Int(truncatingIfNeeded: word & 0xFFFF_FFFF), UInt32(truncatingIfNeeded: word >> 32))
    }

    /// The slot holding entry `i`, found by hashing its bytes again.
    private func slot(ofEntry i: Int) -> Int? {
        guard i >= 0, i < count else { return nil }
        let start = self.start(i)
        let h = arena.withUnsafeBytes { a in
            hasher.hash(a.baseAddress.map { $0 + start }, self.start(i + 1) - start, tag: tag(i))
        }
        let mask = slotMask
        let word = UInt64(i &+ 1)
        return slots.withUnsafeBufferPointer { s in
            var slot = Int(truncatingIfNeeded: h) & mask
            // Every entry is in the table: the walk ends at it (the empty-slot test only
            // guards against a table it would not be in, such as a retired entry's).
            while s[slot] != 0 {
                if s[slot] & 0xFFFF_FFFF == word { return slot }
                slot = (slot &+ 1) & mask
            }
            return nil
        }
    }

    /// The first entry on hash `h`'s probe path whose hash fragment matches, with its hint:
    /// the arena offset of its bytes and the owner's value, unconfirmed (nothing is compared).
    /// `nil` when the path reaches an empty slot first or hints are off.
    @inline(__always)
    package func hintedCandidate(hash h: UInt64) -> (entry: Int, start: Int, value: UInt32)? {
        guard !hints.isEmpty, let slot = candidateSlot(hash: h) else { return nil }
        let entry = Int(truncatingIfNeeded: slots[slot] & 0xFFFF_FFFF) &- 1
        let hint = hints[slot]
        return (entry, Int(truncatingIfNeeded: hint & 0xFFFF_FFFF), UInt32(truncatingIfNeeded: hint >> 32))
    }

    /// Entry `i`'s word and the arena line at `start` (from a hint; out of range: none), to
    /// fetch with ``CacheLines/prefetch()`` after this call.
    @inline(__always)
    package func entryLines(entry i: Int, bytesAt start: Int) -> CacheLines {
        CacheLines(entries.lineAddress(i), arena.lineAddress(start))
    }

    /// The hint words by entry index (rehashing places entries afresh and takes them along).
    func hintsByEntry() -> [UInt64] {
        var byEntry = [UInt64](repeating: 0, count: count)
        for (p, w) in slots.enumerated() where w != 0 { byEntry[Int(w & 0xFFFF_FFFF) - 1] = hints[p] }
        return byEntry
    }
}
