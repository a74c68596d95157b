import CXXHash

/// Interns tagged byte strings to dense `UInt32` indices, storing all bytes in one arena.
///
/// Open addressing with linear probing. A slot holds the high 32 bits of the hash and the
/// entry index + 1 (0 marks an empty slot), so most misses are rejected without touching the
/// arena. A hit is always confirmed by comparing tag and bytes: two different strings never
/// share an index, whatever the hash does.
package struct InternTable: Sendable {
    /// All interned bytes, back to back.
    package private(set) var arena: [UInt8] = []
    /// Entry `i`: its start offset (low 40 bits) and its tag (high 24 bits); entry `i`'s bytes
    /// are `start(i) ..< start(i + 1)`. Packing both in one word means a probe touches the slot,
    /// this word (and its neighbour, usually the same cache line) and the arena: one cache miss
    /// fewer than separate `starts` and `tags` arrays, at the same 8 bytes per entry.
    package private(set) var entries: [UInt64] = [0]
    /// Hash slots: the hash's high 32 bits and entry index + 1 (0: empty).
    package private(set) var slots: [UInt64]
    /// Lookup hints, one per slot when enabled (``InternTable+Hints``), else empty.
    package internal(set) var hints: [UInt64] = []
    private(set) var slotMask: Int
    package let hasher: KeyHasher
    /// Whether ``releaseSlots()`` freed the hash slots. Until ``restoreSlots()`` a find finds
    /// nothing (the single empty slot left behind), so the owner restores them before any find;
    /// an intern restores them itself.
    package private(set) var slotsReleased = false

    /// An empty table sized for about `capacity` entries.
    package init(hasher: KeyHasher = KeyHasher(), capacity: Int = 16) {
        self.hasher = hasher
        var n = 16
        while n * 3 < capacity * 4 { n <<= 1 }
        slots = Array(repeating: 0, count: n)
        slotMask = n - 1
    }

    /// A table from its parts, as ``InternTable+Snapshot`` checked them. An empty `slots`
    /// rebuilds the hash slots from the entries.
    package init(arena: [UInt8], entries: [UInt64], slots: [UInt64], hasher: KeyHasher) {
        self.hasher = hasher
        self.arena = arena
        self.entries = entries
        if slots.isEmpty {
            var n = 16
            while n * 3 < (entries.count - 1) * 4 { n <<= 1 }
            self.slots = []
            slotMask = 0
            rehash(to: n)
        } else {
            self.slots = slots
            slotMask = slots.count - 1
        }
    }

    /// Number of entries.
    package var count: Int { entries.count - 1 }

    /// Largest tag an entry may carry (24 bits).
    package static let maxTag: UInt32 = (1 << 24) - 1

    /// The tag of entry `i` (the kind for values, 0 elsewhere).
    @inline(__always)
    package func tag(_ i: Int) -> UInt32 { UInt32(truncatingIfNeeded: entries[i] >> 40) }

    /// Where entry `i`'s bytes start in the arena.
    @inline(__always)
    package func start(_ i: Int) -> Int { Int(truncatingIfNeeded: entries[i] & 0xFF_FFFF_FFFF) }

    /// Prepares for `entries` more entries and `bytes` more arena bytes; with `prefault`, their
    /// memory is faulted in now (`Array.reserve(more:)`), else only advised for huge pages.
    package mutating func reserve(entries: Int, bytes: Int, prefault: Bool = true) {
        restoreSlots()
        if prefault {
            arena.reserve(more: bytes)
            self.entries.reserve(more: entries)
        } else {
            arena.reserveCapacity(arena.count + bytes)
            self.entries.reserveCapacity(self.entries.count + entries)
            adviseHugePages()
        }
        var n = slots.count
        while n * 3 < (count + entries) * 4 { n <<= 1 }
        if n != slots.count { rehash(to: n) }
    }

    /// Makes room for `n` more entry words without sizing the hash slots for them: address
    /// space only (nothing is touched), so that appends past an estimate do not copy the words.
    package mutating func reserveEntryWords(_ n: Int) {
        entries.reserveCapacity(entries.count + Swift.max(n, 0))
        HugePages.advise(&entries)
    }

    /// Frees the hash slots, keeping every entry and byte: for an owner done adding that needs
    /// the memory (8 bytes a slot, 1.3 to 2.7 slots per entry). A table with hints keeps them.
    package mutating func releaseSlots() {
        guard !slotsReleased, hints.isEmpty else { return }
        slots = [0]
        slotMask = 0
        slotsReleased = true
    }

    /// Rebuilds the slots that ``releaseSlots()`` freed (one pass over the entries, sized as a
    /// table grown to this count would be).
    package mutating func restoreSlots() {
        guard slotsReleased else { return }
        slotsReleased = false
        var n = 16
        while n * 3 < count * 4 { n <<= 1 }
        rehash(to: n)
    }

    /// Asks for huge pages behind the arena and entries (the slots get them when allocated).
    package mutating func adviseHugePages() {
        HugePages.advise(&arena)
        HugePages.advise(&entries)
    }

    /// The index of (`tag`, bytes), if present.
    package func find(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int) -> UInt32? {
        find(tag: tag, p, n, hash: hasher.hash(p, n, tag: tag))
    }

    /// ``find(tag:_:_:)`` with the hash already computed (by ``hasher``, on another thread).
    package func find(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int, hash h: UInt64) -> UInt32? {
        probe(tag: tag, p, n, hash: h).found
    }

    /// The index of (`tag`, bytes), inserting it if absent.
    ///
    /// - Throws: `limitExceeded` when the arena would pass 4 GiB or the table 2³² − 2 entries.
    /// - Precondition: `tag <= InternTable.maxTag` (owners register at most that many kinds).
    @inline(__always)
    package mutating func intern(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int) throws(IDRError) -> (index: UInt32, inserted: Bool) {
        try intern(tag: tag, p, n, hash: hasher.hash(p, n, tag: tag))
    }

    /// ``intern(tag:_:_:)`` with the hash already computed by ``hasher`` (elsewhere, e.g. on a
    /// parsing thread); a wrong hash would only make the entry unfindable, never merge two.
    @inline(__always)
    package mutating func intern(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int, hash h: UInt64) throws(IDRError) -> (index: UInt32, inserted: Bool) {
        // Released slots are rebuilt here, not by each owner's add path: one predictable test,
        // and no owner can add a duplicate entry (or rehash every entry into the one slot left).
        if slotsReleased { restoreSlots() }
        let (found, slot) = probe(tag: tag, p, n, hash: h)
        if let found { return (found, false) }
        guard arena.count &+ n <= Int(UInt32.max), count < Int(UInt32.max) - 1 else {
            throw IDRError(.limitExceeded, "interned data exceeds 4 GiB or 2^32 entries")
        }
        precondition(tag <= InternTable.maxTag, "tags are checked by the owner")
        let index = UInt32(count)
        entries[count] |= UInt64(tag) << 40
        if n > 0, let p {
            // Typed: Array appends a typed buffer with one copy, a raw one byte by byte through
            // the generic path (about 100 instructions per key or value, callgrind).
            arena.append(contentsOf: UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n))
        }
        entries.append(UInt64(arena.count))
        slots[slot] = (h >> 32) << 32 | UInt64(index &+ 1)
        if !hints.isEmpty { hints[slot] = InternTable.hint(start: start(Int(index)), value: InternTable.noHint) }
        if count * 4 > slots.count * 3 { rehash(to: slots.count * 2) }
        return (index, true)
    }

    /// The slot that a lookup with hash `h` starts at, and its hint word if hints are on: the
    /// lines to fetch ahead of that lookup (``CacheLines/prefetch()``, after this call).
    @inline(__always)
    package func slotLines(hash h: UInt64) -> CacheLines {
        let i = Int(truncatingIfNeeded: h) & slotMask
        // With hints, the add writes the hint beside the slot it fills or finds: without this
        // fetch that store missed the cache (half of `internValue`'s samples at 10M records).
        return CacheLines(slots.address(of: i), hints.isEmpty ? nil : hints.address(of: i))
    }

    /// The entry a lookup with hash `h` would compare first: the first slot on its probe path
    /// whose hash fragment matches (unconfirmed: the bytes are not compared), or `nil` when the
    /// path reaches an empty slot first. For batch pipelines, after the slot was fetched
    /// (``slotLines(hash:)``); they fetch the entry's word next (``entryLine(_:)``).
    @inline(__always)
    package func candidate(hash h: UInt64) -> Int? {
        guard let slot = candidateSlot(hash: h) else { return nil }
        return Int(truncatingIfNeeded: slots[slot] & 0xFFFF_FFFF) &- 1
    }

    /// The first slot on hash `h`'s probe path whose hash fragment matches, or `nil` when the
    /// path reaches an empty slot first.
    @inline(__always)
    func candidateSlot(hash h: UInt64) -> Int? {
        let fragment = h >> 32
        let mask = slotMask
        return slots.withUnsafeBufferPointer { s in
            var slot = Int(truncatingIfNeeded: h) & mask
            while true {
                let v = s[slot]
                if v == 0 { return nil }
                if v >> 32 == fragment { return slot }
                slot = (slot &+ 1) & mask
            }
        }
    }

    /// Entry `i`'s word (its start and tag), for a pass that will read it shortly: the line to
    /// fetch with ``CacheLines/prefetch()`` after this call (out of range: none).
    @inline(__always)
    package func entryLine(_ i: Int) -> CacheLines { CacheLines(entries.lineAddress(i)) }

    /// The first bytes of entry `i` (after its word was fetched, ``entryLine(_:)``): the line
    /// to fetch with ``CacheLines/prefetch()`` after this call (out of range: none).
    @inline(__always)
    package func bytesLine(_ i: Int) -> CacheLines {
        guard i >= 0, i < count else { return CacheLines(nil) }
        return CacheLines(arena.lineAddress(start(i)))
    }

    @inline(__always)
    private func probe(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int, hash h: UInt64) -> (found: UInt32?, slot: Int) {
        let fragment = h >> 32
        var slot = Int(truncatingIfNeeded: h) & slotMask
        return slots.withUnsafeBufferPointer { s in
            entries.withUnsafeBufferPointer { e in
                arena.withUnsafeBufferPointer { a in
                    while true {
                        let v = s[slot]
                        if v == 0 { return (nil, slot) }
                        if v >> 32 == fragment {
                            let i = Int(truncatingIfNeeded: v & 0xFFFF_FFFF) &- 1
                            let word = e[i]
                            let start = Int(truncatingIfNeeded: word & 0xFF_FFFF_FFFF)
                            let end = Int(truncatingIfNeeded: e[i &+ 1] & 0xFF_FFFF_FFFF)
                            if UInt32(truncatingIfNeeded: word >> 40) == tag, end &- start == n,
                               n == 0 || memcmpBytes(a.baseAddress! + start, p!.assumingMemoryBound(to: UInt8.self), n) {
                                return (UInt32(i), slot)
                            }
                        }
                        slot = (slot &+ 1) & slotMask
                    }
                }
            }
        }
    }

    private mutating func rehash(to n: Int) {
        var fresh = [UInt64](hugeRepeating: 0, count: n)
        let mask = n - 1
        // Hints move with their entries: gathered by entry first, since the entries are placed
        // in index order (a slot layout independent of the old table's).
        var kept = hints.isEmpty ? [] : hintsByEntry()
        var freshHints = hints.isEmpty ? [] : [UInt64](hugeRepeating: 0, count: n)
        arena.withUnsafeBytes { a in
            for i in 0..<count {
                let start = self.start(i)
                let h = hasher.hash(a.baseAddress.map { $0 + start }, self.start(i + 1) - start, tag: tag(i))
                var slot = Int(truncatingIfNeeded: h) & mask
                while fresh[slot] != 0 { slot = (slot + 1) & mask }
                fresh[slot] = (h >> 32) << 32 | UInt64(i + 1)
                if !kept.isEmpty { freshHints[slot] = kept[i] }
            }
        }
        kept = []
        slots = fresh
        hints = freshHints
        slotMask = mask
    }

    /// The tag of retired entries. Owners register far fewer kinds (at most 100,000 custom
    /// kinds), so no lookup can carry it and a retired entry is never found again.
    package static let retiredTag = maxTag

    /// Forgets entry `i`'s bytes (overwritten with zeros) and makes it unfindable; its index
    /// stays allocated. For erasure: the value must not survive in memory.
    package mutating func retire(_ i: Int) {
        let start = self.start(i), end = self.start(i + 1)
        for k in start..<end { arena[k] = 0 }
        entries[i] = (entries[i] & 0xFF_FFFF_FFFF) | UInt64(InternTable.retiredTag) << 40
    }

    /// Calls `body` with entry `i`'s bytes.
    @inline(__always)
    package func withBytes<R, E: Error>(at i: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let start = self.start(i)
        let end = self.start(i + 1)
        // `withUnsafeBytes` rethrows untyped errors; carry the typed one in a Result.
        let result: Result<R, E> = arena.withUnsafeBytes { all in
            Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: all[start..<end])) }
        }
        return try result.get()
    }

    /// Entry `i`'s bytes in place, valid until the table next changes: for work on them that
    /// calls into C (hashing), which inside ``withBytes(at:_:)`` on a table reached through an
    /// addressor made Swift copy the table (``CacheLines``).
    @inline(__always)
    package func unsafeBytes(at i: Int) -> UnsafeRawBufferPointer {
        let start = self.start(i), end = self.start(i + 1)
        return arena.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[start..<end]) }
    }

    /// Entry `i` as a string (bytes were validated as UTF-8 before interning).
    package func string(at i: Int) -> String {
        withBytes(at: i) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether entry `i`'s bytes sort before entry `j`'s (``InternKeys/bytesLess(_:_:)``).
    package func bytesLess(_ i: Int, _ j: Int) -> Bool {
        withKeys { $0.bytesLess(i, j) }
    }

    /// Entry `i`'s sort prefix (``InternKeys/sortPrefix(_:)``).
    package func sortPrefix(_ i: Int) -> UInt64 {
        withKeys { $0.sortPrefix(i) }
    }

    /// Bytes held, for memory accounting.
    package var byteCount: Int { arena.count + entries.count * 8 + slots.count * 8 + hints.count * 8 }
}
