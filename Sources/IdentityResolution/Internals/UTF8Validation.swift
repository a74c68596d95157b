/// UTF-8 validation over raw bytes, with an 8-bytes-at-a-time ASCII fast path.
///
/// Customer data is overwhelmingly ASCII, so the common case costs one load and one mask per
/// eight bytes; the first non-ASCII byte hands over to a full validator that is kept out of line.
@inline(__always)
package func isValidUTF8(_ base: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    var i = 0
    while i &+ 8 <= count {
        let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
        if word & 0x8080_8080_8080_8080 != 0 { return validateUTF8Slow(base, count, from: i) }
        i &+= 8
    }
    while i < count {
        if base[i] >= 0x80 { return validateUTF8Slow(base, count, from: i) }
        i &+= 1
    }
    return true
}

/// Full validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) from `start`.
@inline(never)
package func validateUTF8Slow(_ p: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Bool {
    var i = start
    @inline(__always) func continuation(_ j: Int) -> Bool { j < count && p[j] & 0xC0 == 0x80 }
    while i < count {
        let b = p[i]
        if b < 0x80 { i &+= 1; continue }
        switch b {
        case 0xC2...0xDF:
            guard continuation(i + 1) else { return false }
            i &+= 2
        case 0xE0:
            guard i + 1 < count, (0xA0...0xBF).contains(p[i + 1]), continuation(i + 2) else { return false }
            i &+= 3
        case 0xE1...0xEC, 0xEE, 0xEF:
            guard continuation(i + 1), continuation(i + 2) else { return false }
            i &+= 3
        case 0xED:
            guard i + 1 < count, (0x80...0x9F).contains(p[i + 1]), continuation(i + 2) else { return false }
            i &+= 3
        case 0xF0:
            guard i + 1 < count, (0x90...0xBF).contains(p[i + 1]), continuation(i + 2), continuation(i + 3)
            else { return false }
            i &+= 4
        case 0xF1...0xF3:
            guard continuation(i + 1), continuation(i + 2), continuation(i + 3) else { return false }
            i &+= 4
        case 0xF4:
            guard i + 1 < count, (0x80...0x8F).contains(p[i + 1]), continuation(i + 2), continuation(i + 3)
            else { return false }
            i &+= 4
        default:
            return false
        }
    }
    return true
}

/// Whether `b` is ASCII whitespace (space, tab, LF, VT, FF, CR): what normalization trims.
@inline(__always)
package func isASCIIWhitespace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

/// Whether `b` is a control byte that may not appear inside a value (0x00–0x1F, 0x7F).
@inline(__always)
package func isControlByte(_ b: UInt8) -> Bool { b < 0x20 || b == 0x7F }
