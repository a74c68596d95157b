import CXXHash

/// XXH3 from the system's libxxhash: the only hash function in idr.
public enum XXH3 {
    /// 64-bit XXH3 of `bytes` with `seed`.
    @inline(__always)
    public static func hash64(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        XXH3_64bits_withSeed(bytes.baseAddress, bytes.count, seed)
    }

    /// 64-bit XXH3 of a string's UTF-8 bytes.
    public static func hash64(_ string: String, seed: UInt64 = 0) -> UInt64 {
        var s = string
        return s.withUTF8 { hash64(UnsafeRawBufferPointer($0), seed: seed) }
    }

    /// 128-bit XXH3 of `bytes` with `seed`, as (high, low).
    public static func hash128(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> (high: UInt64, low: UInt64) {
        let h = XXH3_128bits_withSeed(bytes.baseAddress, bytes.count, seed)
        return (h.high64, h.low64)
    }
}

/// Hashes interned byte strings for the key tables.
///
/// In production it is plain XXH3-64 seeded with the kind. Tests build one that keeps only a few
/// bits, so that distinct values collide all the time: correctness must then come from the
/// byte comparison every table hit is confirmed by, never from the hash.
package struct KeyHasher: Sendable {
    /// Bits of the hash that are kept.
    package let mask: UInt64

    /// XXH3-64, full width.
    package init() { mask = .max }

    /// A hasher whose output has only `bits` significant bits: for collision tests.
    package static func truncated(toBits bits: Int) -> KeyHasher { KeyHasher(mask: bits >= 64 ? .max : (1 << UInt64(bits)) - 1) }

    private init(mask: UInt64) { self.mask = mask }

    /// The hash of `count` bytes at `p`, seeded with `tag` (the kind, or 0 for record keys).
    @inline(__always)
    package func hash(_ p: UnsafeRawPointer?, _ count: Int, tag: UInt32) -> UInt64 {
        XXH3_64bits_withSeed(p, count, UInt64(tag)) & mask
    }
}
