/// A phonetic code for blocking on names: names that sound alike (`smith`, `smyth`; `cathy`,
/// `kathy`; `phillips`, `filips`) usually share it.
///
/// Soundex's consonant classes, with two changes that suit blocking: the first letter is coded
/// like the others (so `c`/`k` and `ph`/`f` starts agree), and `ph` is read as `f`. Vowels and
/// `y` separate repeated codes, `h` and `w` do not; at most 6 codes are kept.
public enum Phonetic {
    /// Soundex classes for `a`…`z`: 0 for vowels and `y` (separators), 9 for `h` and `w`
    /// (ignored), else the class digit.
    private static let classes: [UInt8] = [
        0, 1, 2, 3, 0, 1, 2, 9, 0, 2, 2, 4, 5, 5, 0, 1, 2, 6, 2, 3, 0, 1, 9, 2, 0, 2,
    ]

    /// The code of a folded name (lowercase ASCII letters; other bytes are skipped), as ASCII
    /// digits; a name starting with a vowel starts with `0`. Empty for a name without letters.
    public static func code(_ name: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var last: UInt8 = 255
        var i = 0
        var first = true
        while i < name.count, out.count < 6 {
            let b = name[i]
            i += 1
            guard b >= 0x61, b <= 0x7A else { continue }
            var c = classes[Int(b - 0x61)]
            if b == UInt8(ascii: "p"), i < name.count, name[i] == UInt8(ascii: "h") {
                c = 1
                i += 1
            }
            if first {
                out.append(0x30 + (c == 9 ? 0 : c))
                last = c
                first = false
                continue
            }
            if c == 9 { continue }
            if c == 0 { last = 0; continue }
            if c != last { out.append(0x30 + c) }
            last = c
        }
    }

    /// ``code(_:into:)`` of a string.
    public static func code(_ name: String) -> String {
        var out: [UInt8] = []
        var s = name
        s.withUTF8 { code(UnsafeRawBufferPointer($0), into: &out) }
        return String(decoding: out, as: UTF8.self)
    }
}
