import IdentityFiles
import IdentityResolution

/// Synthetic retail customers and their records across channels, with the ground truth.
///
/// Each person has some of: one or two emails, a mobile phone, a loyalty ID, one or two device
/// IDs and a payment-card token; some share a household landline. Each record comes from one
/// source (web, app, pos, loyalty, callcenter) and carries the identifiers that channel sees,
/// written with the format noise of real exports. Junk is mixed in: placeholder values, invalid
/// values, typos (which make a value unlinkable) and shared store cards used at the till.
struct CustomerGenerator {
    static let sources = ["web", "app", "pos", "loyalty", "callcenter"]
    static let firstNames = ["james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william",
        "elizabeth", "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "charles", "karen",
        "chris", "nancy", "daniel", "lisa", "matthew", "betty", "anthony", "margaret", "mark", "sandra", "donald", "ashley",
        "steven", "kim", "paul", "emily", "andrew", "donna", "josh", "michelle", "kenneth", "carol", "kevin", "amanda",
        "brian", "melissa", "george", "deborah", "tim", "stephanie", "ana", "jose", "luis", "maria", "wei", "li", "fatima",
        "mohammed", "aisha", "yuki", "sofia", "lucas", "emma", "noah"]
    static let lastNames = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez",
        "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
        "martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
        "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green", "adams",
        "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts", "chen", "wang", "kim", "patel"]
    static let domains = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com",
        "aol.com", "comcast.net", "proton.me", "mail.com", "att.net"]
    static let placeholderEmails = ["test@test.com", "noemail@noemail.com", "none@none.com", "NA@na.com", "no@email.com"]
    static let placeholderPhones = ["0000000000", "1234567890", "999-999-9999", "555-555-5555"]

    var rng: Xoshiro
    let targetRecords: Int
    /// Whether records carry person attributes, and how noisy they are.
    let noise: AttributeNoise
    /// Shared store cards: each store has one, swiped for customers without their own.
    let storeCards: [String]

    init(records: Int, seed: UInt64, attributes: AttributeNoise = .none) {
        rng = Xoshiro(seed: seed)
        targetRecords = records
        noise = attributes
        // About one store per 20,000 records, so each store card is swiped for many customers.
        storeCards = (0..<max(3, records / 20_000)).map { "4000 STORE \(String(1000 + $0))" }
    }

    struct Person {
        var id: Int
        var emails: [String] = []
        var mobile: String?
        var landline: String?
        var loyalty: String?
        var devices: [String] = []
        var card: String?
        var attributes: PersonAttributes?
    }

    /// Fills `rows` (one CSV row per record without its record ID, back to back) and the truth.
    mutating func generate() -> (bytes: [UInt8], ends: [Int], source: [UInt8], person: [UInt32]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(targetRecords * 72)
        var ends: [Int] = []
        ends.reserveCapacity(targetRecords)
        var source: [UInt8] = []
        source.reserveCapacity(targetRecords)
        var person: [UInt32] = []
        person.reserveCapacity(targetRecords)
        var household: (phone: String, left: Int)? = nil
        var householdAttributes: PersonAttributes? = nil
        var householdCount = 0
        var p = 0
        while ends.count < targetRecords {
            var who = makePerson(p)
            if let h = household, h.left > 0 {
                who.landline = h.phone
                household = (h.phone, h.left - 1)
                if noise != .none { who.attributes = makeAttributes(household: householdAttributes) }
            } else {
                if noise != .none { who.attributes = makeAttributes(household: nil) }
                if rng.chance(0.08) {
                    // A household of 2-4 people sharing a landline (area codes 900-999 are landlines here).
                    let line = (householdCount &* 7919 &+ 4_321) % 10_000_000
                    let phone = "\(900 + householdCount % 100)\(pad(line, 7))"
                    householdCount += 1
                    who.landline = phone
                    household = (phone, 1 + rng.below(3))
                    householdAttributes = who.attributes
                }
            }
            var count = 1
            while count < 12, rng.chance(0.55) { count += 1 }
            for _ in 0..<min(count, targetRecords - ends.count) {
                let s = pickSource()
                writeRecord(for: who, source: s, into: &bytes)
                ends.append(bytes.count)
                source.append(UInt8(s))
                person.append(UInt32(p))
            }
            p += 1
        }
        return (bytes, ends, source, person)
    }

    private mutating func makePerson(_ p: Int) -> Person {
        var who = Person(id: p)
        let first = Self.firstNames[rng.below(Self.firstNames.count)]
        let last = Self.lastNames[rng.below(Self.lastNames.count)]
        if rng.chance(0.88) {
            let domain = Self.domains[rng.below(Self.domains.count)]
            let local: String
            switch rng.below(4) {
            case 0: local = "\(first).\(last)\(p)"
            case 1: local = "\(first)\(last)\(p)"
            case 2: local = "\(first.first!)\(last)\(p)"
            default: local = "\(last).\(first)\(p)"
            }
            who.emails.append("\(local)@\(domain)")
            if rng.chance(0.15) { who.emails.append("\(first)\(p)@work\(p % 97).com") }
        }
        if rng.chance(0.8) {
            // Unique per person: 7919 is coprime with 10^7, so the line number is a bijection of p.
            let line = (p &* 7919 &+ 1_234_567) % 10_000_000
            who.mobile = "\(201 + rng.below(699))\(pad(line, 7))"
        }
        if rng.chance(0.55) { who.loyalty = pad((p &* 104_729 &+ 7) % 1_000_000_000, 9) }
        if rng.chance(0.65) {
            who.devices.append(uuid())
            if rng.chance(0.2) { who.devices.append(uuid()) }
        }
        if rng.chance(0.5) { who.card = "tok" + hex(rng.next(), 16) }
        return who
    }

    private mutating func pickSource() -> Int {
        let x = rng.below(100)
        return x < 30 ? 0 : x < 50 ? 1 : x < 75 ? 2 : x < 90 ? 3 : 4
    }

    private mutating func writeRecord(for who: Person, source: Int, into out: inout [UInt8]) {
        var email: String?, phone: String?, loyalty: String?, device: String?, card: String?
        defer {
            if let a = who.attributes { appendAttributes(a, into: &out) }
        }
        if who.attributes != nil, rng.chance(noise.rates.attributeOnly) {
            // A store or call-center record that took only a name, a birth date and an address.
            appendField(Self.sources[source], &out)
            out.append(contentsOf: ",,,,,".utf8)
            return
        }
        func pickEmail(_ p: Double) -> String? {
            guard !who.emails.isEmpty, rng.chance(p) else { return nil }
            return who.emails[who.emails.count > 1 && rng.chance(0.3) ? 1 : 0]
        }
        func pickPhone(_ p: Double) -> String? {
            guard rng.chance(p) else { return nil }
            if let l = who.landline, who.mobile == nil || rng.chance(0.35) { return l }
            return who.mobile
        }
        switch source {
        case 0:  // web
            email = pickEmail(0.95)
            device = who.devices.isEmpty || !rng.chance(0.7) ? nil : who.devices[rng.below(who.devices.count)]
            phone = pickPhone(0.25)
        case 1:  // app
            device = who.devices.isEmpty || !rng.chance(0.9) ? nil : who.devices[rng.below(who.devices.count)]
            email = pickEmail(0.7)
            loyalty = rng.chance(0.3) ? who.loyalty : nil
        case 2:  // pos
            card = rng.chance(0.85) ? who.card : nil
            if card == nil, rng.chance(0.1) { card = storeCards[rng.below(storeCards.count)] }
            loyalty = rng.chance(0.6) ? who.loyalty : nil
            phone = pickPhone(0.2)
            email = pickEmail(0.15)
        case 3:  // loyalty
            loyalty = rng.chance(0.95) ? who.loyalty : nil
            email = pickEmail(0.75)
            phone = pickPhone(0.6)
        default:  // callcenter
            phone = pickPhone(0.9)
            email = pickEmail(0.5)
            loyalty = rng.chance(0.4) ? who.loyalty : nil
        }
        // Nearly every record carries something: a channel record without its usual identifier
        // carries another one of the person's, except about 1% of anonymous records.
        if email == nil, phone == nil, loyalty == nil, device == nil, card == nil, !rng.chance(0.01) {
            switch source {
            case 2: card = who.card ?? who.loyalty.map { _ in nil } ?? nil; loyalty = card == nil ? who.loyalty : nil
            case 3, 4: phone = who.mobile ?? who.landline
            case 1: device = who.devices.first
            default: break
            }
            if email == nil, phone == nil, loyalty == nil, device == nil, card == nil {
                if let e = who.emails.first { email = e }
                else if let m = who.mobile { phone = m }
                else if let l = who.loyalty { loyalty = l }
                else if let d = who.devices.first { device = d }
                else if let c = who.card { card = c }
            }
        }
        appendField(Self.sources[source], &out)
        out.append(0x2C); appendField(email.map { noisyEmail($0) }, &out)
        out.append(0x2C); appendField(phone.map { noisyPhone($0) }, &out)
        out.append(0x2C); appendField(loyalty.map { noisyLoyalty($0) }, &out)
        out.append(0x2C); appendField(device.map { noisyDevice($0) }, &out)
        out.append(0x2C); appendField(card.map { noisyCard($0) }, &out)
    }

    private mutating func appendField(_ value: String?, _ out: inout [UInt8]) {
        guard let value else { return }
        if rng.chance(0.02) {
            out.append(0x22); out.append(contentsOf: value.utf8); out.append(0x22)
        } else {
            out.append(contentsOf: value.utf8)
        }
    }

    // MARK: Noise

    private mutating func noisyEmail(_ e: String) -> String {
        if rng.chance(0.015) { return Self.placeholderEmails[rng.below(Self.placeholderEmails.count)] }
        if rng.chance(0.004) { return e.replacingFirst("@", with: " at ") }
        var e = e
        if rng.chance(0.01) {  // a typo: one character of the local part dropped
            var chars = Array(e)
            chars.remove(at: rng.below(max(1, chars.firstIndex(of: "@")!)))
            e = String(chars)
        }
        switch rng.below(10) {
        case 0: e = e.uppercased()
        case 1: e = e.prefix(1).uppercased() + e.dropFirst()
        case 2: e = " " + e + " "
        default: break
        }
        return e
    }

    private mutating func noisyPhone(_ digits: String) -> String {
        if rng.chance(0.01) { return Self.placeholderPhones[rng.below(Self.placeholderPhones.count)] }
        if rng.chance(0.004) { return String(digits.prefix(5)) }
        let d = Array(digits)
        let a = String(d[0..<3]), b = String(d[3..<6]), c = String(d[6..<10])
        switch rng.below(6) {
        case 0: return "(\(a)) \(b)-\(c)"
        case 1: return "\(a).\(b).\(c)"
        case 2: return "1-\(a)-\(b)-\(c)"
        case 3: return "+1 \(a) \(b) \(c)"
        case 4: return "\(a)-\(b)-\(c)"
        default: return digits
        }
    }

    private mutating func noisyLoyalty(_ id: String) -> String {
        if rng.chance(0.005) { return "N/A" }
        let d = Array(id)
        switch rng.below(4) {
        case 0: return "LY" + id
        case 1: return "ly-\(String(d[0..<3]))-\(String(d[3..<6]))-\(String(d[6..<9]))"
        case 2: return "LY \(String(d[0..<3])) \(String(d[3..<6])) \(String(d[6..<9]))"
        default: return "LY-" + id
        }
    }

    private mutating func noisyDevice(_ u: String) -> String {
        if rng.chance(0.005) { return "00000000-0000-0000-0000-000000000000" }
        switch rng.below(10) {
        case 0, 1, 2: return u.uppercased()
        case 3: return "{\(u)}"
        case 4: return String(u.filter { $0 != "-" })
        default: return u
        }
    }

    private mutating func noisyCard(_ c: String) -> String {
        switch rng.below(10) {
        case 0, 1, 2: return c.uppercased()
        case 3:
            let chars = Array(c)
            return stride(from: 0, to: chars.count, by: 4).map { String(chars[$0..<min($0 + 4, chars.count)]) }.joined(separator: " ")
        default: return c
        }
    }

    private mutating func uuid() -> String {
        let h = hex(rng.next(), 16) + hex(rng.next(), 16)
        let c = Array(h)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }
}

/// `n` in decimal, zero-padded to `width`.
func pad(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// The low `digits` hex digits of `x`, zero-padded.
func hex(_ x: UInt64, _ digits: Int) -> String {
    let s = String(x, radix: 16)
    return s.count >= digits ? String(s.suffix(digits)) : String(repeating: "0", count: digits - s.count) + s
}

extension String {
    func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let i = firstIndex(of: target) else { return self }
        return String(self[..<i]) + replacement + String(self[index(after: i)...])
    }
}
