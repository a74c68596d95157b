/// Placeholder values: junk that stands in for a missing identifier and must never link.
///
/// A value is a placeholder when its normalized form is in the built-in list for its kind or in
/// the user's list, matches a built-in or user glob pattern, or has a built-in junk shape
/// (a phone number of one repeated digit after its country code; a token of one repeated
/// character). Placeholders are kept on their records (explanations can name them) but link
/// nothing, and lookups do not find them.
package struct PlaceholderGuard: Sendable {
    private var values: InternTable
    /// Glob patterns, back to back in one buffer (`patternBytes[start..<end]`): the check runs
    /// once per new value, and one array of arrays cost a retain and release per pattern.
    /// Sorted by kind; `patternKinds` gives each kind's run.
    private var patterns: [Pattern] = []
    private var patternBytes: [UInt8] = []
    private var patternKinds: [(kind: UInt32, range: Range<Int>, masks: Int)] = []
    /// For each kind run of at most 64 patterns, 257 words from its `masks` offset: bit `i` of
    /// word `b` is set when the run's `i`-th pattern may match a text whose first byte
    /// (``firstMasks``) or last byte (``lastMasks``) is `b`; word 256 stands for an empty text.
    /// A value is compared only with the patterns both its ends allow: most emails end in `m`
    /// and start with a letter few patterns start with, and visiting every pattern to test its
    /// ends was 170 instructions per email (callgrind, 1M-record bulk resolve).
    private var firstMasks: [UInt64] = []
    private var lastMasks: [UInt64] = []
    /// The most patterns of one kind the masks cover; a kind with more visits each pattern.
    private static let maskedPatterns = 64

    /// A pattern and the bytes a text must start and end with to match it (-1: any), tested
    /// before anything else: most values differ from most patterns in their first or last
    /// byte, and each of the 14 built-in email patterns was compared in full for every email
    /// value (the check's own instructions fell from 549 to 395 per row with this filter and
    /// the kind groups, callgrind, 1M-record bulk resolve).
    private struct Pattern {
        var kind: UInt32
        var start: Int
        var end: Int
        var shape: GlobShape
        var first: Int16
        var last: Int16
    }
    private let builtInShapes: Bool

    /// Built-in placeholder values per rule, written raw and normalized by the kind's rule.
    package static let builtInValues: [(NormalizationRule, [String])] = [
        (.email, [
            "test@test.com", "test@example.com", "noemail@noemail.com", "none@none.com", "no@email.com",
            "na@na.com", "null@null.com", "email@email.com", "abc@abc.com", "asdf@asdf.com", "a@a.com",
            "x@x.com", "xxx@xxx.com", "noreply@noreply.com", "unknown@unknown.com", "no@no.com",
            "nomail@nomail.com", "test@test.test", "user@domain.com", "name@domain.com",
        ]),
        (.phone, ["1234567890", "0123456789", "9876543210", "1234567", "+1234567890"]),
        (.token, ["N/A", "NA", "NULL", "NONE", "UNKNOWN", "NIL", "TEST", "UNDEFINED", "#N/A", "(NULL)", "123456789", "0"]),
        (.deviceID, ["unknown", "null", "none", "n/a", "undefined", "test", "(null)", "nil",
                     "idfa", "advertisingid", "not available"]),
        (.caseFolded, ["n/a", "null", "none", "unknown", "undefined", "test", "nil", "(null)", "#n/a"]),
        (.exact, ["N/A", "n/a", "NULL", "null", "None", "none", "UNKNOWN", "unknown", "undefined", "(null)", "#N/A"]),
    ]

    /// Built-in glob patterns per rule, matched against normalized values.
    package static let builtInPatterns: [(NormalizationRule, [String])] = [
        (.email, ["noemail@*", "no-email@*", "nomail@*", "none@*", "noreply@*", "no-reply@*",
                  "donotreply@*", "do-not-reply@*", "*@noemail.com", "*@nomail.com", "*@none.com",
                  "test@test.*", "*@invalid", "*@invalid.*"]),
    ]

    /// A guard that matches nothing (a placeholder while the real one is built).
    package init(hasher: KeyHasher) {
        values = InternTable(hasher: hasher, capacity: 16)
        builtInShapes = false
    }

    /// Builds the guard for the registered kinds (`rules[kind]`), normalizing every listed value.
    package init(
        kinds: [(kind: UInt32, rule: NormalizationRule)], configuration c: ResolverConfiguration,
        normalizer: Normalizer, hasher: KeyHasher
    ) throws(IDRError) {
        values = InternTable(hasher: hasher, capacity: 256)
        builtInShapes = c.builtInPlaceholders
        let scratchCapacity = c.limits.maxValueLength + Normalizer.outputSlack
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: scratchCapacity)
        defer { scratch.deallocate() }

        func add(_ kind: UInt32, _ rule: NormalizationRule, _ raw: String) throws(IDRError) {
            var raw = raw
            let outcome = raw.withUTF8 { normalizer.normalize(UnsafeRawBufferPointer($0), rule: rule, into: scratch) }
            if case .valid(let n) = outcome { _ = try values.intern(tag: kind, scratch, n) }
        }
        for (kind, rule) in kinds where c.builtInPlaceholders {
            for (r, list) in PlaceholderGuard.builtInValues where r == rule {
                for raw in list { try add(kind, rule, raw) }
            }
            for (r, list) in PlaceholderGuard.builtInPatterns where r == rule {
                for p in list { addPattern(kind, p.utf8) }
            }
        }
        for id in c.placeholderValues {
            guard let rule = kinds.first(where: { $0.kind == id.kind.rawValue })?.rule else {
                throw IDRError(.unknownKind, "placeholder value for unregistered kind \(id.kind)")
            }
            try add(id.kind.rawValue, rule, id.value)
        }
        for id in c.placeholderPatterns {
            guard let rule = kinds.first(where: { $0.kind == id.kind.rawValue })?.rule else {
                throw IDRError(.unknownKind, "placeholder pattern for unregistered kind \(id.kind)")
            }
            // Patterns are mapped like the kind's values: case, and for tokens no spaces or hyphens.
            let kept = id.value.utf8.filter { rule != .token || ($0 != 0x20 && $0 != 0x2D) }
            let mapped: [UInt8] = kept.map { b in
                switch rule {
                case .email, .deviceID, .caseFolded: Normalizer.lower(b)
                case .token: Normalizer.upper(b)
                case .phone, .exact: b
                }
            }
            addPattern(id.kind.rawValue, mapped)
        }
    }

    /// Registers the built-in placeholders of a kind registered after creation.
    package mutating func addKind(_ kind: UInt32, rule: NormalizationRule, normalizer: Normalizer) throws(IDRError) {
        guard builtInShapes else { return }
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
        defer { scratch.deallocate() }
        for (r, list) in PlaceholderGuard.builtInValues where r == rule {
            for raw in list {
                var raw = raw
                let outcome = raw.withUTF8 { normalizer.normalize(UnsafeRawBufferPointer($0), rule: rule, into: scratch) }
                if case .valid(let n) = outcome { _ = try values.intern(tag: kind, scratch, n) }
            }
        }
        for (r, list) in PlaceholderGuard.builtInPatterns where r == rule {
            for p in list { addPattern(kind, p.utf8) }
        }
    }

    private mutating func addPattern(_ kind: UInt32, _ bytes: some Sequence<UInt8>) {
        let start = patternBytes.count
        patternBytes.append(contentsOf: bytes)
        let end = patternBytes.count
        let shape = patternBytes.withUnsafeBufferPointer { GlobShape(UnsafeBufferPointer(rebasing: $0[start...])) }
        // A literal end byte, unless that end is a star or `?`.
        func literal(_ i: Int, _ exists: Bool) -> Int16 {
            exists && patternBytes[i] != UInt8(ascii: "?") ? Int16(patternBytes[i]) : -1
        }
        let first = literal(start, shape.prefix > 0)
        let last = literal(end - 1, shape.hasStar ? shape.suffix > 0 : end > start)
        patterns.append(Pattern(kind: kind, start: start, end: end, shape: shape, first: first, last: last))
        // Set-up only: keep the patterns grouped by kind (the order within a kind is immaterial).
        patterns.sort { $0.kind < $1.kind }
        patternKinds = []
        firstMasks = []
        lastMasks = []
        var i = 0
        while i < patterns.count {
            var j = i + 1
            while j < patterns.count, patterns[j].kind == patterns[i].kind { j += 1 }
            patternKinds.append((patterns[i].kind, i..<j, firstMasks.count))
            if j - i <= PlaceholderGuard.maskedPatterns { addMasks(i..<j) }
            i = j
        }
    }

    /// Appends the first-byte and last-byte masks of the patterns `run` (``firstMasks``).
    private mutating func addMasks(_ run: Range<Int>) {
        var first = [UInt64](repeating: 0, count: 257), last = [UInt64](repeating: 0, count: 257)
        for (bit, p) in patterns[run].enumerated() {
            // An empty text (word 256) has no byte: only a pattern with no literal end may match it.
            for b in 0..<256 where p.first < 0 || Int(p.first) == b { first[b] |= 1 << UInt64(bit) }
            for b in 0..<256 where p.last < 0 || Int(p.last) == b { last[b] |= 1 << UInt64(bit) }
            if p.first < 0 { first[256] |= 1 << UInt64(bit) }
            if p.last < 0 { last[256] |= 1 << UInt64(bit) }
        }
        firstMasks.append(contentsOf: first)
        lastMasks.append(contentsOf: last)
    }

    /// Whether `v` matches one of `kind`'s patterns.
    @inline(__always)
    private func matchesPattern(kind: UInt32, _ v: UnsafeRawBufferPointer) -> Bool {
        guard let group = patternKinds.first(where: { $0.kind == kind }) else { return false }
        let run = group.range
        if run.count <= PlaceholderGuard.maskedPatterns {
            let f = v.count > 0 ? Int(v[0]) : 256, l = v.count > 0 ? Int(v[v.count - 1]) : 256
            var candidates = firstMasks[group.masks + f] & lastMasks[group.masks + l]
            guard candidates != 0 else { return false }
            return patterns.withUnsafeBufferPointer { list in
                patternBytes.withUnsafeBufferPointer { all in
                    while candidates != 0 {
                        let p = list[run.lowerBound + candidates.trailingZeroBitCount]
                        candidates &= candidates &- 1
                        if p.shape.matches(UnsafeBufferPointer(rebasing: all[p.start..<p.end]), v) { return true }
                    }
                    return false
                }
            }
        }
        // -2 for an empty value: no byte, so no pattern with a literal end matches it.
        let first = v.count > 0 ? Int16(v[0]) : -2, last = v.count > 0 ? Int16(v[v.count - 1]) : -2
        return patterns.withUnsafeBufferPointer { list in
            patternBytes.withUnsafeBufferPointer { all in
                for i in run {
                    let p = list[i]
                    if p.first >= 0, p.first != first { continue }
                    if p.last >= 0, p.last != last { continue }
                    if p.shape.matches(UnsafeBufferPointer(rebasing: all[p.start..<p.end]), v) { return true }
                }
                return false
            }
        }
    }

    /// Whether the normalized value `v` of `kind` (rule `rule`) is a placeholder. `hash` is
    /// `v`'s hash with tag `kind` by the hasher this guard was built with (the kind registry's),
    /// when the caller has it already.
    @inline(__always)
    package func isPlaceholder(kind: UInt32, rule: NormalizationRule, _ v: UnsafeRawBufferPointer, hash: UInt64? = nil) -> Bool {
        if values.count > 0 {
            let found = hash.map { values.find(tag: kind, v.baseAddress, v.count, hash: $0) } ?? values.find(tag: kind, v.baseAddress, v.count)
            if found != nil { return true }
        }
        if matchesPattern(kind: kind, v) { return true }
        guard builtInShapes else { return false }
        switch rule {
        case .phone: return PlaceholderGuard.isRepeatedDigitPhone(v)
        case .token: return PlaceholderGuard.isOneRepeatedByte(v)
        default: return false
        }
    }

    /// `+` then 1–3 country-code digits then one digit repeated (`+10000000000`, `+445555555555`).
    static func isRepeatedDigitPhone(_ v: UnsafeRawBufferPointer) -> Bool {
        guard v.count >= 8 else { return false }
        let last = v[v.count - 1]
        var i = v.count - 1
        while i > 1, v[i - 1] == last { i -= 1 }
        // Digits v[i...] are all `last`; at most 3 digits (v[1..<i]) may form the country code.
        return i - 1 <= 3 && v.count - i >= 6
    }

    static func isOneRepeatedByte(_ v: UnsafeRawBufferPointer) -> Bool {
        guard let first = v.first, v.count >= 2 else { return false }
        return v.allSatisfy { $0 == first }
    }
}
