/// Tests on eight bytes at once (SWAR: a `UInt64` read from memory, byte 0 lowest), exact for
/// every byte: each mask has the high bit of a byte set where that byte passes, and no carry or
/// borrow crosses into the next byte (the tests add to 7-bit halves only).
///
/// Why: the normalizers looked at one byte at a time, 8–10 instructions per byte, and
/// normalization was a fifth of a bulk resolve's instructions (callgrind, 1M records).
package enum ByteWords {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080
    @usableFromInline static let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// The eight bytes at `p` (any alignment).
    @inline(__always)
    package static func load(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
    }

    /// Writes `w`'s eight bytes at `p` (any alignment).
    @inline(__always)
    package static func store(_ w: UInt64, _ p: UnsafeMutablePointer<UInt8>) {
        UnsafeMutableRawPointer(p).storeBytes(of: w.littleEndian, as: UInt64.self)
    }

    /// Bytes equal to `b`.
    @inline(__always)
    package static func equal(_ w: UInt64, _ b: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(b))
        return ~(((x & lows) &+ lows) | x) & highs
    }

    /// Bytes below `n` (`n` at most 0x80).
    @inline(__always)
    package static func less(_ w: UInt64, _ n: UInt8) -> UInt64 {
        ~(((w & lows) &+ ones &* UInt64(0x80 &- n)) | w) & highs
    }

    /// Bytes in `lo ... hi` (`hi` below 0x80).
    @inline(__always)
    package static func inRange(_ w: UInt64, _ lo: UInt8, _ hi: UInt8) -> UInt64 {
        less(w, hi &+ 1) & ~less(w, lo)
    }

    /// Control bytes: 0x00–0x1F and 0x7F (``isControlByte(_:)``).
    @inline(__always)
    package static func control(_ w: UInt64) -> UInt64 { less(w, 0x20) | equal(w, 0x7F) }

    /// `w` with ASCII `A`–`Z` lowered (``Normalizer/lower(_:)`` on each byte).
    @inline(__always)
    package static func lowercased(_ w: UInt64) -> UInt64 { w | (inRange(w, 0x41, 0x5A) >> 2) }

    /// ASCII digits and `a`–`f`.
    @inline(__always)
    package static func lowerHex(_ w: UInt64) -> UInt64 { inRange(w, 0x30, 0x39) | inRange(w, 0x61, 0x66) }

    /// The index of the mask's lowest byte that passed (the mask is not 0).
    @inline(__always)
    package static func firstIndex(_ mask: UInt64) -> Int { mask.trailingZeroBitCount >> 3 }

    /// The index of the mask's highest byte that passed (the mask is not 0).
    @inline(__always)
    package static func lastIndex(_ mask: UInt64) -> Int { (63 &- mask.leadingZeroBitCount) >> 3 }
}
