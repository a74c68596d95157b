import CXXHash

/// A read-only view of an intern table's entries through plain pointers, for passes that read
/// millions of entries, possibly from two threads: no array access, retain or exclusivity
/// check per entry. Valid only inside ``InternTable/withKeys(_:)``.
package struct InternKeys: @unchecked Sendable {
    // Unchecked: the pointers are only read, and the table cannot change while the view lives
    // (its owner is inside `withKeys`).
    let entries: UnsafePointer<UInt64>
    let arena: UnsafePointer<UInt8>

    /// Where entry `i`'s bytes start in the arena.
    @inline(__always)
    package func start(_ i: Int) -> Int { Int(truncatingIfNeeded: entries[i] & 0xFF_FFFF_FFFF) }

    /// Entry `i`'s bytes.
    @inline(__always)
    package func bytes(_ i: Int) -> UnsafeRawBufferPointer {
        let s = start(i)
        return UnsafeRawBufferPointer(start: arena + s, count: start(i + 1) - s)
    }

    /// Entry `i`'s first 8 bytes, big-endian, zero-padded: when two entries' prefixes differ,
    /// they order the entries as ``bytesLess(_:_:)`` does (a shorter entry pads with 0, the
    /// smallest byte), so a comparison needs the bytes only on a tie.
    @inline(__always)
    func sortPrefix(_ i: Int) -> UInt64 {
        let s = start(i), n = min(start(i + 1) - s, 8)
        var p: UInt64 = 0
        for k in 0..<n { p |= UInt64(arena[s + k]) << UInt64(56 - 8 * k) }
        return p
    }

    /// Whether entry `i`'s bytes sort before entry `j`'s (bytewise, shorter prefix first).
    func bytesLess(_ i: Int, _ j: Int) -> Bool {
        let a = bytes(i), b = bytes(j)
        let n = min(a.count, b.count)
        var k = 0
        while k < n {
            if a[k] != b[k] { return a[k] < b[k] }
            k += 1
        }
        return a.count < b.count
    }

    /// Asks the CPU to fetch entry `i`'s word.
    @inline(__always)
    func prefetchEntry(_ i: Int) { idr_prefetch(entries + i) }

    /// Asks the CPU to fetch entry `i`'s first bytes (its word should be cached already).
    @inline(__always)
    func prefetchBytes(_ i: Int) { idr_prefetch(arena + start(i)) }
}

extension InternTable {
    /// Calls `body` with a pointer view of the entries; the table must not change meanwhile.
    package func withKeys<R>(_ body: (InternKeys) -> R) -> R {
        entries.withUnsafeBufferPointer { e in
            arena.withUnsafeBufferPointer { a in
                // An empty arena may have no storage; no entry then has bytes to read.
                var none: UInt8 = 0
                return withUnsafePointer(to: &none) { empty in
                    body(InternKeys(entries: e.baseAddress!, arena: a.baseAddress ?? empty))
                }
            }
        }
    }
}
