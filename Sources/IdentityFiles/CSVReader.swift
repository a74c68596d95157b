import IdentityResolution

/// An RFC 4180 CSV reader over bytes.
///
/// Accepts a UTF-8 byte order mark, quoted fields with doubled quotes, CRLF or LF line ends and
/// newlines inside quoted fields. Blank lines are skipped. A quote inside an unquoted field is
/// kept as data (real exports contain `5'11"`); an unterminated quoted field, text after a
/// closing quote, an over-long field or row are errors naming the line where the row starts.
///
/// Fields of the current row are byte ranges into one reusable buffer: no allocation per field.
public struct CSVReader: ~Copyable {
    private let input: InputFile
    private var buffer: UnsafeMutableRawBufferPointer
    private var position = 0
    private var limit = 0
    private var atEOF = false
    private var started = false

    /// The current row's unescaped bytes, fields back to back.
    private var row: [UInt8] = []
    /// End offset in `row` of each field of the current row.
    private var ends: [Int] = []
    /// Largest allowed field, in bytes.
    public let maxFieldLength: Int
    /// 1-based line on which the current row starts.
    public private(set) var rowLine = 0
    private var line = 1

    /// Reads `input` with the given field limit (default 1 MiB) and chunk size.
    public init(input: InputFile, maxFieldLength: Int = 1 << 20, chunkSize: Int = 1 << 22) {
        self.input = input
        self.maxFieldLength = maxFieldLength
        buffer = .allocate(byteCount: max(chunkSize, 64), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Bytes consumed from the input so far.
    public var bytesRead: Int { input.bytesRead }

    /// Number of fields in the current row.
    public var fieldCount: Int { ends.count }

    /// Calls `body` with field `i` of the current row.
    @inline(__always)
    public func withField<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws(IDRError) -> R) throws(IDRError) -> R {
        let start = i == 0 ? 0 : ends[i - 1]
        let end = ends[i]
        let result: Result<R, IDRError> = row.withUnsafeBytes { all in
            Result { () throws(IDRError) -> R in try body(UnsafeRawBufferPointer(rebasing: all[start..<end])) }
        }
        return try result.get()
    }

    /// Calls `body` with a view of every field of the current row; the view is valid only
    /// inside `body`.
    public func withRow<R>(_ body: (CSVRow) throws(IDRError) -> R) throws(IDRError) -> R {
        let result: Result<R, IDRError> = row.withUnsafeBytes { bytes in
            ends.withUnsafeBufferPointer { e in
                Result { () throws(IDRError) -> R in try body(CSVRow(bytes: bytes, ends: e)) }
            }
        }
        return try result.get()
    }

    /// Field `i` of the current row as a string (invalid UTF-8 is repaired with U+FFFD).
    public func field(_ i: Int) -> String {
        let start = i == 0 ? 0 : ends[i - 1]
        return String(decoding: row[start..<ends[i]], as: UTF8.self)
    }

    /// Reads the next row; returns `false` at end of input.
    ///
    /// - Throws: `corruptData` naming the line for malformed CSV; `io` for read errors.
    public mutating func next() throws(IDRError) -> Bool {
        if !started {
            started = true
            try fill()
            if limit - position >= 3, buffer[position] == 0xEF, buffer[position + 1] == 0xBB, buffer[position + 2] == 0xBF {
                position += 3
            }
        }
        while true {
            row.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            guard try peek() != nil else { return false }
            rowLine = line
            try parseRow()
            // A blank line is one empty unquoted field: skip it.
            if ends.count == 1, ends[0] == 0, !lastRowHadQuotes { continue }
            return true
        }
    }

    private var lastRowHadQuotes = false

    @inline(__always)
    private mutating func peek() throws(IDRError) -> UInt8? {
        if position == limit {
            if atEOF { return nil }
            try fill()
            if position == limit { return nil }
        }
        return buffer[position]
    }

    private mutating func fill() throws(IDRError) {
        position = 0
        limit = try input.read(into: buffer.baseAddress!, count: buffer.count)
        if limit == 0 { atEOF = true }
    }

    private mutating func parseRow() throws(IDRError) {
        lastRowHadQuotes = false
        while true {
            let fieldStart = row.count
            let quoted = try peek() == 0x22
            var terminatedBy: UInt8?  // 0x2C comma, 0x0A newline, nil EOF
            if quoted {
                lastRowHadQuotes = true
                position += 1
                terminatedBy = try parseQuoted(fieldStart: fieldStart)
            } else {
                terminatedBy = try parseUnquoted(fieldStart: fieldStart)
            }
            ends.append(row.count)
            if terminatedBy != 0x2C { return }
        }
    }

    /// Reads an unquoted field up to a comma, newline or end of input; returns the terminator.
    private mutating func parseUnquoted(fieldStart: Int) throws(IDRError) -> UInt8? {
        while true {
            if position == limit {
                if atEOF { return nil }
                try fill()
                if position == limit { return nil }
            }
            // Scan the chunk for the next separator and copy the run in one go.
            var i = position
            var stop: UInt8 = 0
            while i < limit {
                let b = buffer[i]
                if b == 0x2C || b == 0x0A { stop = b; break }
                i += 1
            }
            row.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position..<i]))
            position = i
            try checkLength(fieldStart)
            if stop != 0 {
                position += 1
                if stop == 0x0A {
                    line += 1
                    if row.count > fieldStart, row[row.count - 1] == 0x0D { row.removeLast() }
                }
                return stop
            }
        }
    }

    /// Reads a quoted field after its opening quote; returns the byte after the closing quote.
    private mutating func parseQuoted(fieldStart: Int) throws(IDRError) -> UInt8? {
        while true {
            guard let b = try peek() else {
                throw IDRError(.corruptData, "line \(rowLine): unterminated quoted field")
            }
            position += 1
            if b == 0x22 {
                let after = try peek()
                if after == 0x22 {
                    row.append(0x22)
                    position += 1
                    continue
                }
                // Closing quote: a separator, CRLF or end of input must follow.
                switch after {
                case nil:
                    return nil
                case 0x2C:
                    position += 1
                    return 0x2C
                case 0x0A:
                    position += 1; line += 1
                    return 0x0A
                case 0x0D:
                    position += 1
                    if try peek() == 0x0A {
                        position += 1; line += 1
                        return 0x0A
                    }
                    fallthrough
                default:
                    throw IDRError(.corruptData, "line \(line): unexpected text after a closing quote")
                }
            }
            if b == 0x0A { line += 1 }
            row.append(b)
            if row.count - fieldStart > maxFieldLength { try checkLength(fieldStart) }
        }
    }

    @inline(__always)
    private func checkLength(_ fieldStart: Int) throws(IDRError) {
        if row.count - fieldStart > maxFieldLength {
            throw IDRError(.limitExceeded, "line \(rowLine): field longer than \(maxFieldLength) bytes")
        }
    }
}

/// The fields of one CSV row, as byte ranges of one buffer.
public struct CSVRow {
    let bytes: UnsafeRawBufferPointer
    let ends: UnsafeBufferPointer<Int>

    /// Number of fields.
    public var count: Int { ends.count }

    /// Field `i`'s unescaped bytes.
    @inline(__always)
    public subscript(_ i: Int) -> UnsafeRawBufferPointer {
        let start = i == 0 ? 0 : ends[i &- 1]
        return UnsafeRawBufferPointer(rebasing: bytes[start..<ends[i]])
    }
}
