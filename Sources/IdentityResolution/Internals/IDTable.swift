import CXXHash

/// Entity ID → entity slot: open addressing with linear probing over two flat arrays.
///
/// Entity IDs are XXH3 outputs and never 0, so an ID's low bits are its home slot and 0 marks
/// an empty slot. Flat arrays instead of a `Dictionary` because a snapshot stores them as they
/// are and a load copies them back (a `Dictionary` of 10M IDs took seconds to rebuild), and
/// because no per-process hash seed is involved.
package struct IDTable: Sendable {
    /// The ID in each slot (0: empty).
    package private(set) var keys: [UInt64]
    /// The entity slot of each occupied slot.
    package private(set) var slots: [UInt32]
    private var mask: Int
    /// Number of IDs held.
    package private(set) var count = 0

    /// An empty table.
    package init() {
        keys = Array(repeating: 0, count: 16)
        slots = Array(repeating: 0, count: 16)
        mask = 15
    }

    /// A table from stored arrays, checked: a power-of-two size of at least 16, at most 3/4 full,
    /// and every entity slot below `slotCount`. Returns nil when they are not a valid table.
    /// (Whether each ID sits where its probe finds it is not checked: a misplaced ID would only
    /// be missed by lookups.)
    package init?(keys: [UInt64], slots: [UInt32], slotCount: Int) {
        let n = keys.count
        guard n >= 16, n & (n - 1) == 0, slots.count == n else { return nil }
        var held = 0
        for i in 0..<n where keys[i] != 0 {
            guard Int(slots[i]) < slotCount else { return nil }
            held += 1
        }
        guard held * 4 <= n * 3 else { return nil }
        self.keys = keys
        self.slots = slots
        mask = n - 1
        count = held
    }

    /// The slot of `id`, if held.
    package subscript(id: UInt64) -> UInt32? {
        guard id != 0 else { return nil }
        var i = Int(truncatingIfNeeded: id) & mask
        while true {
            let k = keys[i]
            if k == id { return slots[i] }
            if k == 0 { return nil }
            i = (i &+ 1) & mask
        }
    }

    /// The home slot of `id` (its key and slot words): the lines an insert to come touches,
    /// to fetch with ``CacheLines/prefetch()`` after this call.
    @inline(__always)
    package func lines(id: UInt64) -> CacheLines {
        let i = Int(truncatingIfNeeded: id) & mask
        return CacheLines(keys.address(of: i), slots.address(of: i))
    }

    /// Adds `id` (not 0, not held) → `slot`.
    package mutating func insert(_ id: UInt64, slot: UInt32) {
        precondition(id != 0, "entity IDs are never 0")
        if (count + 1) * 4 > keys.count * 3 { grow(to: keys.count * 2) }
        var i = Int(truncatingIfNeeded: id) & mask
        while keys[i] != 0 { i = (i &+ 1) & mask }
        keys[i] = id
        slots[i] = slot
        count += 1
    }

    /// Prepares for `n` more IDs.
    package mutating func reserve(_ n: Int) {
        var size = keys.count
        while (count + n) * 4 > size * 3 { size *= 2 }
        // Straight to the final size: doubling allocated and filled every smaller size on the way.
        if size != keys.count { grow(to: size) }
    }

    /// Every ID held, in table order.
    package var ids: [UInt64] { keys.filter { $0 != 0 } }

    private mutating func grow(to n: Int) {
        let oldKeys = keys, oldSlots = slots
        // Huge pages: every new entity inserts its ID at a random slot, and with 4 KiB pages
        // each insert also missed the TLB (a quarter of an add's prefetch stalls at 10M records).
        keys = [UInt64](hugeRepeating: 0, count: n)
        slots = [UInt32](hugeRepeating: 0, count: n)
        mask = n - 1
        for i in oldKeys.indices where oldKeys[i] != 0 {
            var j = Int(truncatingIfNeeded: oldKeys[i]) & mask
            while keys[j] != 0 { j = (j &+ 1) & mask }
            keys[j] = oldKeys[i]
            slots[j] = oldSlots[i]
        }
    }
}
