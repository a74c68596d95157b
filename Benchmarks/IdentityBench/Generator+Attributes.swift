/// Person attributes (name, date of birth, address) for the generator, and the errors real
/// forms put in them: typos, transpositions, OCR and phonetic misspellings, nicknames, swapped
/// first and last names, missing fields, other date formats and old addresses.
enum AttributeNoise: String, CaseIterable {
    /// No attribute columns (the identifier-only file).
    case none
    /// Attributes with the errors of a careful source.
    case typical
    /// Many more errors, 20% missing fields, 20% of people moved, 30% attribute-only records.
    case hard

    struct Rates {
        var missing: Double
        var typo: Double
        var doubleTypo: Double
        var ocr: Double
        var phonetic: Double
        var nickname: Double
        var swap: Double
        var dobError: Double
        var moved: Double
        /// Records that carry no identifier at all, only attributes.
        var attributeOnly: Double
    }

    var rates: Rates {
        switch self {
        case .none, .typical:
            Rates(missing: 0.06, typo: 0.03, doubleTypo: 0.0, ocr: 0.005, phonetic: 0.01, nickname: 0.05, swap: 0.005,
                  dobError: 0.01, moved: 0.05, attributeOnly: 0.15)
        case .hard:
            Rates(missing: 0.2, typo: 0.12, doubleTypo: 0.1, ocr: 0.03, phonetic: 0.05, nickname: 0.15, swap: 0.03,
                  dobError: 0.05, moved: 0.2, attributeOnly: 0.3)
        }
    }
}

/// One person's true attributes.
struct PersonAttributes {
    var first: String
    var last: String
    var year: Int, month: Int, day: Int
    var address: String
    var zip: Int
    /// The address before a move, used by some records.
    var previous: (address: String, zip: Int)?
}

/// Name, street and city vocabularies with Zipf-like frequencies, built without randomness.
enum AttributeVocabulary {
    static let realFirst = ["james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william",
        "elizabeth", "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen",
        "christopher", "nancy", "daniel", "lisa", "matthew", "margaret", "anthony", "betty", "mark", "sandra", "donald",
        "ashley", "steven", "kimberly", "paul", "emily", "andrew", "donna", "joshua", "michelle", "kenneth", "carol",
        "kevin", "amanda", "brian", "melissa", "george", "deborah", "timothy", "stephanie", "jose", "maria", "luis",
        "ana", "wei", "li", "fatima", "mohammed", "aisha", "yuki", "sofia", "lucas", "emma", "noah", "catherine",
        "edward", "samuel", "gregory", "frederick", "rebecca", "victoria", "zachary", "peter", "philip", "henry",
        "theodore", "walter", "vincent", "nicholas", "martin", "leonard", "lawrence", "gerald", "ronald", "eleanor",
        "dorothy", "pamela", "abigail", "albert", "alfred", "benjamin", "jonathan", "jeffrey", "joanne", "terence"]
    static let realLast = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
        "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
        "martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
        "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green", "adams",
        "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts", "chen", "wang", "kim", "patel"]
    private static let onsets = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
        "p", "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "z", "al", "el", "or"]
    private static let vowels = ["a", "e", "i", "o", "u", "ai", "ei", "ou", "ia", "ar"]
    private static let lastEndings = ["son", "ski", "berg", "man", "ton", "ley", "ez", "ov", "enko", "ini", "etti",
        "ford", "well", "ridge", "ling", "stein", "er", "ard", "ing", "ow", "ick", "by", "land", "wood", "field"]
    private static let firstEndings = ["a", "o", "an", "en", "el", "ie", "ia", "on", "in", "y", "ette", "ius"]

    static let first: [String] = realFirst + synthetic(endings: firstEndings, count: 1500, offset: 3)
    static let last: [String] = realLast + synthetic(endings: lastEndings, count: 20_000, offset: 7)
    static let firstWeights = zipfCumulative(first.count, offset: 5)
    static let lastWeights = zipfCumulative(last.count, offset: 20)
    static let streets: [String] = ["main", "oak", "maple", "cedar", "elm", "pine", "park", "lake", "hill", "washington",
        "church", "river", "mill", "spring", "north", "south", "highland", "forest", "sunset", "meadow"]
        + synthetic(endings: ["wood", "field", "brook", "view", "side", "crest", "dale", "mont"], count: 400, offset: 11)
    static let streetTypes = [("street", "st"), ("avenue", "ave"), ("road", "rd"), ("drive", "dr"), ("lane", "ln"),
                              ("court", "ct"), ("boulevard", "blvd"), ("place", "pl")]
    static let cities: [String] = synthetic(endings: ["ville", "ton", "field", "burg", "port", "wood", "dale", " falls",
        " springs", " city", "ford", "haven"], count: 4000, offset: 13)
    /// Number of postcodes; a postcode's city is fixed by its first four digits.
    static let zips = 40_000

    /// `count` distinct pronounceable names, in a fixed order.
    private static func synthetic(endings: [String], count: Int, offset: Int) -> [String] {
        var out: [String] = []
        var seen: Set<String> = []
        var i = 0
        while out.count < count {
            let a = onsets[(i * 7 + offset) % onsets.count]
            let b = vowels[(i / onsets.count + i * 3) % vowels.count]
            let c = onsets[(i / 3 + offset) % onsets.count]
            let d = endings[(i / 11 + i) % endings.count]
            let name = i % 3 == 0 ? a + b + d : a + b + c + vowels[(i / 7) % vowels.count] + d
            if seen.insert(name).inserted { out.append(name) }
            i += 1
        }
        return out
    }

    private static func zipfCumulative(_ n: Int, offset: Double) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(n)
        var total = 0.0
        for r in 0..<n {
            total += 1 / (Double(r) + offset)
            out.append(total)
        }
        return out.map { $0 / total }
    }

    static func pick(_ cumulative: [Double], _ rng: inout Xoshiro) -> Int {
        let x = Double(rng.next() >> 11) / Double(1 << 53)
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

extension CustomerGenerator {
    mutating func makeAttributes(household: PersonAttributes?) -> PersonAttributes {
        var rng = self.rng
        defer { self.rng = rng }
        let first = AttributeVocabulary.first[AttributeVocabulary.pick(AttributeVocabulary.firstWeights, &rng)]
        var a = PersonAttributes(
            first: first, last: AttributeVocabulary.last[AttributeVocabulary.pick(AttributeVocabulary.lastWeights, &rng)],
            year: 1940 + rng.below(66), month: 1 + rng.below(12), day: 1 + rng.below(28),
            address: Self.streetAddress(&rng), zip: rng.below(AttributeVocabulary.zips))
        if let h = household {
            // Household members share the address and mostly the family name; a few are twins.
            a.address = h.address
            a.zip = h.zip
            if rng.chance(0.8) { a.last = h.last }
            if rng.chance(0.03) { (a.year, a.month, a.day) = (h.year, h.month, h.day) }
        }
        if rng.chance(noise.rates.moved) {
            a.previous = (Self.streetAddress(&rng), rng.below(AttributeVocabulary.zips))
        }
        return a
    }

    private static func streetAddress(_ rng: inout Xoshiro) -> String {
        let t = AttributeVocabulary.streetTypes[rng.below(AttributeVocabulary.streetTypes.count)]
        return "\(1 + rng.below(9999)) \(AttributeVocabulary.streets[rng.below(AttributeVocabulary.streets.count)]) \(t.0)"
    }

    /// Appends `,first,last,dob,zip,address,city` for one record of a person.
    mutating func appendAttributes(_ a: PersonAttributes, into out: inout [UInt8]) {
        let r = noise.rates
        var first = a.first, last = a.last
        if rng.chance(r.nickname), let nick = Self.nicknameOf[first] { first = nick }
        first = misspelled(first)
        last = misspelled(last)
        if rng.chance(r.swap) { swap(&first, &last) }
        var (address, zip) = (a.address, a.zip)
        if let p = a.previous, rng.chance(0.5) { (address, zip) = (p.address, p.zip) }
        var (y, m, d) = (a.year, a.month, a.day)
        if rng.chance(r.dobError) {
            switch rng.below(3) {
            case 0 where d <= 12: swap(&m, &d)
            case 1: d = d % 28 + 1
            default: y += rng.chance(0.5) ? 1 : -1
            }
        }
        let dob: String
        switch rng.below(20) {
        case 0..<12: dob = "\(y)-\(pad(m, 2))-\(pad(d, 2))"
        case 12..<15: dob = "\(y)\(pad(m, 2))\(pad(d, 2))"
        default: dob = "\(pad(d, 2))/\(pad(m, 2))/\(y)"
        }
        var zipText = pad(zip, 5)
        if rng.chance(r.typo / 4) { zipText = misspelledDigits(zipText) }
        if rng.chance(r.typo / 2) { address = typo(address) }
        if rng.chance(0.3) {
            for (long, short) in AttributeVocabulary.streetTypes where address.hasSuffix(" " + long) {
                address = String(address.dropLast(long.count)) + short
            }
        }
        let city = AttributeVocabulary.cities[zip / 10 % AttributeVocabulary.cities.count]
        for (i, value) in [cased(first), cased(last), dob, zipText, cased(address), cased(city)].enumerated() {
            out.append(0x2C)
            // The date and postcode are less often left out than a name; first names most often.
            if rng.chance(i == 1 || i == 2 ? r.missing * 0.6 : r.missing) { continue }
            out.append(contentsOf: value.utf8)
        }
    }

    static let nicknameOf: [String: String] = [
        "robert": "bob", "william": "bill", "elizabeth": "liz", "richard": "dick", "james": "jim", "john": "jack",
        "margaret": "peggy", "michael": "mike", "thomas": "tom", "joseph": "joe", "daniel": "dan", "david": "dave",
        "christopher": "chris", "jennifer": "jenny", "patricia": "pat", "matthew": "matt", "anthony": "tony",
        "steven": "steve", "kimberly": "kim", "joshua": "josh", "timothy": "tim", "edward": "ed", "samuel": "sam",
        "catherine": "kate", "rebecca": "becky", "victoria": "vicky", "susan": "sue", "deborah": "debbie",
        "nicholas": "nick", "peter": "pete", "donald": "don", "kenneth": "ken", "andrew": "andy", "benjamin": "ben",
    ]

    /// A name with the configured chance of typos, OCR and phonetic errors.
    private mutating func misspelled(_ s: String) -> String {
        let r = noise.rates
        var s = s
        if rng.chance(r.typo) {
            s = typo(s)
            if rng.chance(r.doubleTypo) { s = typo(s) }
        }
        if rng.chance(r.ocr) { s = substituted(s, [("o", "0"), ("l", "1"), ("i", "1"), ("s", "5"), ("m", "rn"), ("d", "cl"), ("e", "c")]) }
        if rng.chance(r.phonetic) { s = substituted(s, [("ph", "f"), ("f", "ph"), ("c", "k"), ("k", "c"), ("y", "i"), ("i", "y"), ("ee", "ea"), ("s", "z")]) }
        return s
    }

    private mutating func typo(_ s: String) -> String {
        var c = Array(s)
        guard c.count >= 2 else { return s }
        let i = rng.below(c.count)
        switch rng.below(4) {
        case 0: c[i] = Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(rng.below(26))))
        case 1: c.remove(at: i)
        case 2: c.insert(c[i], at: i)
        default:
            let j = i + 1 < c.count ? i + 1 : i - 1
            c.swapAt(i, j)
        }
        return String(c)
    }

    private mutating func misspelledDigits(_ s: String) -> String {
        var c = Array(s)
        let i = rng.below(c.count)
        if rng.chance(0.5), i + 1 < c.count { c.swapAt(i, i + 1) } else { c[i] = Character(String(rng.below(10))) }
        return String(c)
    }

    /// The first applicable substitution among `pairs` (tried from a random start), applied to
    /// the first occurrence.
    private mutating func substituted(_ s: String, _ pairs: [(String, String)]) -> String {
        let start = rng.below(pairs.count)
        let c = Array(s)
        for k in 0..<pairs.count {
            let (from, to) = pairs[(start + k) % pairs.count]
            let f = Array(from)
            guard c.count >= f.count else { continue }
            for i in 0...(c.count - f.count) where Array(c[i..<(i + f.count)]) == f {
                return String(c[..<i]) + to + String(c[(i + f.count)...])
            }
        }
        return s
    }

    /// Forms write names as typed: lowercase, Capitalized or UPPERCASE.
    private mutating func cased(_ s: String) -> String {
        switch rng.below(10) {
        case 0..<2: return s.uppercased()
        case 2..<8: return s.split(separator: " ").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        default: return s
        }
    }
}
