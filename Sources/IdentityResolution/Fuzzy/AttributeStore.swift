/// Normalizes person attributes (see ``FuzzyMatching``) and keeps them per record in one arena.
///
/// Each record has six slots, one per attribute kind: `offset << 8 | length` into ``bytes``,
/// 0 when the record has no (valid, non-placeholder) value. The first value given for an
/// attribute wins; a record key added again only fills attributes it lacked. Slots exist only
/// once any record carried an attribute, so a resolver without attributes pays nothing.
package struct AttributeStore: Sendable {
    /// Longest normalized attribute kept, in bytes; longer values are invalid (`tooLong`).
    package static let maxLength = 255

    /// Normalized values, back to back.
    package private(set) var bytes: [UInt8] = []
    /// Six slots per record (empty until the first attribute arrives).
    package private(set) var slots: [UInt64] = []
    /// Whether any record carries an attribute.
    package var isActive: Bool { !slots.isEmpty }

    private let dateOrder: AttributeNormalizer.DateOrder
    private var nicknames: [[UInt8]: [UInt8]] = [:]
    private var placeholderNames: Set<[UInt8]> = []
    private let placeholderDates: [UInt32]
    private var streetWords: [[UInt8]: [UInt8]] = [:]
    private let usePlaceholders: Bool
    private var scratch: [UInt8] = []
    private var word: [UInt8] = []

    /// What normalizing one attribute value gave.
    package enum Outcome: Equatable {
        /// A value, in the output buffer.
        case valid
        /// A placeholder: treated as missing and counted.
        case placeholder
        /// Not a value of this attribute.
        case invalid(InvalidReason)
    }

    package init(configuration f: FuzzyMatching) {
        dateOrder = f.dateOrder
        usePlaceholders = f.builtInPlaceholders
        placeholderDates = f.builtInPlaceholders ? AttributeTables.placeholderDates : []
        for name in AttributeTables.placeholderNames where f.builtInPlaceholders {
            placeholderNames.insert(Array(name.utf8))
        }
        if f.builtInNicknames {
            for (nick, canonical) in AttributeTables.nicknames { nicknames[Array(nick.utf8)] = Array(canonical.utf8) }
        }
        for (nick, canonical) in f.nicknames {
            if let n = AttributeNormalizer.name(nick), let c = AttributeNormalizer.name(canonical), !n.isEmpty, !c.isEmpty {
                nicknames[Array(n.utf8)] = Array(c.utf8)
            }
        }
        for (word, short) in AttributeTables.streetWords { streetWords[Array(word.utf8)] = Array(short.utf8) }
    }

    /// Normalizes `input` as an attribute of `kind` into `out` (replaced; no allocation once
    /// `out` and the store's scratch have grown).
    package mutating func normalize(_ kind: IdentifierKind, _ input: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Outcome {
        out.removeAll(keepingCapacity: true)
        if input.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .invalid(.controlCharacter) }
        switch kind {
        case .dateOfBirth:
            guard let d = AttributeNormalizer.date(input, order: dateOrder) else {
                return isBlank(input) ? .invalid(.empty) : .invalid(.dateFormat)
            }
            if placeholderDates.contains(d) { return .placeholder }
            var x = d
            for _ in 0..<8 { out.append(0) }
            for i in stride(from: 7, through: 0, by: -1) {
                out[i] = 0x30 + UInt8(x % 10)
                x /= 10
            }
            return .valid
        case .postcode:
            guard AttributeNormalizer.postcode(input, into: &out) else { return .invalid(.empty) }
            guard out.count <= Self.maxLength else { return .invalid(.tooLong) }
            // 00000, 99999: one repeated character is what forms put in a required field.
            if usePlaceholders, out.count >= 4, out.allSatisfy({ $0 == out[0] }) { return .placeholder }
            return .valid
        case .address:
            guard AttributeNormalizer.name(input, into: &scratch) else { return .invalid(.invalidUTF8) }
            guard !scratch.isEmpty else { return .invalid(.empty) }
            guard scratch.count <= Self.maxLength else { return .invalid(.tooLong) }
            abbreviateStreet(scratch, into: &out)
            return .valid
        default:
            guard AttributeNormalizer.name(input, into: &out) else { return .invalid(.invalidUTF8) }
            guard !out.isEmpty else { return .invalid(.empty) }
            guard out.count <= Self.maxLength else { return .invalid(.tooLong) }
            if placeholderNames.contains(out) { return .placeholder }
            if kind == .firstName, let canonical = nicknames[out] { out = canonical }
            return .valid
        }
    }

    /// Each space-separated word of `s` replaced by its abbreviation when it has one.
    private mutating func abbreviateStreet(_ s: [UInt8], into out: inout [UInt8]) {
        var start = 0
        while start < s.count {
            var end = start
            while end < s.count, s[end] != 0x20 { end += 1 }
            word.removeAll(keepingCapacity: true)
            word.append(contentsOf: s[start..<end])
            if !out.isEmpty { out.append(0x20) }
            if let short = streetWords[word] { out.append(contentsOf: short) } else { out.append(contentsOf: word) }
            start = end + 1
        }
    }

    private func isBlank(_ input: UnsafeRawBufferPointer) -> Bool { input.allSatisfy { $0 == 0x20 || $0 == 0x09 } }

    /// Gives slots to every record up to `records` (called when the first attribute arrives and
    /// for each new record after that).
    package mutating func grow(toRecords records: Int) {
        let needed = records * IdentifierKind.attributeCount
        if slots.count < needed { slots.append(contentsOf: repeatElement(0, count: needed - slots.count)) }
    }

    /// Stores a normalized value for `record` unless it already has one; returns whether stored.
    @discardableResult
    package mutating func set(record: Int, attribute: Int, _ value: UnsafeRawBufferPointer) -> Bool {
        let s = record * IdentifierKind.attributeCount + attribute
        guard slots[s] == 0, !value.isEmpty else { return false }
        slots[s] = UInt64(bytes.count) << 8 | UInt64(value.count)
        bytes.append(contentsOf: value)
        return true
    }

    /// The slot of one record's attribute (0 when missing).
    @inline(__always)
    package func slot(record: Int, attribute: Int) -> UInt64 {
        slots[record * IdentifierKind.attributeCount + attribute]
    }

    /// The value of one record's attribute as a string, or nil.
    package func string(record: Int, attribute: Int) -> String? {
        guard isActive else { return nil }
        let s = slot(record: record, attribute: attribute)
        guard s != 0 else { return nil }
        let start = Int(s >> 8)
        return String(decoding: bytes[start..<(start + Int(s & 0xFF))], as: UTF8.self)
    }
}
