/// String comparators for attribute matching (names, streets), over bytes of normalized ASCII.
///
/// Used by the bulk resolver's fuzzy matching (``FuzzyMatching``).
public enum StringSimilarity {
    /// Jaro similarity in 0…1 (1: equal). Matching window: `max(|a|, |b|) / 2 − 1`.
    public static func jaro(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Double {
        let n = a.count, m = b.count
        if n == 0 && m == 0 { return 1 }
        if n == 0 || m == 0 { return 0 }
        let window = max(0, max(n, m) / 2 - 1)
        // Matched flags on the stack for short strings (names), on the heap otherwise.
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: n + m) { flags in
            flags.initialize(repeating: false)
            var matches = 0
            for i in 0..<n {
                let lo = max(0, i - window), hi = min(m - 1, i + window)
                guard lo <= hi else { continue }
                for j in lo...hi where !flags[n + j] && a[i] == b[j] {
                    flags[i] = true
                    flags[n + j] = true
                    matches += 1
                    break
                }
            }
            guard matches > 0 else { return 0 }
            // Transpositions: matched characters of a and b, in order, that differ (halved).
            var k = 0, halfTranspositions = 0
            for i in 0..<n where flags[i] {
                while !flags[n + k] { k += 1 }
                if a[i] != b[k] { halfTranspositions += 1 }
                k += 1
            }
            let mm = Double(matches)
            return (mm / Double(n) + mm / Double(m) + (mm - Double(halfTranspositions / 2)) / mm) / 3
        }
    }

    /// Jaro-Winkler similarity: Jaro raised for a common prefix of up to 4 bytes, with scaling
    /// factor `p` (0.1 by default, at most 0.25 so the result stays within 0…1).
    public static func jaroWinkler(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, prefixScale p: Double = 0.1) -> Double {
        let j = jaro(a, b)
        var prefix = 0
        while prefix < min(4, a.count, b.count), a[prefix] == b[prefix] { prefix += 1 }
        return j + Double(prefix) * min(p, 0.25) * (1 - j)
    }

    /// Damerau-Levenshtein distance in its optimal-string-alignment form (insertions, deletions,
    /// substitutions, transpositions of adjacent bytes; no substring edited twice), or
    /// `limit + 1` as soon as it must exceed `limit` (comparisons only care about small distances).
    public static func damerauLevenshtein(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, limit: Int = .max) -> Int {
        let n = a.count, m = b.count
        if abs(n - m) > limit { return limit == .max ? max(n, m) : limit + 1 }
        if n == 0 { return m }
        if m == 0 { return n }
        // Three rows of the dynamic programme: two back (transpositions), one back, current.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * (m + 1)) { rows in
            var back2 = 0, back1 = m + 1, current = 2 * (m + 1)
            for j in 0...m { rows[back1 + j] = j }
            for i in 1...n {
                rows[current] = i
                var rowMin = i
                for j in 1...m {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var d = min(rows[back1 + j] + 1, rows[current + j - 1] + 1, rows[back1 + j - 1] + cost)
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, rows[back2 + j - 2] + 1) }
                    rows[current + j] = d
                    rowMin = min(rowMin, d)
                }
                if limit != .max, rowMin > limit { return limit + 1 }
                (back2, back1, current) = (back1, current, back2)
            }
            let d = rows[back1 + m]
            return limit != .max && d > limit ? limit + 1 : d
        }
    }
}

extension StringSimilarity {
    /// ``jaroWinkler(_:_:prefixScale:)`` of two strings' UTF-8 bytes.
    public static func jaroWinkler(_ a: String, _ b: String) -> Double {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in jaroWinkler(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y)) } }
    }

    /// ``damerauLevenshtein(_:_:limit:)`` of two strings' UTF-8 bytes.
    public static func damerauLevenshtein(_ a: String, _ b: String, limit: Int = .max) -> Int {
        var a = a, b = b
        return a.withUTF8 { x in b.withUTF8 { y in damerauLevenshtein(UnsafeRawBufferPointer(x), UnsafeRawBufferPointer(y), limit: limit) } }
    }
}
