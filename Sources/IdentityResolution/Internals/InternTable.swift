/// Interns tagged byte strings to dense `UInt32` indices, storing all bytes in one arena.
///
/// Open addressing with linear probing. A slot holds the high 32 bits of the hash and the
/// entry index + 1 (0 marks an empty slot), so most misses are rejected without touching the
/// arena. A hit is always confirmed by comparing tag and bytes: two different strings never
/// share an index, whatever the hash does.
package struct InternTable: Sendable {
    /// All interned bytes, back to back.
    package private(set) var arena: [UInt8] = []
    /// `starts[i] ..< starts[i + 1]` are entry `i`'s bytes; `starts[0] == 0`.
    package private(set) var starts: [UInt32] = [0]
    /// The tag of each entry (the kind for values, 0 elsewhere).
    package private(set) var tags: [UInt32] = []
    private var slots: [UInt64]
    private var slotMask: Int
    package let hasher: KeyHasher

    /// An empty table sized for about `capacity` entries.
    package init(hasher: KeyHasher = KeyHasher(), capacity: Int = 16) {
        self.hasher = hasher
        var n = 16
        while n * 3 < capacity * 4 { n <<= 1 }
        slots = Array(repeating: 0, count: n)
        slotMask = n - 1
    }

    /// Number of entries.
    package var count: Int { tags.count }

    /// Prepares for `entries` more entries and `bytes` more arena bytes.
    package mutating func reserve(entries: Int, bytes: Int) {
        arena.reserveCapacity(arena.count + bytes)
        starts.reserveCapacity(starts.count + entries)
        tags.reserveCapacity(tags.count + entries)
        var n = slots.count
        while n * 3 < (count + entries) * 4 { n <<= 1 }
        if n != slots.count { rehash(to: n) }
    }

    /// The index of (`tag`, bytes), if present.
    package func find(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int) -> UInt32? {
        let h = hasher.hash(p, n, tag: tag)
        return probe(tag: tag, p, n, hash: h).found
    }

    /// The index of (`tag`, bytes), inserting it if absent.
    ///
    /// - Throws: `limitExceeded` when the arena would pass 4 GiB or the table 2³² − 2 entries.
    @inline(__always)
    package mutating func intern(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int) throws(IDRError) -> (index: UInt32, inserted: Bool) {
        let h = hasher.hash(p, n, tag: tag)
        let (found, slot) = probe(tag: tag, p, n, hash: h)
        if let found { return (found, false) }
        guard arena.count &+ n <= Int(UInt32.max), count < Int(UInt32.max) - 1 else {
            throw IDRError(.limitExceeded, "interned data exceeds 4 GiB or 2^32 entries")
        }
        let index = UInt32(count)
        if n > 0, let p {
            arena.append(contentsOf: UnsafeRawBufferPointer(start: p, count: n))
        }
        starts.append(UInt32(arena.count))
        tags.append(tag)
        slots[slot] = (h >> 32) << 32 | UInt64(index &+ 1)
        if count * 4 > slots.count * 3 { rehash(to: slots.count * 2) }
        return (index, true)
    }

    @inline(__always)
    private func probe(tag: UInt32, _ p: UnsafeRawPointer?, _ n: Int, hash h: UInt64) -> (found: UInt32?, slot: Int) {
        let fragment = h >> 32
        var slot = Int(truncatingIfNeeded: h) & slotMask
        return slots.withUnsafeBufferPointer { s in
            arena.withUnsafeBufferPointer { a in
                while true {
                    let v = s[slot]
                    if v == 0 { return (nil, slot) }
                    if v >> 32 == fragment {
                        let i = Int(truncatingIfNeeded: v & 0xFFFF_FFFF) &- 1
                        let start = Int(starts[i])
                        if tags[i] == tag, Int(starts[i &+ 1]) &- start == n,
                           n == 0 || memcmpBytes(a.baseAddress! + start, p!.assumingMemoryBound(to: UInt8.self), n) {
                            return (UInt32(i), slot)
                        }
                    }
                    slot = (slot &+ 1) & slotMask
                }
            }
        }
    }

    private mutating func rehash(to n: Int) {
        var fresh = [UInt64](repeating: 0, count: n)
        let mask = n - 1
        arena.withUnsafeBytes { a in
            for i in 0..<count {
                let start = Int(starts[i])
                let h = hasher.hash(a.baseAddress.map { $0 + start }, Int(starts[i + 1]) - start, tag: tags[i])
                var slot = Int(truncatingIfNeeded: h) & mask
                while fresh[slot] != 0 { slot = (slot + 1) & mask }
                fresh[slot] = (h >> 32) << 32 | UInt64(i + 1)
            }
        }
        slots = fresh
        slotMask = mask
    }

    /// Calls `body` with entry `i`'s bytes.
    @inline(__always)
    package func withBytes<R, E: Error>(at i: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let start = Int(starts[i])
        let end = Int(starts[i + 1])
        // `withUnsafeBytes` rethrows untyped errors; carry the typed one in a Result.
        let result: Result<R, E> = arena.withUnsafeBytes { all in
            Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: all[start..<end])) }
        }
        return try result.get()
    }

    /// Entry `i` as a string (bytes were validated as UTF-8 before interning).
    package func string(at i: Int) -> String {
        withBytes(at: i) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether entry `i`'s bytes sort before entry `j`'s (bytewise, shorter prefix first).
    package func bytesLess(_ i: Int, _ j: Int) -> Bool {
        arena.withUnsafeBufferPointer { a in
            let si = Int(starts[i]), ei = Int(starts[i + 1])
            let sj = Int(starts[j]), ej = Int(starts[j + 1])
            let n = min(ei - si, ej - sj)
            var k = 0
            while k < n {
                let x = a[si + k], y = a[sj + k]
                if x != y { return x < y }
                k += 1
            }
            return ei - si < ej - sj
        }
    }

    /// Bytes held, for memory accounting.
    package var byteCount: Int { arena.count + starts.count * 4 + tags.count * 4 + slots.count * 8 }
}
