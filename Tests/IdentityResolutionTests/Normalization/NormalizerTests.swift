import Testing
@testable import IdentityResolution

private let plain = Normalizer(configuration: ResolverConfiguration())

private func normalizer(_ edit: (inout ResolverConfiguration) -> Void) -> Normalizer {
    var c = ResolverConfiguration()
    edit(&c)
    return Normalizer(configuration: c)
}

private func expectValid(_ n: Normalizer, _ rule: NormalizationRule, _ input: String, _ expected: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(n.normalize(input, rule: rule) == .success(expected), "\(rule) \(input.debugDescription)",
            sourceLocation: sourceLocation)
    // Idempotence: a normalized value normalizes to itself.
    #expect(n.normalize(expected, rule: rule) == .success(expected), "idempotence \(expected)",
            sourceLocation: sourceLocation)
}

private func expectInvalid(_ n: Normalizer, _ rule: NormalizationRule, _ input: String, _ reason: InvalidReason,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(n.normalize(input, rule: rule) == .failure(InvalidReasonError(reason: reason)), "\(rule) \(input.debugDescription)",
            sourceLocation: sourceLocation)
}

@Suite("Email normalization")
struct EmailNormalizationTests {
    @Test(arguments: [
        (" Ann@Example.COM ", "ann@example.com"),
        ("a@b.co", "a@b.co"),
        ("\tANN.SMITH@mail.example.org\r\n", "ann.smith@mail.example.org"),
        ("ann+shop@x.com", "ann+shop@x.com"),
        ("a.n.n@gmail.com", "a.n.n@gmail.com"),
        ("Zoë@Example.com", "zoë@example.com"),
        ("a@b.c.d", "a@b.c.d"),
    ])
    func valid(input: String, expected: String) {
        expectValid(plain, .email, input, expected)
    }

    @Test(arguments: [
        ("", InvalidReason.empty),
        ("   ", .empty),
        ("ann", .emailAtSign),
        ("a@@b.com", .emailAtSign),
        ("a@b@c.com", .emailAtSign),
        ("@b.com", .emailEmptyLocalPart),
        ("ann@localhost", .emailDomainWithoutDot),
        ("ann@", .emailDomainWithoutDot),
        ("an n@x.com", .emailWhitespace),
        ("a\u{0}b@x.com", .controlCharacter),
        ("ann\t@x.com", .controlCharacter),
        ("ann@x.com\u{7F}", .controlCharacter),
    ])
    func invalid(input: String, reason: InvalidReason) {
        expectInvalid(plain, .email, input, reason)
    }

    @Test func plusTagRule() {
        let n = normalizer { $0.emailDropPlusTag = true }
        expectValid(n, .email, "Ann+Shop@X.com", "ann@x.com")
        expectValid(n, .email, "ann+a+b@x.com", "ann@x.com")
        expectValid(n, .email, "a.nn@gmail.com", "a.nn@gmail.com")
        expectInvalid(n, .email, "+shop@x.com", .emailEmptyLocalPart)
    }

    @Test func gmailDotsRule() {
        let n = normalizer { $0.emailGmailDots = true }
        expectValid(n, .email, "A.n.n@GoogleMail.com", "ann@gmail.com")
        expectValid(n, .email, "a.nn@gmail.com", "ann@gmail.com")
        expectValid(n, .email, "a.nn@yahoo.com", "a.nn@yahoo.com")
        expectValid(n, .email, "a.nn+x@gmail.com", "ann+x@gmail.com")
        expectInvalid(n, .email, "...@gmail.com", .emailEmptyLocalPart)
    }

    @Test func bothProviderRules() {
        let n = normalizer { $0.emailGmailDots = true; $0.emailDropPlusTag = true }
        expectValid(n, .email, "a.n.n+promo@googlemail.com", "ann@gmail.com")
    }
}

@Suite("Phone normalization")
struct PhoneNormalizationTests {
    @Test(arguments: [
        ("(555) 123-4567", "+15551234567"),
        ("555.123.4567", "+15551234567"),
        ("1-555-123-4567", "+15551234567"),
        ("+1 555 123 4567", "+15551234567"),
        ("001 555 123 4567", "+15551234567"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("123456", "+1123456"),
        ("+123456789012345", "+123456789012345"),
        ("  +33 (0)1 23 45 67 89 ", "+330123456789"),
    ])
    func valid(input: String, expected: String) {
        expectValid(plain, .phone, input, expected)
    }

    @Test(arguments: [
        ("", InvalidReason.empty),
        ("12345", .phoneLength),
        ("+1234567890123456", .phoneLength),
        ("---", .phoneLength),
        ("555-CALL-NOW", .phoneLetters),
        ("+0 123 4567", .phoneCountryCode),
        ("555\u{0}1234567", .controlCharacter),
    ])
    func invalid(input: String, reason: InvalidReason) {
        expectInvalid(plain, .phone, input, reason)
    }

    @Test func otherCountryWithTrunkZero() {
        let uk = normalizer { $0.defaultCountryCode = 44 }
        expectValid(uk, .phone, "020 7946 0958", "+442079460958")
        expectValid(uk, .phone, "+1 555 123 4567", "+15551234567")
        // The NANP trunk rule applies to country 1 only.
        expectValid(uk, .phone, "1234 567890", "+441234567890")
    }

    @Test func noTrunkPrefix() {
        let italy = normalizer { $0.defaultCountryCode = 39; $0.phoneTrunkPrefix = .none }
        expectValid(italy, .phone, "06 1234 5678", "+390612345678")
    }

    @Test func trunkOneOnlyAtElevenDigits() {
        // A ten-digit number starting with 1 is not a trunk-prefixed number.
        expectValid(plain, .phone, "1555123456", "+11555123456")
        expectValid(plain, .phone, "15551234567", "+15551234567")
    }
}

@Suite("Device ID normalization")
struct DeviceNormalizationTests {
    @Test(arguments: [
        ("{6F9619FF-8B86-D011-B42D-00C04FC964FF}", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        ("6F9619FF8B86D011B42D00C04FC964FF", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        ("{6f9619ff8b86d011b42d00c04fc964ff}", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        (" 6f9619ff-8b86-d011-b42d-00c04fc964ff ", "6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        ("Android-ABC123", "android-abc123"),
        ("{not-a-uuid}", "{not-a-uuid}"),
    ])
    func valid(input: String, expected: String) {
        expectValid(plain, .deviceID, input, expected)
    }

    @Test(arguments: [
        ("00000000-0000-0000-0000-000000000000", InvalidReason.deviceAllZero),
        ("{00000000000000000000000000000000}", .deviceAllZero),
        ("0", .deviceAllZero),
        ("aaaaaaaa", .deviceRepeatedCharacter),
        ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", .deviceRepeatedCharacter),
        ("----", .deviceRepeatedCharacter),
        ("", .empty),
    ])
    func invalid(input: String, reason: InvalidReason) {
        expectInvalid(plain, .deviceID, input, reason)
    }
}

@Suite("Token normalization (loyalty ID, POS card)")
struct TokenNormalizationTests {
    @Test(arguments: [
        (" ly-0042 ", "LY0042"),
        ("1234 5678 9012", "123456789012"),
        ("ab-cd-ef", "ABCDEF"),
        ("tok_ü", "TOK_ü"),
    ])
    func valid(input: String, expected: String) {
        expectValid(plain, .token, input, expected)
    }

    @Test(arguments: [("--", InvalidReason.empty), (" - - ", .empty), ("ab\u{7}", .controlCharacter)])
    func invalid(input: String, reason: InvalidReason) {
        expectInvalid(plain, .token, input, reason)
    }
}

@Suite("Generic rules and byte-level input")
struct ByteLevelNormalizationTests {
    @Test func lowercaseAndExact() {
        expectValid(plain, .caseFolded, "  CRM-12 ", "crm-12")
        expectValid(plain, .exact, "  CRM-12 ", "CRM-12")
        expectInvalid(plain, .exact, "a\u{1}b", .controlCharacter)
    }

    @Test(arguments: NormalizationRule.allCases)
    func invalidUTF8IsRejected(rule: NormalizationRule) {
        let bytes: [UInt8] = [0x61, 0x40, 0x62, 0x2E, 0x63, 0xFF]
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
        defer { out.deallocate() }
        let outcome = bytes.withUnsafeBytes { plain.normalize($0, rule: rule, into: out) }
        #expect(outcome == .invalid(.invalidUTF8))
    }

    @Test func tooLong() {
        var c = ResolverConfiguration()
        c.limits.maxValueLength = 8
        let n = Normalizer(configuration: c)
        expectInvalid(n, .token, "123456789", .tooLong)
        expectValid(n, .token, "  12345678  ", "12345678")
    }

    @Test func utf8Validator() {
        let good: [[UInt8]] = [[], [0x41], Array("héllo wörld, ünïcode €𝄞".utf8), [0xF4, 0x8F, 0xBF, 0xBF]]
        let bad: [[UInt8]] = [[0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
                              Array("aaaaaaaaaaaa".utf8) + [0xFF]]
        for b in good { #expect(b.withUnsafeBufferPointer { isValidUTF8($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }) }
        for b in bad { #expect(!b.withUnsafeBufferPointer { isValidUTF8($0.baseAddress!, $0.count) }) }
    }

    /// Random byte strings: normalization never traps, and every valid output is a fixed point.
    @Test(arguments: NormalizationRule.allCases)
    func randomInputIsIdempotent(rule: NormalizationRule) {
        var rng = SplitMix64(seed: UInt64(rule.rawValue))
        let alphabet = Array("aZ09@.+-_ {}()\t\u{0}é".utf8) + [0xFF, 0xC3]
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
        let again = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
        defer { out.deallocate(); again.deallocate() }
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let outcome = bytes.withUnsafeBytes { plain.normalize($0, rule: rule, into: out) }
            guard case .valid(let n) = outcome else { continue }
            let second = plain.normalize(UnsafeRawBufferPointer(start: out, count: n), rule: rule, into: again)
            #expect(second == .valid(length: n))
            #expect(memcmpBytes(out, again, n))
        }
    }
}

/// The email and device rules, eight bytes at a time, against the rules written one byte at a
/// time (the default configuration: no provider rules).
@Suite("Word-at-a-time rules against byte-at-a-time references")
struct WordRuleReferenceTests {
    /// The email rule without provider options: one `@`, no space, a dot in the domain, a
    /// non-empty local part, control bytes refused, ASCII lowered.
    static func referenceEmail(_ v: [UInt8]) -> Normalizer.Outcome {
        if v.contains(where: isControlByte) { return .invalid(.controlCharacter) }
        let ats = v.indices.filter { v[$0] == 0x40 }
        if ats.count != 1 { return .invalid(.emailAtSign) }
        if v.contains(0x20) { return .invalid(.emailWhitespace) }
        if !v[(ats[0] + 1)...].contains(0x2E) { return .invalid(.emailDomainWithoutDot) }
        if ats[0] == 0 { return .invalid(.emailEmptyLocalPart) }
        return .valid(length: v.count)
    }

    /// The device rule: control bytes refused, ASCII lowered, 32 hex digits hyphenated, and
    /// only hyphens, all zeros or one repeated character refused.
    static func referenceDevice(_ v: [UInt8]) -> (Normalizer.Outcome, [UInt8]) {
        if v.contains(where: isControlByte) { return (.invalid(.controlCharacter), []) }
        var out = v.map(Normalizer.lower)
        var inner = out
        if out.count >= 2, out.first == 0x7B, out.last == 0x7D { inner = Array(out.dropFirst().dropLast()) }
        let hyphenAt: Set = [8, 13, 18, 23]
        if inner.count == 36, inner.indices.allSatisfy({ hyphenAt.contains($0) ? inner[$0] == 0x2D : Normalizer.isHex(inner[$0]) }) {
            out = inner
        } else if inner.count == 32, inner.allSatisfy(Normalizer.isHex) {
            out = []
            for (i, b) in inner.enumerated() {
                if [8, 12, 16, 20].contains(i) { out.append(0x2D) }
                out.append(b)
            }
        }
        let kept = out.filter { $0 != 0x2D }
        if kept.isEmpty { return (.invalid(.deviceRepeatedCharacter), []) }
        if kept.allSatisfy({ $0 == 0x30 }) { return (.invalid(.deviceAllZero), []) }
        if kept.allSatisfy({ $0 == kept[0] }) { return (.invalid(.deviceRepeatedCharacter), []) }
        return (.valid(length: out.count), out)
    }

    @Test(arguments: [1, 2, 3])
    func emailAndDevice(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
        defer { out.deallocate() }
        // Mostly plain letters, now and then a byte that changes the outcome.
        let emailLetters = Array("aZqM0.-_".utf8), emailJunk = Array("@ \u{7F}\u{1}".utf8) + [0x80]
        let hexLetters = Array("0aF9-{}Zg0000".utf8)
        var valid = (email: 0, device: 0)
        for _ in 0..<5_000 {
            // Lengths around the word size and the UUID sizes; the outer trim is bypassed by
            // never drawing a space at either end.
            let n = [Int.random(in: 0...24, using: &rng), 32, 34, 36, 38][Int.random(in: 0...4, using: &rng)]
            var email = (0..<n).map { _ in (rng.next() % 16 == 0 ? emailJunk : emailLetters).randomElement(using: &rng)! }
            if n > 4, rng.next() % 2 == 0 { email = Array("ab.cd".utf8) + email.filter { $0 != 0x40 } ; email.insert(0x40, at: 2) }
            var device = (0..<n).map { _ in hexLetters.randomElement(using: &rng)! }
            if n == 36, rng.next() % 2 == 0 { for i in [8, 13, 18, 23] { device[i] = 0x2D } }
            for (value, isEmail) in [(email, true), (device, false)] {
                guard let f = value.first, let l = value.last, !isASCIIWhitespace(f), !isASCIIWhitespace(l) else { continue }
                guard value.allSatisfy({ $0 < 0x80 }) else { continue }  // UTF-8 checks come first
                let got = value.withUnsafeBytes { Normalizer(configuration: ResolverConfiguration()).normalize($0, rule: isEmail ? .email : .deviceID, into: out) }
                if isEmail {
                    let expected = Self.referenceEmail(value)
                    #expect(got == expected, "\(value)")
                    if case .valid(let k) = got {
                        valid.email += 1
                        #expect(Array(UnsafeBufferPointer(start: out, count: k)) == value.map(Normalizer.lower))
                    }
                } else {
                    let (expected, bytes) = Self.referenceDevice(value)
                    #expect(got == expected, "\(value)")
                    if case .valid(let k) = got {
                        valid.device += 1
                        #expect(Array(UnsafeBufferPointer(start: out, count: k)) == bytes)
                    }
                }
            }
        }
        #expect(valid.email > 200 && valid.device > 200)
    }
}
