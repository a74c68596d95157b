import Testing
@testable import IdentityResolution

/// Full-matrix optimal string alignment distance: the textbook definition, for reference.
private func referenceOSA(_ a: [UInt8], _ b: [UInt8]) -> Int {
    let n = a.count, m = b.count
    var d = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in 0...n { d[i][0] = i }
    for j in 0...m { d[0][j] = j }
    if n > 0 && m > 0 {
        for i in 1...n {
            for j in 1...m {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
    }
    return d[n][m]
}

@Suite("Fuzzy groundwork: comparators")
struct StringSimilarityTests {
    /// Published Jaro-Winkler values (Winkler 1990; the usual test pairs).
    @Test(arguments: [("MARTHA", "MARHTA", 0.9611), ("DWAYNE", "DUANE", 0.8400), ("DIXON", "DICKSONX", 0.8133),
                      ("JELLYFISH", "SMELLYFISH", 0.8963), ("ABC", "ABC", 1.0), ("ABC", "XYZ", 0.0), ("", "", 1.0)])
    func jaroWinklerKnownValues(a: String, b: String, expected: Double) {
        #expect(abs(StringSimilarity.jaroWinkler(a, b) - expected) < 0.0001, "\(a) ~ \(b)")
    }

    @Test(arguments: [("CA", "ABC", 3), ("ab", "ba", 1), ("kitten", "sitting", 3), ("", "abc", 3), ("robert", "rboert", 1)])
    func damerauLevenshteinKnownValues(a: String, b: String, expected: Int) {
        #expect(StringSimilarity.damerauLevenshtein(a, b) == expected)
    }

    /// Against the full-matrix definition on random short strings over a small alphabet; the
    /// bounded form agrees whenever the distance is within the bound and says "over" otherwise.
    @Test func damerauLevenshteinMatchesTheDefinition() {
        var rng = SplitMix64(seed: 77)
        for _ in 0..<3000 {
            let a = (0..<Int.random(in: 0...7, using: &rng)).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0...3, using: &rng) }
            let b = (0..<Int.random(in: 0...7, using: &rng)).map { _ in UInt8(ascii: "a") + UInt8.random(in: 0...3, using: &rng) }
            let want = referenceOSA(a, b)
            let got = a.withUnsafeBytes { x in b.withUnsafeBytes { y in StringSimilarity.damerauLevenshtein(x, y) } }
            #expect(got == want, "\(a) \(b)")
            let limit = Int.random(in: 0...4, using: &rng)
            let bounded = a.withUnsafeBytes { x in b.withUnsafeBytes { y in StringSimilarity.damerauLevenshtein(x, y, limit: limit) } }
            #expect(bounded == (want <= limit ? want : limit + 1))
            let jw = a.withUnsafeBytes { x in b.withUnsafeBytes { y in StringSimilarity.jaroWinkler(x, y) } }
            let jwSwapped = a.withUnsafeBytes { x in b.withUnsafeBytes { y in StringSimilarity.jaroWinkler(y, x) } }
            #expect(jw >= 0 && jw <= 1 && abs(jw - jwSwapped) < 1e-12)
            #expect((jw == 1) == (a == b))
        }
    }
}

@Suite("Fuzzy groundwork: attribute normalization")
struct AttributeNormalizerTests {
    @Test(arguments: [("  José  MÜLLER-Lüdenscheidt ", "jose muller ludenscheidt"), ("O'Brien, Seán", "obrien sean"),
                      ("Łukasz Żółć", "lukasz zolc"), ("STRAßE", "strasse"), ("Ærø Œuvre", "aero oeuvre"),
                      ("Иван Petrov", "Иван petrov"), ("..--", "")])
    func names(input: String, expected: String) {
        #expect(AttributeNormalizer.name(input) == expected)
    }

    @Test func invalidUTF8NamesAreRefused() {
        let bad: [UInt8] = [0x41, 0xC3, 0x28]
        #expect(bad.withUnsafeBytes { AttributeNormalizer.name($0) } == nil)
        let surrogate: [UInt8] = [0xED, 0xA0, 0x80]
        #expect(surrogate.withUnsafeBytes { AttributeNormalizer.name($0) } == nil)
    }

    @Test(arguments: [("1984-02-29", AttributeNormalizer.DateOrder.dayFirst, UInt32(19_840_229)), ("19840229", .dayFirst, 19_840_229),
                      ("29/02/1984", .dayFirst, 19_840_229), ("02/29/1984", .monthFirst, 19_840_229), ("3.7.2001", .dayFirst, 20_010_703),
                      (" 2001/7/3 ", .dayFirst, 20_010_703)])
    func dates(input: String, order: AttributeNormalizer.DateOrder, expected: UInt32) {
        #expect(AttributeNormalizer.date(input, order: order) == expected)
    }

    @Test(arguments: ["1983-02-29", "2100-02-29", "1984-13-01", "1984-00-10", "31/04/2001", "02/29/1984", "84-02-29", "", "1984-02", "1984--02-01", "x1984-02-01"])
    func badDates(input: String) {
        #expect(AttributeNormalizer.date(input, order: .dayFirst) == nil)
    }

    @Test func postcodes() {
        let s = Array("sw1a 1aa".utf8)
        #expect(s.withUnsafeBytes { AttributeNormalizer.postcode($0) } == Array("SW1A1AA".utf8))
        let empty = Array(" - ".utf8)
        #expect(empty.withUnsafeBytes { AttributeNormalizer.postcode($0) } == nil)
    }
}
