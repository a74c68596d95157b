/// Normalizes identifier values by their kind's rule, on bytes, without allocating.
///
/// A `Normalizer` is a small value built from a ``ResolverConfiguration``; the resolver holds
/// one and reuses a scratch buffer for its output. The same type serves the C ABI's stateless
/// `idr_normalize`.
public struct Normalizer: Sendable {
    /// ASCII digits of the default country code, e.g. `"1"` or `"44"`.
    @usableFromInline let countryCode: (UInt8, UInt8, UInt8)
    @usableFromInline let countryCodeLength: Int
    /// ASCII digit of the national trunk prefix to drop, or 0 for none.
    @usableFromInline let trunkDigit: UInt8
    /// NANP: the trunk `1` is only a trunk when the national number has 11 digits.
    @usableFromInline let trunkOnlyAtElevenDigits: Bool
    /// Drop `+tag` from email local parts.
    public let dropEmailPlusTag: Bool
    /// Drop dots from Gmail local parts and map `googlemail.com` to `gmail.com`.
    public let gmailDots: Bool
    /// Values longer than this (after trimming) are invalid (`tooLong`).
    public let maxValueLength: Int

    /// Extra bytes an output buffer needs beyond the input length (a phone number gains its
    /// country code, a 32-digit UUID gains four hyphens).
    public static let outputSlack = 40

    /// Builds a normalizer from a configuration (validated by ``ResolverConfiguration/validate()``).
    public init(configuration c: ResolverConfiguration) {
        var digits: [UInt8] = Array(String(c.defaultCountryCode).utf8)
        if digits.count > 3 { digits = [UInt8(ascii: "1")] }
        countryCodeLength = digits.count
        countryCode = (digits[0], digits.count > 1 ? digits[1] : 0, digits.count > 2 ? digits[2] : 0)
        switch c.phoneTrunkPrefix {
        case .automatic:
            if c.defaultCountryCode == 1 {
                trunkDigit = UInt8(ascii: "1"); trunkOnlyAtElevenDigits = true
            } else {
                trunkDigit = UInt8(ascii: "0"); trunkOnlyAtElevenDigits = false
            }
        case .none:
            trunkDigit = 0; trunkOnlyAtElevenDigits = false
        case .digit(let d):
            trunkDigit = UInt8(ascii: "0") &+ min(d, 9); trunkOnlyAtElevenDigits = false
        }
        dropEmailPlusTag = c.emailDropPlusTag
        gmailDots = c.emailGmailDots
        maxValueLength = c.limits.maxValueLength
    }

    /// The outcome of normalizing one value.
    public enum Outcome: Equatable, Sendable {
        /// The normalized value occupies the first `length` bytes of the output buffer.
        case valid(length: Int)
        /// The value is invalid and must not be used for linking.
        case invalid(InvalidReason)
    }

    /// Normalizes `input` by `rule` into `output`.
    ///
    /// - Parameters:
    ///   - output: at least `input.count + Normalizer.outputSlack` bytes.
    /// - Complexity: O(n), one or two passes over the bytes.
    public func normalize(
        _ input: UnsafeRawBufferPointer, rule: NormalizationRule, into output: UnsafeMutablePointer<UInt8>
    ) -> Outcome {
        guard let raw = input.baseAddress, input.count > 0 else { return .invalid(.empty) }
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        var start = 0
        var end = input.count
        while start < end, isASCIIWhitespace(bytes[start]) { start &+= 1 }
        while end > start, isASCIIWhitespace(bytes[end &- 1]) { end &-= 1 }
        let count = end &- start
        if count == 0 { return .invalid(.empty) }
        if count > maxValueLength { return .invalid(.tooLong) }
        let p = bytes + start
        guard isValidUTF8(p, count) else { return .invalid(.invalidUTF8) }
        switch rule {
        case .email: return normalizeEmail(p, count, output)
        case .phone: return normalizePhone(p, count, output)
        case .deviceID: return normalizeDevice(p, count, output)
        case .token: return normalizeToken(p, count, output)
        case .caseFolded: return copyFolding(p, count, output, lowercase: true)
        case .exact: return copyFolding(p, count, output, lowercase: false)
        }
    }

    /// Normalizes a Swift string; returns the normalized string or the reason it is invalid.
    public func normalize(_ value: String, rule: NormalizationRule) -> Result<String, InvalidReasonError> {
        var value = value
        return value.withUTF8 { utf8 in
            let capacity = utf8.count + Normalizer.outputSlack
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { out in
                switch normalize(UnsafeRawBufferPointer(utf8), rule: rule, into: out.baseAddress!) {
                case .valid(let n):
                    return .success(String(decoding: UnsafeBufferPointer(start: out.baseAddress!, count: n), as: UTF8.self))
                case .invalid(let reason):
                    return .failure(InvalidReasonError(reason: reason))
                }
            }
        }
    }
}

/// An ``InvalidReason`` as an `Error`, for `Result`-returning conveniences.
public struct InvalidReasonError: Error, Equatable, Sendable {
    /// Why the value is invalid.
    public var reason: InvalidReason
}

// MARK: - Rules

extension Normalizer {
    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { (b &- 0x41) < 26 ? b | 0x20 : b }
    @inline(__always)
    static func upper(_ b: UInt8) -> UInt8 { (b &- 0x61) < 26 ? b & 0xDF : b }
    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { (b &- 0x30) < 10 }
    @inline(__always)
    static func isHex(_ b: UInt8) -> Bool { (b &- 0x30) < 10 || (b &- 0x61) < 6 }

    func copyFolding(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: UnsafeMutablePointer<UInt8>, lowercase: Bool) -> Outcome {
        for i in 0..<n {
            let b = p[i]
            if isControlByte(b) { return .invalid(.controlCharacter) }
            out[i] = lowercase ? Normalizer.lower(b) : b
        }
        return .valid(length: n)
    }

    func normalizeToken(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) -> Outcome {
        var w = 0
        for i in 0..<n {
            let b = p[i]
            if b == 0x20 || b == 0x2D { continue }  // space, hyphen
            if isControlByte(b) { return .invalid(.controlCharacter) }
            out[w] = Normalizer.upper(b)
            w &+= 1
        }
        return w == 0 ? .invalid(.empty) : .valid(length: w)
    }

    func normalizeEmail(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) -> Outcome {
        var at = -1
        var atCount = 0
        var whitespace = false
        var i = 0
        // Eight bytes at a time (``ByteWords``), the rest one by one: the same tests and output.
        while i &+ 8 <= n {
            let w = ByteWords.load(p + i)
            if ByteWords.control(w) != 0 { return .invalid(.controlCharacter) }
            let ats = ByteWords.equal(w, 0x40)
            if ats != 0 {
                atCount &+= ats.nonzeroBitCount
                at = i &+ ByteWords.lastIndex(ats)
            }
            if ByteWords.equal(w, 0x20) != 0 { whitespace = true }
            ByteWords.store(ByteWords.lowercased(w), out + i)
            i &+= 8
        }
        while i < n {
            let b = p[i]
            if isControlByte(b) { return .invalid(.controlCharacter) }
            if b == 0x40 { atCount &+= 1; at = i }
            if b == 0x20 { whitespace = true }
            out[i] = Normalizer.lower(b)
            i &+= 1
        }
        if atCount != 1 { return .invalid(.emailAtSign) }
        if whitespace { return .invalid(.emailWhitespace) }
        var domainStart = at &+ 1
        var domainLength = n &- domainStart
        var hasDot = false
        for i in domainStart..<n where out[i] == 0x2E { hasDot = true; break }
        if !hasDot { return .invalid(.emailDomainWithoutDot) }

        var localLength = at
        var gmail = false
        if gmailDots, isGmail(out + domainStart, domainLength) {
            var w = 0
            for i in 0..<localLength where out[i] != 0x2E {
                out[w] = out[i]; w &+= 1
            }
            localLength = w
            gmail = true
        }
        if dropEmailPlusTag {
            for i in 0..<localLength where out[i] == 0x2B { localLength = i; break }
        }
        if localLength == 0 { return .invalid(.emailEmptyLocalPart) }
        out[localLength] = 0x40
        if gmail {
            // googlemail.com and gmail.com are one mailbox: both become gmail.com.
            let canonical: StaticString = "gmail.com"
            (out + (localLength &+ 1)).update(from: canonical.utf8Start, count: 9)
            domainStart = localLength &+ 1
            domainLength = 9
        } else if domainStart != localLength &+ 1 {
            // Move the domain down behind the shortened local part (regions may overlap).
            (out + (localLength &+ 1)).update(from: out + domainStart, count: domainLength)
        }
        return .valid(length: localLength &+ 1 &+ domainLength)
    }

    private func isGmail(_ d: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        func equals(_ s: StaticString) -> Bool {
            s.utf8CodeUnitCount == n && memcmpBytes(d, s.utf8Start, n)
        }
        return equals("gmail.com") || equals("googlemail.com")
    }

    func normalizePhone(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) -> Outcome {
        // Digits are gathered at offset 4 so the country code and `+` can be written in front.
        let base = out + 4
        var d = 0
        var international = p[0] == 0x2B
        for i in 0..<n {
            let b = p[i]
            if Normalizer.isDigit(b) {
                base[d] = b; d &+= 1
            } else if isControlByte(b) {
                return .invalid(.controlCharacter)
            } else if (b | 0x20) &- 0x61 < 26 {
                return .invalid(.phoneLetters)
            }
        }
        var digits = base
        if !international, d >= 2, digits[0] == 0x30, digits[1] == 0x30 {
            international = true
            digits += 2; d &-= 2
        }
        if d == 0 { return .invalid(.phoneLength) }
        var start: UnsafeMutablePointer<UInt8>
        if international {
            if digits[0] == 0x30 { return .invalid(.phoneCountryCode) }
            start = digits - 1
        } else {
            if trunkDigit != 0, digits[0] == trunkDigit, !trunkOnlyAtElevenDigits || d == 11 {
                digits += 1; d &-= 1
            }
            if d == 0 { return .invalid(.phoneLength) }
            let cc = countryCodeLength
            start = digits - cc - 1
            start[1] = countryCode.0
            if cc > 1 { start[2] = countryCode.1 }
            if cc > 2 { start[3] = countryCode.2 }
            d &+= cc
        }
        if d < 7 || d > 15 { return .invalid(.phoneLength) }
        start[0] = 0x2B
        if start != out { out.update(from: start, count: d &+ 1) }
        return .valid(length: d &+ 1)
    }

    func normalizeDevice(_ p: UnsafePointer<UInt8>, _ n: Int, _ out: UnsafeMutablePointer<UInt8>) -> Outcome {
        var i = 0
        while i &+ 8 <= n {
            let w = ByteWords.load(p + i)
            if ByteWords.control(w) != 0 { return .invalid(.controlCharacter) }
            ByteWords.store(ByteWords.lowercased(w), out + i)
            i &+= 8
        }
        while i < n {
            let b = p[i]
            if isControlByte(b) { return .invalid(.controlCharacter) }
            out[i] = Normalizer.lower(b)
            i &+= 1
        }
        var length = n
        // UUID shapes: optional braces around 8-4-4-4-12 or 32 hex digits.
        var s = 0
        var e = n
        if n >= 2, out[0] == 0x7B, out[n - 1] == 0x7D { s = 1; e = n - 1 }
        let inner = e &- s
        if inner == 36, isHyphenatedUUID(out + s) {
            if s != 0 { out.update(from: out + s, count: 36) }
            length = 36
        } else if inner == 32, (s..<e).allSatisfy({ Normalizer.isHex(out[$0]) }) {
            if s != 0 { out.update(from: out + s, count: 32) }
            // Spread the 32 digits into 8-4-4-4-12, from the back so nothing is overwritten early.
            var src = 31
            var dst = 35
            while dst >= 0 {
                if dst == 8 || dst == 13 || dst == 18 || dst == 23 {
                    out[dst] = 0x2D
                } else {
                    out[dst] = out[src]; src &-= 1
                }
                dst &-= 1
            }
            length = 36
        }
        // Junk: only hyphens, all zeros, or one character repeated (hyphens aside).
        var k = 0
        while k < length, out[k] == 0x2D { k &+= 1 }
        if k == length { return .invalid(.deviceRepeatedCharacter) }  // only hyphens
        let first = out[k]
        if isOneByteWithHyphens(out, length, first) {
            return .invalid(first == 0x30 ? .deviceAllZero : .deviceRepeatedCharacter)
        }
        return .valid(length: length)
    }

    /// Whether every byte of `u[0 ..< n]` is `b` or a hyphen.
    private func isOneByteWithHyphens(_ u: UnsafeMutablePointer<UInt8>, _ n: Int, _ b: UInt8) -> Bool {
        var i = 0
        while i &+ 8 <= n {
            let w = ByteWords.load(u + i)
            if ByteWords.equal(w, b) | ByteWords.equal(w, 0x2D) != ByteWords.highs { return false }
            i &+= 8
        }
        while i < n {
            if u[i] != b && u[i] != 0x2D { return false }
            i &+= 1
        }
        return true
    }

    /// Whether the 36 bytes at `u` are lowercase 8-4-4-4-12 hex with hyphens: four words and
    /// one overlapping the last, each checked against where its hyphens must be.
    private func isHyphenatedUUID(_ u: UnsafePointer<UInt8>) -> Bool {
        // Hyphens at 8 and 13 (bytes 0 and 5 of the word at 8), 18 and 23 (bytes 2 and 7 of
        // the word at 16).
        @inline(__always) func word(_ offset: Int, hyphens: UInt64) -> Bool {
            let w = ByteWords.load(u + offset)
            return ByteWords.equal(w, 0x2D) == hyphens && ByteWords.lowerHex(w) == ByteWords.highs & ~hyphens
        }
        return word(0, hyphens: 0) && word(8, hyphens: 0x0000_8000_0000_0080) && word(16, hyphens: 0x8000_0000_0080_0000)
            && word(24, hyphens: 0) && word(28, hyphens: 0)
    }
}

/// Byte equality of two regions.
@inline(__always)
package func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i &+ 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
            return false
        }
        i &+= 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i &+= 1
    }
    return true
}
