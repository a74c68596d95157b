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
