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

    /// The current row's unescaped bytes, fields back to back (`rowCount` used of `rowCapacity`).
    /// Managed by hand so that a ``CSVRow`` can point into it until the next call to ``next()``.
    private var row: UnsafeMutablePointer<UInt8>
    private var rowCount = 0
    private var rowCapacity = 4096
    /// End offset in `row` of each field of the current row.
    private var ends: UnsafeMutablePointer<Int>
    private var endsCount = 0
    private var endsCapacity = 64
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
        row = .allocate(capacity: rowCapacity)
        ends = .allocate(capacity: endsCapacity)
    }

    deinit {
        buffer.deallocate()
        row.deallocate()
        ends.deallocate()
    }

    /// Bytes consumed from the input so far.
    public var bytesRead: Int { input.bytesRead }

    /// Number of fields in the current row.
    public var fieldCount: Int { endsCount }

    /// The current row. It points into the reader's buffers: use it before the next call to
    /// ``next()`` and not after the reader is gone.
    @inline(__always)
    public var currentRow: CSVRow {
        CSVRow(bytes: row, ends: UnsafePointer(ends), count: endsCount)
    }

    /// Field `i` of the current row as a string (invalid UTF-8 is repaired with U+FFFD).
    public func field(_ i: Int) -> String {
        String(decoding: currentRow[i], as: UTF8.self)
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
            rowCount = 0
            endsCount = 0
            guard try peek() != nil else { return false }
            rowLine = line
            try parseRow()
            // A blank line is one empty unquoted field: skip it.
            if endsCount == 1, ends[0] == 0, !lastRowHadQuotes { continue }
            return true
        }
    }

    private var lastRowHadQuotes = false

    /// After `next()` threw on a malformed row: skips the rest of the physical line, so the
    /// next call reads the row after it. (An unterminated quoted field has consumed the input
    /// to its end: there is nothing left to skip.)
    public mutating func skipToNextLine() throws(IDRError) {
        rowCount = 0
        endsCount = 0
        while let b = try peek() {
            position += 1
            if b == 0x0A {
                line += 1
                return
            }
        }
    }

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
            let fieldStart = rowCount
            let quoted = try peek() == 0x22
            var terminatedBy: UInt8?  // 0x2C comma, 0x0A newline, nil EOF
            if quoted {
                lastRowHadQuotes = true
                position += 1
                terminatedBy = try parseQuoted(fieldStart: fieldStart)
            } else {
                terminatedBy = try parseUnquoted(fieldStart: fieldStart)
            }
            appendEnd(rowCount)
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
            appendBytes(buffer.baseAddress! + position, i - position)
            position = i
            try checkLength(fieldStart)
            if stop != 0 {
                position += 1
                if stop == 0x0A {
                    line += 1
                    if rowCount > fieldStart, row[rowCount - 1] == 0x0D { rowCount -= 1 }
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
                    appendByte(0x22)
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
            appendByte(b)
            if rowCount - fieldStart > maxFieldLength { try checkLength(fieldStart) }
        }
    }

    @inline(__always)
    private mutating func appendBytes(_ p: UnsafeRawPointer, _ n: Int) {
        if rowCount + n > rowCapacity { growRow(rowCount + n) }
        (row + rowCount).update(from: p.assumingMemoryBound(to: UInt8.self), count: n)
        rowCount += n
    }

    @inline(__always)
    private mutating func appendByte(_ b: UInt8) {
        if rowCount == rowCapacity { growRow(rowCount + 1) }
        row[rowCount] = b
        rowCount += 1
    }

    @inline(never)
    private mutating func growRow(_ needed: Int) {
        var capacity = rowCapacity * 2
        while capacity < needed { capacity *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        fresh.update(from: row, count: rowCount)
        row.deallocate()
        row = fresh
        rowCapacity = capacity
    }

    @inline(__always)
    private mutating func appendEnd(_ end: Int) {
        if endsCount == endsCapacity {
            let fresh = UnsafeMutablePointer<Int>.allocate(capacity: endsCapacity * 2)
            fresh.update(from: ends, count: endsCount)
            ends.deallocate()
            ends = fresh
            endsCapacity *= 2
        }
        ends[endsCount] = end
        endsCount += 1
    }

    @inline(__always)
    private func checkLength(_ fieldStart: Int) throws(IDRError) {
        if rowCount - fieldStart > maxFieldLength {
            throw IDRError(.limitExceeded, "line \(rowLine): field longer than \(maxFieldLength) bytes")
        }
    }
}

/// The fields of one CSV row, as byte ranges of the reader's row buffer.
public struct CSVRow {
    let bytes: UnsafeMutablePointer<UInt8>
    let ends: UnsafePointer<Int>
    /// Number of fields.
    public let count: Int

    /// Field `i`'s unescaped bytes.
    @inline(__always)
    public subscript(_ i: Int) -> UnsafeRawBufferPointer {
        let start = i == 0 ? 0 : ends[i &- 1]
        return UnsafeRawBufferPointer(start: bytes + start, count: ends[i] &- start)
    }
}
