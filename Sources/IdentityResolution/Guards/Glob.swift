#if canImport(Glibc)
import Glibc
#endif

/// Matches `text` against a glob `pattern` where `*` is any run of bytes and `?` one byte.
///
/// - Complexity: O(pattern × text) in the worst case; linear for a single `*`.
package func globMatches(_ pattern: UnsafeBufferPointer<UInt8>, _ text: UnsafeRawBufferPointer) -> Bool {
    let star = UInt8(ascii: "*"), any = UInt8(ascii: "?")
    var p = 0, t = 0
    var starAt = -1, resumeAt = 0
    while t < text.count {
        if p < pattern.count, pattern[p] == any || pattern[p] == text[t], pattern[p] != star {
            p += 1; t += 1
        } else if p < pattern.count, pattern[p] == star {
            starAt = p; resumeAt = t; p += 1
        } else if starAt >= 0 {
            p = starAt + 1; resumeAt += 1; t = resumeAt
        } else {
            return false
        }
    }
    while p < pattern.count, pattern[p] == star { p += 1 }
    return p == pattern.count
}

/// The literal parts of a glob pattern, found once so that most texts are rejected by their
/// length and a few bytes at either end: the placeholder guard matches every new value against
/// every pattern of its kind, and a pattern that starts with `*` made ``globMatches(_:_:)`` try
/// each position of the text (1 s of a 10M-record bulk resolve's parsing thread, perf).
package struct GlobShape: Sendable {
    /// Bytes before the first `*` (the whole pattern when it has none).
    let prefix: Int
    /// Bytes after the last `*` (0 when it has none).
    let suffix: Int
    /// Whether the pattern has a `*`.
    let hasStar: Bool
    /// How the part between the first and the last `*` is matched once the ends match.
    let middle: Middle

    /// The part between the literal ends.
    enum Middle: Sendable {
        /// Only stars (`prefix*`, `*suffix`, `a*b`): matching the ends decides.
        case none
        /// One literal run (pattern bytes `start ..< start + count`, no `?`) between the stars
        /// (`*@invalid.*`): a substring search of the text between the ends decides. Through
        /// ``globMatches(_:_:)`` such a pattern cost 243M instructions in a 1M-record bulk
        /// resolve (callgrind), the largest share of the placeholder check.
        case literal(start: Int, count: Int)
        /// Anything else: ``globMatches(_:_:)`` decides.
        case general
    }

    /// The shape of `pattern`.
    package init(_ pattern: UnsafeBufferPointer<UInt8>) {
        let star = UInt8(ascii: "*"), any = UInt8(ascii: "?")
        guard let first = pattern.firstIndex(of: star), let last = pattern.lastIndex(of: star) else {
            (prefix, suffix, hasStar, middle) = (pattern.count, 0, false, .none)
            return
        }
        (prefix, suffix, hasStar) = (first, pattern.count - last - 1, true)
        // Stars next to each other match what one star does: trim them off the inner run.
        var lo = first, hi = last
        while lo < hi, pattern[lo] == star { lo += 1 }
        while hi > lo, pattern[hi] == star { hi -= 1 }
        let inner = pattern[lo...hi]
        if inner.allSatisfy({ $0 == star }) {
            middle = .none
        } else if inner.allSatisfy({ $0 != star && $0 != any }) {
            middle = .literal(start: lo, count: inner.count)
        } else {
            middle = .general
        }
    }

    /// Whether `text` matches `pattern` (whose shape this is): the same answer as
    /// ``globMatches(_:_:)``.
    @inline(__always)
    package func matches(_ pattern: UnsafeBufferPointer<UInt8>, _ text: UnsafeRawBufferPointer) -> Bool {
        if !hasStar { return text.count == prefix && literalMatch(pattern, 0, text, 0, prefix) }
        guard text.count >= prefix + suffix, literalMatch(pattern, 0, text, 0, prefix),
              literalMatch(pattern, pattern.count - suffix, text, text.count - suffix, suffix)
        else { return false }
        switch middle {
        case .none: return true
        case .literal(let start, let n): return containsMiddle(pattern, start, n, text)
        case .general: return globMatches(pattern, text)
        }
    }

    /// Whether the text between its matched ends contains the pattern's `n` bytes from `start`.
    private func containsMiddle(_ pattern: UnsafeBufferPointer<UInt8>, _ start: Int, _ n: Int, _ text: UnsafeRawBufferPointer) -> Bool {
        let last = text.count - suffix - n
        guard last >= prefix else { return false }
        let t = text.baseAddress!, m = pattern.baseAddress! + start
        // The run's first byte by memchr, then the rest compared: runs and texts are short.
        var i = prefix
        while i <= last {
            guard let hit = memchr(t + i, Int32(m.pointee), last - i + 1) else { return false }
            let j = t.distance(to: UnsafeRawPointer(hit))
            if memcmp(t + j, m, n) == 0 { return true }
            i = j + 1
        }
        return false
    }

    /// Whether `n` bytes of `text` from `t` match `n` literal pattern bytes from `p` (`?` is any byte).
    @inline(__always)
    private func literalMatch(_ pattern: UnsafeBufferPointer<UInt8>, _ p: Int, _ text: UnsafeRawBufferPointer, _ t: Int, _ n: Int) -> Bool {
        let any = UInt8(ascii: "?")
        for k in 0..<n where pattern[p + k] != any && pattern[p + k] != text[t + k] { return false }
        return true
    }
}
