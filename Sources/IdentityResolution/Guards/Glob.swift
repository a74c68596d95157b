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

/// The literal ends of a glob pattern, found once so that most texts are rejected by their
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
    /// Whether everything between the literal ends is `*` (`prefix*`, `*suffix`, `a*b`): then
    /// matching the ends decides.
    let endsDecide: Bool

    /// The shape of `pattern`.
    package init(_ pattern: UnsafeBufferPointer<UInt8>) {
        let star = UInt8(ascii: "*")
        guard let first = pattern.firstIndex(of: star), let last = pattern.lastIndex(of: star) else {
            (prefix, suffix, hasStar, endsDecide) = (pattern.count, 0, false, true)
            return
        }
        (prefix, suffix, hasStar) = (first, pattern.count - last - 1, true)
        endsDecide = pattern[first...last].allSatisfy { $0 == star }
    }

    /// Whether `text` matches `pattern` (whose shape this is): the same answer as
    /// ``globMatches(_:_:)``.
    @inline(__always)
    package func matches(_ pattern: UnsafeBufferPointer<UInt8>, _ text: UnsafeRawBufferPointer) -> Bool {
        if !hasStar { return text.count == prefix && literalMatch(pattern, 0, text, 0, prefix) }
        guard text.count >= prefix + suffix, literalMatch(pattern, 0, text, 0, prefix),
              literalMatch(pattern, pattern.count - suffix, text, text.count - suffix, suffix)
        else { return false }
        return endsDecide || globMatches(pattern, text)
    }

    /// Whether `n` bytes of `text` from `t` match `n` literal pattern bytes from `p` (`?` is any byte).
    @inline(__always)
    private func literalMatch(_ pattern: UnsafeBufferPointer<UInt8>, _ p: Int, _ text: UnsafeRawBufferPointer, _ t: Int, _ n: Int) -> Bool {
        let any = UInt8(ascii: "?")
        for k in 0..<n where pattern[p + k] != any && pattern[p + k] != text[t + k] { return false }
        return true
    }
}
