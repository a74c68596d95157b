#if canImport(Glibc)
import Glibc
#endif
import IdentityResolution

/// An RFC 4180 CSV reader over bytes.
///
/// Accepts a UTF-8 byte order mark, quoted fields with doubled quotes, CRLF or LF line ends and
/// newlines inside quoted fields. Blank lines are skipped. A quote inside an unquoted field is
/// kept as data (real exports contain `5'11"`); an unterminated quoted field, text after a
/// closing quote, an over-long field or row are errors naming the line where the row starts.
///
/// Fields of the current row point into the read buffer itself: a row is parsed where it was
/// read, and only a quoted field with doubled quotes is copied (unescaped) elsewhere. A row
/// that runs past the end of the buffer is moved to its front, more input is read behind it
/// (the buffer doubles if the row fills it) and the row is parsed again from its start.
/// Copying every field into a row buffer cost about 1,000 instructions per row (callgrind,
/// 1M generated records: the memmove calls and the byte-at-a-time scan around them).
public struct CSVReader: ~Copyable {
    private let input: InputFile
    /// Input bytes; `buffer[position ..< limit]` are read and not yet parsed.
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var position = 0
    private var limit = 0
    private var atEOF = false
    private var started = false

    /// Unescaped quoted fields of the current row. It is as large as the buffer, which holds
    /// the whole row, and unescaping never lengthens a field, so it never fills within a row
    /// (its fields' pointers stay valid until the next row).
    private var unescaped: UnsafeMutablePointer<UInt8>
    private var unescapedCount = 0
    /// The current row's fields.
    private var fields: UnsafeMutablePointer<UnsafeRawBufferPointer>
    private var fieldsCount = 0
    private var fieldsCapacity = 64
    /// Whether the current row had a quoted field (a quoted empty field is not a blank line).
    private var rowHadQuotes = false
    /// Largest allowed field, in bytes.
    public let maxFieldLength: Int
    /// 1-based line on which the current row starts.
    public private(set) var rowLine = 0
    private var line = 1

    /// Reads `input` with the given field limit (default 1 MiB) and chunk size.
    public init(input: InputFile, maxFieldLength: Int = 1 << 20, chunkSize: Int = 1 << 22) {
        self.input = input
        self.maxFieldLength = maxFieldLength
        capacity = max(chunkSize, 64)
        buffer = .allocate(byteCount: capacity, alignment: 16)
        unescaped = .allocate(capacity: capacity)
        fields = .allocate(capacity: fieldsCapacity)
    }

    deinit {
        buffer.deallocate()
        unescaped.deallocate()
        fields.deallocate()
    }

    /// Bytes consumed from the input so far.
    public var bytesRead: Int { input.bytesRead }

    /// Number of fields in the current row.
    public var fieldCount: Int { fieldsCount }

    /// The current row. It points into the reader's buffers: use it before the next call to
    /// ``next()`` and not after the reader is gone.
    @inline(__always)
    public var currentRow: CSVRow {
        CSVRow(fields: UnsafePointer(fields), count: fieldsCount)
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
            try refill(keepingFrom: 0)
            if limit >= 3, byte(0) == 0xEF, byte(1) == 0xBB, byte(2) == 0xBF { position = 3 }
        }
        while true {
            fieldsCount = 0
            guard try hasInput() else { return false }
            rowLine = line
            try parseRow()
            // A blank line is one empty unquoted field: skip it.
            if fieldsCount == 1, fields[0].count == 0, !rowHadQuotes { continue }
            return true
        }
    }

    /// After `next()` threw on a malformed row: skips the rest of the physical line, so the
    /// next call reads the row after it. (An unterminated quoted field has consumed the input
    /// to its end: there is nothing left to skip.)
    public mutating func skipToNextLine() throws(IDRError) {
        fieldsCount = 0
        while try hasInput() {
            if let nl = memchr(buffer + position, 0x0A, limit - position) {
                position = buffer.distance(to: nl) + 1
                line += 1
                return
            }
            position = limit
        }
    }

    @inline(__always)
    private func byte(_ i: Int) -> UInt8 { buffer.load(fromByteOffset: i, as: UInt8.self) }

    /// Whether unparsed input is left, reading more when the buffer is used up.
    @inline(__always)
    private mutating func hasInput() throws(IDRError) -> Bool {
        if position < limit { return true }
        if atEOF { return false }
        try refill(keepingFrom: position)
        return position < limit
    }

    /// Moves `buffer[start ..< limit]` to the front (doubling the buffer when that is all of
    /// it), then reads more input behind it. `position` becomes `start`'s new offset, 0.
    private mutating func refill(keepingFrom start: Int) throws(IDRError) {
        let keep = limit - start
        if keep > 0, start > 0 { memmove(buffer, buffer + start, keep) }
        if keep == capacity {
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity * 2, alignment: 16)
            grown.copyMemory(from: buffer, byteCount: keep)
            buffer.deallocate()
            buffer = grown
            unescaped.deallocate()
            unescaped = .allocate(capacity: capacity * 2)
            capacity *= 2
        }
        position = 0
        limit = keep
        let n = try input.read(into: buffer + limit, count: capacity - limit)
        if n == 0 { atEOF = true }
        limit += n
    }

    /// How a row's scan ended: the row is complete, or the buffer ended inside it.
    private enum Scan { case row, needMore }

    /// Parses one row from `position`, reading more input (and parsing the row again from
    /// its start) while the buffer ends inside it.
    private mutating func parseRow() throws(IDRError) {
        let lineAtStart = line
        while true {
            if try scanRow() == .row { return }
            // The row's fields point into the buffer, which moves: start the row again.
            try refill(keepingFrom: position)
            line = lineAtStart
        }
    }

    /// Scans the row starting at `position` into `fields`. On `.needMore`, `position` is still
    /// the row's start and the fields are to be discarded.
    private mutating func scanRow() throws(IDRError) -> Scan {
        fieldsCount = 0
        unescapedCount = 0
        rowHadQuotes = false
        var p = position
        while true {
            if p == limit {
                guard atEOF else { return .needMore }
                // The input ends after a comma: an empty last field.
                appendField(UnsafeRawBufferPointer(start: buffer + p, count: 0))
                position = p
                return .row
            }
            if byte(p) == 0x22 {
                rowHadQuotes = true
                switch try scanQuoted(from: p + 1) {
                case .next(let next): p = next
                case .rowEnded: return .row
                case .needMore: return .needMore
                }
                continue
            }
            let e = firstSeparator(from: p)
            if e - p > maxFieldLength { throw fieldTooLong(at: p + maxFieldLength + 1) }
            if e == limit, !atEOF { return .needMore }
            if e == limit {
                // The input ends inside the field (no final newline).
                appendField(UnsafeRawBufferPointer(start: buffer + p, count: e - p))
                position = e
                return .row
            }
            if byte(e) == 0x2C {
                appendField(UnsafeRawBufferPointer(start: buffer + p, count: e - p))
                p = e + 1
                continue
            }
            // A newline ends the row; a CR before it belongs to the line end.
            line += 1
            let end = e > p && byte(e - 1) == 0x0D ? e - 1 : e
            appendField(UnsafeRawBufferPointer(start: buffer + p, count: end - p))
            position = e + 1
            return .row
        }
    }

    /// What follows a quoted field: the next field's start, the row's end (`position` set past
    /// it), or the buffer's end before either is known.
    private enum QuotedEnd { case next(Int), rowEnded, needMore }

    /// Scans a quoted field whose content starts at `start` (after the opening quote) and what
    /// follows its closing quote.
    private mutating func scanQuoted(from start: Int) throws(IDRError) -> QuotedEnd {
        var segment = start
        // Where the field's unescaped copy starts, once a doubled quote made one necessary.
        var copyStart: Int?
        var length = 0
        while true {
            let searched = limit - segment
            guard let q = searched > 0 ? memchr(buffer + segment, 0x22, searched) : nil else {
                if length + searched > maxFieldLength { throw fieldTooLong(quotedFrom: start) }
                if atEOF {
                    position = limit
                    throw IDRError(.corruptData, "line \(rowLine): unterminated quoted field")
                }
                return .needMore
            }
            let quote = buffer.distance(to: q)
            length += quote - segment
            if length > maxFieldLength { throw fieldTooLong(quotedFrom: start) }
            // The byte after the quote decides: another quote (an escaped one) or the end.
            if quote + 1 == limit, !atEOF { return .needMore }
            if quote + 1 < limit, byte(quote + 1) == 0x22 {
                if copyStart == nil { copyStart = unescapedCount }
                appendUnescaped(from: segment, count: quote - segment + 1)
                length += 1
                if length > maxFieldLength { throw fieldTooLong(quotedFrom: start) }
                segment = quote + 2
                continue
            }
            countNewlines(from: start, to: quote)
            if let copyStart {
                appendUnescaped(from: segment, count: quote - segment)
                appendField(UnsafeRawBufferPointer(start: unescaped + copyStart, count: unescapedCount - copyStart))
            } else {
                appendField(UnsafeRawBufferPointer(start: buffer + start, count: quote - start))
            }
            return try afterClosingQuote(quote + 1)
        }
    }

    /// What follows a closing quote at `a`: a comma, a line end, the end of input, or an error.
    private mutating func afterClosingQuote(_ a: Int) throws(IDRError) -> QuotedEnd {
        if a == limit {
            guard atEOF else { return .needMore }
            position = a
            return .rowEnded
        }
        switch byte(a) {
        case 0x2C:
            return .next(a + 1)
        case 0x0A:
            line += 1
            position = a + 1
            return .rowEnded
        case 0x0D:
            if a + 1 == limit, !atEOF { return .needMore }
            if a + 1 < limit, byte(a + 1) == 0x0A {
                line += 1
                position = a + 2
                return .rowEnded
            }
            position = a + 1
        default:
            position = a
        }
        throw IDRError(.corruptData, "line \(line): unexpected text after a closing quote")
    }

    /// Index of the first comma or newline in `buffer[from ..< limit]`, or `limit`: eight bytes
    /// per step (a word's bytes equal to the separator become zero; the lowest zero byte is
    /// found exactly, as borrows only run upwards). Not through the core's ``ByteWords``:
    /// across the module boundary its functions are calls, not inlined (callgrind: 560 -> 1,050
    /// instructions per row when tried).
    @inline(__always)
    private func firstSeparator(from start: Int) -> Int {
        var i = start
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        while i &+ 8 <= limit {
            let w = buffer.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let c = w ^ 0x2C2C_2C2C_2C2C_2C2C, n = w ^ 0x0A0A_0A0A_0A0A_0A0A
            let found = ((c &- ones) & ~c | (n &- ones) & ~n) & highs
            if found != 0 { return i &+ found.trailingZeroBitCount >> 3 }
            i &+= 8
        }
        while i < limit {
            let b = byte(i)
            if b == 0x2C || b == 0x0A { return i }
            i &+= 1
        }
        return limit
    }

    /// Counts the newlines inside a quoted field's raw content.
    private mutating func countNewlines(from start: Int, to end: Int) {
        var i = start
        while i < end, let nl = memchr(buffer + i, 0x0A, end - i) {
            line += 1
            i = buffer.distance(to: nl) + 1
        }
    }

    @inline(__always)
    private mutating func appendUnescaped(from start: Int, count n: Int) {
        (unescaped + unescapedCount).update(from: (buffer + start).assumingMemoryBound(to: UInt8.self), count: n)
        unescapedCount += n
    }

    @inline(__always)
    private mutating func appendField(_ field: UnsafeRawBufferPointer) {
        if fieldsCount == fieldsCapacity { growFields() }
        fields[fieldsCount] = field
        fieldsCount += 1
    }

    @inline(never)
    private mutating func growFields() {
        let fresh = UnsafeMutablePointer<UnsafeRawBufferPointer>.allocate(capacity: fieldsCapacity * 2)
        fresh.update(from: fields, count: fieldsCount)
        fields.deallocate()
        fields = fresh
        fieldsCapacity *= 2
    }

    /// The error for an unquoted field longer than the limit; the rest of its line is skipped
    /// from `stop`, just past the limit (the same place however the input was read).
    @inline(never)
    private mutating func fieldTooLong(at stop: Int) -> IDRError {
        position = stop
        return IDRError(.limitExceeded, "line \(rowLine): field longer than \(maxFieldLength) bytes")
    }

    /// The same for a quoted field whose content starts at `start`: the rest of the line is
    /// skipped from the raw byte at which its unescaped length passed the limit. Every quote
    /// before that byte is one of a doubled pair (the closing quote was not reached).
    @inline(never)
    private mutating func fieldTooLong(quotedFrom start: Int) -> IDRError {
        var i = start, length = 0
        while length <= maxFieldLength {
            i += byte(i) == 0x22 ? 2 : 1
            length += 1
        }
        countNewlines(from: start, to: i)
        return fieldTooLong(at: i)
    }
}

/// The fields of one row, as byte ranges of a reader's buffers.
public struct CSVRow {
    let fields: UnsafePointer<UnsafeRawBufferPointer>
    /// Number of fields.
    public let count: Int

    /// A row of `count` fields at `fields`.
    init(fields: UnsafePointer<UnsafeRawBufferPointer>, count: Int) {
        self.fields = fields
        self.count = count
    }

    /// Field `i`'s unescaped bytes.
    @inline(__always)
    public subscript(_ i: Int) -> UnsafeRawBufferPointer { fields[i] }
}
