/// Normalization of person attributes (names, dates of birth, postcodes) for fuzzy matching,
/// without Foundation: bytes in, bytes out.
///
/// Used by the bulk resolver's fuzzy matching (``FuzzyMatching``), through ``AttributeStore``.
public enum AttributeNormalizer {
    /// How an ambiguous `NN/NN/YYYY` date is read.
    public enum DateOrder: Sendable {
        /// `DD/MM/YYYY` (most of the world).
        case dayFirst
        /// `MM/DD/YYYY` (the United States).
        case monthFirst
    }

    /// A name folded for comparison: ASCII letters lowercased, Latin-1 and Latin Extended-A
    /// letters folded to ASCII (`é` → `e`, `ß` → `ss`, `Ł` → `l`), punctuation and whitespace
    /// runs made one space, trimmed. Other characters are kept as they are (so names in other
    /// scripts still compare byte by byte). Invalid UTF-8 gives nil.
    public static func name(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        return name(input, into: &out) ? out : nil
    }

    /// ``name(_:)`` into a reusable buffer (replaced); false for invalid UTF-8.
    public static func name(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var pendingSpace = false
        var i = 0
        while i < input.count {
            let b = input[i]
            if b < 0x80 {
                switch b {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                    if pendingSpace, !out.isEmpty { out.append(0x20) }
                    pendingSpace = false
                    out.append(b | 0x20)
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if pendingSpace, !out.isEmpty { out.append(0x20) }
                    pendingSpace = false
                    out.append(b)
                case UInt8(ascii: "'"): break   // O'Brien = OBrien
                default: pendingSpace = true
                }
                i += 1
                continue
            }
            guard let (scalar, length) = decodeScalar(input, at: i) else { return false }
            if (0xC0...0x17F).contains(scalar), foldTable[Int(scalar - 0xC0)].isEmpty {
                pendingSpace = true
            } else {
                if pendingSpace, !out.isEmpty { out.append(0x20) }
                pendingSpace = false
                if (0xC0...0x17F).contains(scalar) {
                    out.append(contentsOf: foldTable[Int(scalar - 0xC0)].utf8)
                } else {
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<(i + length)]))
                }
            }
            i += length
        }
        return true
    }

    /// A date as `YYYYMMDD` (e.g. 19840229), from `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`,
    /// `NN/NN/YYYY`, `NN-NN-YYYY` or `NN.NN.YYYY` (read by `order`); nil for anything else or a day
    /// that does not exist (leap years included).
    public static func date(_ input: UnsafeRawBufferPointer, order: DateOrder = .dayFirst) -> UInt32? {
        var fields: [Int] = []
        var widths: [Int] = []
        var current = -1, width = 0
        var start = 0, end = input.count
        while start < end, input[start] == 0x20 { start += 1 }
        while end > start, input[end - 1] == 0x20 { end -= 1 }
        for k in start..<end {
            let b = input[k]
            if b >= 0x30 && b <= 0x39 {
                current = (current < 0 ? 0 : current) * 10 + Int(b - 0x30)
                width += 1
                guard width <= 8 else { return nil }
            } else if b == UInt8(ascii: "-") || b == UInt8(ascii: "/") || b == UInt8(ascii: "."), current >= 0 {
                fields.append(current); widths.append(width)
                current = -1; width = 0
            } else {
                return nil
            }
        }
        guard current >= 0 else { return nil }
        fields.append(current); widths.append(width)
        let (y, m, d): (Int, Int, Int)
        if fields.count == 1, widths[0] == 8 {
            (y, m, d) = (fields[0] / 10_000, fields[0] / 100 % 100, fields[0] % 100)
        } else if fields.count == 3, widths[0] == 4, widths[1] <= 2, widths[2] <= 2 {
            (y, m, d) = (fields[0], fields[1], fields[2])
        } else if fields.count == 3, widths[2] == 4, widths[0] <= 2, widths[1] <= 2 {
            (y, m, d) = order == .dayFirst ? (fields[2], fields[1], fields[0]) : (fields[2], fields[0], fields[1])
        } else {
            return nil
        }
        guard (1...9999).contains(y), (1...12).contains(m) else { return nil }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        guard (1...days).contains(d) else { return nil }
        return UInt32(y * 10_000 + m * 100 + d)
    }

    /// A postcode: ASCII letters uppercased and digits, everything else dropped (`sw1a 1aa` →
    /// `SW1A1AA`); nil when nothing is left.
    public static func postcode(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        return postcode(input, into: &out) ? out : nil
    }

    /// ``postcode(_:)`` into a reusable buffer (replaced); false when nothing is left.
    public static func postcode(_ input: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        for b in input {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): out.append(b & ~0x20)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): out.append(b)
            default: continue
            }
        }
        return !out.isEmpty
    }

    /// The scalar at `i` and its length in bytes, or nil for invalid UTF-8 (overlong, surrogate,
    /// out of range, truncated).
    static func decodeScalar(_ s: UnsafeRawBufferPointer, at i: Int) -> (UInt32, Int)? {
        let b0 = UInt32(s[i])
        let length: Int, minimum: UInt32
        var value: UInt32
        switch b0 {
        case 0xC2...0xDF: length = 2; value = b0 & 0x1F; minimum = 0x80
        case 0xE0...0xEF: length = 3; value = b0 & 0x0F; minimum = 0x800
        case 0xF0...0xF4: length = 4; value = b0 & 0x07; minimum = 0x10000
        default: return nil
        }
        guard i + length <= s.count else { return nil }
        for k in 1..<length {
            let b = UInt32(s[i + k])
            guard b & 0xC0 == 0x80 else { return nil }
            value = value << 6 | (b & 0x3F)
        }
        guard value >= minimum, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value) else { return nil }
        return (value, length)
    }

    /// ASCII folding of U+00C0…U+017F ("" for the two signs in that range, × and ÷).
    static let foldTable: [String] = """
        a a a a a a ae c e e e e i i i i d n o o o o o - o u u u u y th ss \
        a a a a a a ae c e e e e i i i i d n o o o o o - o u u u u y th y \
        a a a a a a c c c c c c c c d d d d e e e e e e e e e e g g g g g g g g h h h h \
        i i i i i i i i i i ij ij j j k k k l l l l l l l l l l n n n n n n n n n \
        o o o o o o oe oe r r r r r r s s s s s s s s t t t t t t u u u u u u u u u u u u \
        w w y y y z z z z z z s
        """.split(separator: " ").map { $0 == "-" ? "" : String($0) }
}

extension AttributeNormalizer {
    /// ``name(_:)`` of a string, as a string.
    public static func name(_ s: String) -> String? {
        var s = s
        return s.withUTF8 { name(UnsafeRawBufferPointer($0)) }.map { String(decoding: $0, as: UTF8.self) }
    }

    /// ``date(_:order:)`` of a string.
    public static func date(_ s: String, order: DateOrder = .dayFirst) -> UInt32? {
        var s = s
        return s.withUTF8 { date(UnsafeRawBufferPointer($0), order: order) }
    }
}
