import IdentityResolution

/// Reads JSON Lines: one JSON object per line, its members mapped to a fixed list of columns.
///
/// String values are unescaped (`\uXXXX` and surrogate pairs included); numbers and `true` /
/// `false` keep their text; `null` and absent members are empty. Members not in `columns` are
/// skipped (and their names collected in ``ignoredNames``). Nested objects and arrays, malformed
/// JSON, a line longer than `maxLineLength` and anything after the object are errors naming the
/// line; blank lines are skipped. Rows are exposed like ``CSVReader``'s, one field per column.
public struct JSONLinesReader: ~Copyable {
    private let input: InputFile
    private var buffer: UnsafeMutableRawBufferPointer
    private var position = 0
    private var limit = 0
    private var atEOF = false
    private let columns: [[UInt8]]
    private var line: [UInt8] = []
    private var fields: [[UInt8]]
    private var row: UnsafeMutablePointer<UInt8>
    private var rowCapacity = 4096
    /// The current row's fields, in the row buffer.
    private var rowFields: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private let maxLineLength: Int
    /// 1-based line number of the current row.
    public private(set) var rowLine = 0
    private var nextLine = 1
    /// Member names seen that map to no column, in first-seen order.
    public private(set) var ignoredNames: [String] = []

    /// Reads `input`, mapping member names to `columns` (field i of a row is `columns[i]`).
    public init(input: InputFile, columns: [String], maxLineLength: Int = 1 << 24, chunkSize: Int = 1 << 22) {
        self.input = input
        self.columns = columns.map { Array($0.utf8) }
        self.maxLineLength = maxLineLength
        fields = Array(repeating: [], count: columns.count)
        buffer = .allocate(byteCount: max(chunkSize, 64), alignment: 16)
        row = .allocate(capacity: rowCapacity)
        rowFields = .allocate(capacity: max(columns.count, 1))
        rowFields.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: max(columns.count, 1))
    }

    deinit {
        buffer.deallocate()
        row.deallocate()
        rowFields.deallocate()
    }

    /// The current row, valid until the next call to ``next()``.
    public var currentRow: CSVRow { CSVRow(fields: UnsafePointer(rowFields), count: columns.count) }

    /// Reads the next object; returns `false` at end of input.
    ///
    /// - Throws: `corruptData` for malformed JSON (naming the line), `limitExceeded` for an
    ///   over-long line, `io` for read errors.
    public mutating func next() throws(IDRError) -> Bool {
        while true {
            let number = nextLine
            guard try readLine() else { return false }
            rowLine = number
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            try parseObject()
            return true
        }
    }

    /// Fills `line` with the next physical line (without its newline).
    private mutating func readLine() throws(IDRError) -> Bool {
        line.removeAll(keepingCapacity: true)
        var sawAny = false
        while true {
            if position == limit {
                if atEOF { return sawAny }
                position = 0
                limit = try input.read(into: buffer.baseAddress!, count: buffer.count)
                if limit == 0 { atEOF = true; return sawAny }
            }
            sawAny = true
            var i = position
            while i < limit, buffer[i] != 0x0A { i += 1 }
            line.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position..<i]))
            guard line.count <= maxLineLength else {
                throw IDRError(.limitExceeded, "line \(nextLine): longer than \(maxLineLength) bytes")
            }
            if i < limit {
                position = i + 1
                nextLine += 1
                return true
            }
            position = limit
        }
    }

    private func error(_ what: String) -> IDRError { IDRError(.corruptData, "line \(rowLine): \(what)") }

    private mutating func parseObject() throws(IDRError) {
        for i in fields.indices { fields[i].removeAll(keepingCapacity: true) }
        let result: Result<Void, IDRError> = line.withUnsafeBufferPointer { l in
            Result { () throws(IDRError) in try parse(l) }
        }
        try result.get()
        // Fields back to back in the row buffer.
        let total = fields.reduce(0) { $0 + $1.count }
        if total > rowCapacity {
            row.deallocate()
            rowCapacity = max(total, rowCapacity * 2)
            row = .allocate(capacity: rowCapacity)
        }
        var offset = 0
        for (i, f) in fields.enumerated() {
            f.withUnsafeBufferPointer { (row + offset).update(from: $0.baseAddress ?? UnsafePointer(row), count: f.count) }
            rowFields[i] = UnsafeRawBufferPointer(start: row + offset, count: f.count)
            offset += f.count
        }
    }

    private mutating func parse(_ l: UnsafeBufferPointer<UInt8>) throws(IDRError) {
        var i = 0
        func skipSpace() { while i < l.count, l[i] == 0x20 || l[i] == 0x09 || l[i] == 0x0D { i += 1 } }
        skipSpace()
        guard i < l.count, l[i] == 0x7B else { throw error("expected a JSON object") }
        i += 1
        skipSpace()
        var key: [UInt8] = []
        if i < l.count, l[i] == 0x7D {
            i += 1
        } else {
            while true {
                skipSpace()
                guard i < l.count, l[i] == 0x22 else { throw error("expected a member name") }
                key.removeAll(keepingCapacity: true)
                try string(l, &i, into: &key)
                skipSpace()
                guard i < l.count, l[i] == 0x3A else { throw error("expected ':' after a member name") }
                i += 1
                skipSpace()
                let column = columns.firstIndex(of: key)
                if column == nil {
                    let name = String(decoding: key, as: UTF8.self)
                    if !ignoredNames.contains(name), ignoredNames.count < 100 { ignoredNames.append(name) }
                }
                var value: [UInt8] = []
                guard i < l.count else { throw error("a value is missing") }
                switch l[i] {
                case 0x22:
                    try string(l, &i, into: &value)
                case 0x7B, 0x5B:
                    throw error("member \"\(String(decoding: key, as: UTF8.self))\" holds an object or array; values must be strings, numbers, booleans or null")
                case 0x6E:  // null
                    guard i + 4 <= l.count, l[i + 1] == 0x75, l[i + 2] == 0x6C, l[i + 3] == 0x6C else { throw error("invalid literal") }
                    i += 4
                default:
                    let start = i
                    while i < l.count, !(l[i] == 0x2C || l[i] == 0x7D || l[i] == 0x20 || l[i] == 0x09 || l[i] == 0x0D) { i += 1 }
                    let text = Array(l[start..<i])
                    guard text == Array("true".utf8) || text == Array("false".utf8) || isNumber(text) else {
                        throw error("invalid value \"\(String(decoding: text, as: UTF8.self))\"")
                    }
                    value = text
                }
                if let column { fields[column] = value }
                skipSpace()
                guard i < l.count else { throw error("unterminated object") }
                if l[i] == 0x2C { i += 1; continue }
                guard l[i] == 0x7D else { throw error("expected ',' or '}'") }
                i += 1
                break
            }
        }
        skipSpace()
        guard i == l.count else { throw error("text after the object") }
    }

    private func isNumber(_ t: [UInt8]) -> Bool {
        guard !t.isEmpty else { return false }
        var sawDigit = false
        for (k, b) in t.enumerated() {
            switch b {
            case 0x30...0x39: sawDigit = true
            case 0x2D, 0x2B: if k != 0, t[k - 1] != 0x65, t[k - 1] != 0x45 { return false }
            case 0x2E, 0x65, 0x45: continue
            default: return false
            }
        }
        return sawDigit
    }

    /// A JSON string starting at `l[i]` (the opening quote), unescaped into `out`.
    private func string(_ l: UnsafeBufferPointer<UInt8>, _ i: inout Int, into out: inout [UInt8]) throws(IDRError) {
        i += 1
        while true {
            guard i < l.count else { throw error("unterminated string") }
            let b = l[i]
            if b == 0x22 { i += 1; return }
            if b < 0x20 { throw error("a control character inside a string") }
            if b != 0x5C { out.append(b); i += 1; continue }
            guard i + 1 < l.count else { throw error("unterminated escape") }
            let e = l[i + 1]
            i += 2
            switch e {
            case 0x22, 0x5C, 0x2F: out.append(e)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4(l, &i)
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < l.count, l[i] == 0x5C, l[i + 1] == 0x75 else { throw error("a lone surrogate escape") }
                    i += 2
                    let low = try hex4(l, &i)
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw error("a lone surrogate escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("an invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error("an invalid escape")
            }
        }
    }

    private func hex4(_ l: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(IDRError) -> UInt32 {
        guard i + 4 <= l.count else { throw error("a short \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = l[i + k]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            default: throw error("a bad hex digit in a \\u escape")
            }
            v = v << 4 | d
        }
        i += 4
        return v
    }
}
