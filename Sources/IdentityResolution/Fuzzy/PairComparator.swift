/// How closely two records agree on one attribute.
public enum ComparisonLevel: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// One side or both lack the attribute: no evidence either way (weight 0).
    case missing = 0
    /// Equal after normalization.
    case exact = 1
    /// A small difference: a typo, a transposition, a swapped day and month, a nearby postcode.
    case close = 2
    /// A larger but telling difference: a name within Jaro-Winkler 0.70, an initial, the same
    /// birth day in another year, the same postcode area, the same street number.
    case far = 3
    /// Different.
    case different = 4

    /// Lowercase name used in statistics and explanations.
    public var description: String {
        switch self {
        case .missing: "missing"
        case .exact: "exact"
        case .close: "close"
        case .far: "far"
        case .different: "different"
        }
    }
}

/// Compares two records' attributes into a pattern of four comparisons, 4 bits each (its
/// ``ComparisonLevel``): first name, last name, date of birth, and location (address, postcode
/// and city together: they move together, and counting them as three independent agreements
/// would make a household look like one person).
struct PairComparator {
    let bytes: UnsafePointer<UInt8>
    let slots: UnsafePointer<UInt64>

    static let attributes = IdentifierKind.attributeCount
    /// Comparisons in a pattern.
    static let comparisons = 4
    /// Their names, in pattern order.
    static let comparisonNames = ["first_name", "last_name", "dob", "location"]

    @inline(__always)
    func value(_ r: Int, _ a: Int) -> UnsafeRawBufferPointer? {
        let s = slots[r * Self.attributes + a]
        guard s != 0 else { return nil }
        return UnsafeRawBufferPointer(start: bytes + Int(s >> 8), count: Int(s & 0xFF))
    }

    /// The comparison pattern of records `a` and `b` (symmetric: the same for `b`, `a`).
    func pattern(_ a: Int, _ b: Int) -> UInt32 {
        // Names: the better of the given order and the swapped one (a form filled in backwards).
        let fa = value(a, 0), la = value(a, 1), fb = value(b, 0), lb = value(b, 1)
        var first = name(fa, fb), last = name(la, lb)
        if let fa, let la, let fb, let lb, first.rawValue >= 3, last.rawValue >= 3, fa[0] == lb[0], la[0] == fb[0] {
            let sf = name(fa, lb), sl = name(la, fb)
            if sf.rawValue + sl.rawValue < first.rawValue + last.rawValue {
                // Which cross comparison counts as "first" must not depend on which record is
                // `a`: the better level goes first.
                (first, last) = sf.rawValue <= sl.rawValue ? (sf, sl) : (sl, sf)
            }
        }
        var p = UInt32(first.rawValue) | UInt32(last.rawValue) << 4
        p |= UInt32(date(value(a, 2), value(b, 2)).rawValue) << 8
        p |= UInt32(location(a, b).rawValue) << 12
        return p
    }

    /// Level of attribute `i` in a pattern.
    @inline(__always)
    static func level(_ pattern: UInt32, _ i: Int) -> Int { Int(pattern >> (4 * UInt32(i)) & 0xF) }

    private func name(_ x: UnsafeRawBufferPointer?, _ y: UnsafeRawBufferPointer?) -> ComparisonLevel {
        guard let x, let y else { return .missing }
        if equal(x, y) { return .exact }
        // An initial against a name it starts.
        if (x.count == 1 && y.first == x[0]) || (y.count == 1 && x.first == y[0]) { return .far }
        let jw = StringSimilarity.jaroWinkler(x, y)
        if jw >= 0.92 || (StringSimilarity.damerauLevenshtein(x, y, limit: 1) <= 1 && min(x.count, y.count) >= 4) {
            return .close
        }
        return jw >= 0.70 ? .far : .different
    }

    private func date(_ x: UnsafeRawBufferPointer?, _ y: UnsafeRawBufferPointer?) -> ComparisonLevel {
        guard let x, let y, x.count == 8, y.count == 8 else { return .missing }
        if equal(x, y) { return .exact }
        // Day and month swapped (a form read the other way round).
        if x[0..<4].elementsEqual(y[0..<4]), x[4..<6].elementsEqual(y[6..<8]), x[6..<8].elementsEqual(y[4..<6]) {
            return .close
        }
        if StringSimilarity.damerauLevenshtein(x, y, limit: 1) <= 1 { return .close }
        // The same birthday in another year, or the same year and month.
        if x[4..<8].elementsEqual(y[4..<8]) || x[0..<6].elementsEqual(y[0..<6]) { return .far }
        return .different
    }

    /// Address, postcode and city as one comparison. Exact: the same street line (or a typo of
    /// it) in the same or a mistyped postcode, or in the same city when a postcode is missing.
    /// Close: the same street line without a postcode or city to confirm it, or with another
    /// postcode; or the same postcode with another street. Far: the same postcode area or city.
    private func location(_ a: Int, _ b: Int) -> ComparisonLevel {
        let street = street(value(a, 4), value(b, 4))
        let zip = postcode(value(a, 3), value(b, 3))
        let town = town(value(a, 5), value(b, 5))
        if street == .exact || street == .close {
            switch zip {
            case .exact, .close: return .exact
            case .missing: return town == .exact ? .exact : town == .missing ? .close : .far
            default: return .close
            }
        }
        if zip == .exact { return .close }
        if zip == .far || zip == .close || town == .exact || town == .close { return .far }
        if street == .missing, zip == .missing, town == .missing { return .missing }
        return .different
    }

    private func postcode(_ x: UnsafeRawBufferPointer?, _ y: UnsafeRawBufferPointer?) -> ComparisonLevel {
        guard let x, let y else { return .missing }
        if equal(x, y) { return .exact }
        if x.count == y.count, StringSimilarity.damerauLevenshtein(x, y, limit: 1) <= 1 { return .close }
        if x.count >= 3, y.count >= 3, x[0..<3].elementsEqual(y[0..<3]) { return .far }
        return .different
    }

    private func street(_ x: UnsafeRawBufferPointer?, _ y: UnsafeRawBufferPointer?) -> ComparisonLevel {
        guard let x, let y else { return .missing }
        if equal(x, y) { return .exact }
        // Only the same house number can make street lines close or far: compare the numbers
        // first and skip Jaro-Winkler for most random pairs.
        guard leadingNumber(x).elementsEqual(leadingNumber(y)) else { return .different }
        let jw = StringSimilarity.jaroWinkler(x, y)
        if jw >= 0.88 { return .close }
        if !leadingNumber(x).isEmpty, jw >= 0.70 { return .far }
        return .different
    }

    private func town(_ x: UnsafeRawBufferPointer?, _ y: UnsafeRawBufferPointer?) -> ComparisonLevel {
        guard let x, let y else { return .missing }
        if equal(x, y) { return .exact }
        let jw = StringSimilarity.jaroWinkler(x, y)
        return jw >= 0.92 ? .close : jw >= 0.80 ? .far : .different
    }

    @inline(__always)
    private func equal(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Bool {
        x.count == y.count && x.elementsEqual(y)
    }

    /// The digits a street line starts with (its house number), as a slice.
    private func leadingNumber(_ s: UnsafeRawBufferPointer) -> Slice<UnsafeRawBufferPointer> {
        var i = 0
        while i < s.count, s[i] >= 0x30, s[i] <= 0x39 { i += 1 }
        return s[0..<i]
    }
}
