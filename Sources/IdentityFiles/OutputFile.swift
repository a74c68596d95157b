#if canImport(Glibc)
import Glibc
#endif
import IdentityResolution

/// A buffered output file written atomically: bytes go to `PATH.tmp-PID`, which replaces
/// `PATH` only on ``commit()``. A run that fails leaves no half-written output behind. The
/// disk writes of a large file start while it is still being written (every 16 MiB), so the
/// fsync before the rename mostly finds them done.
///
/// A path that names something other than a regular file (a device such as `/dev/null`, a
/// FIFO, a socket) is written directly instead: renaming a temporary file over it would
/// replace the device with a plain file. A symbolic link is followed (a dangling one too), so
/// the file it points to is written and the link is kept.
public final class OutputFile {
    /// The final path.
    public let path: String
    private let temporaryPath: String
    private var fd: Int32
    /// Whether `fd` is `path` itself (standard output, a device or FIFO): no temporary file,
    /// no rename, no fsync.
    private let direct: Bool
    /// The buffer: raw memory, so that a row is formatted in place with one capacity check
    /// (appending to an array byte by byte checked uniqueness and capacity on each byte).
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var used = 0
    private var committed = false
    /// Bytes written to the file so far, and how many of them writeback was started for.
    private var written = 0
    private var writebackStarted = 0

    /// Creates the temporary file next to `path`; `-` writes to standard output directly.
    ///
    /// - Throws: `io` with the system's reason.
    public init(path: String, bufferSize: Int = 1 << 20) throws(IDRError) {
        capacity = max(bufferSize, 64)
        buffer = .allocate(capacity: capacity)
        var st = stat()
        if path == "-" {
            self.path = path
            temporaryPath = ""
            fd = 1
            direct = true
        } else if stat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
            self.path = path
            temporaryPath = ""
            direct = true
            guard (st.st_mode & S_IFMT) != S_IFDIR else {
                buffer.deallocate()
                throw IDRError(.io, "cannot write \(path): it is a directory")
            }
            fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                buffer.deallocate()
                throw IDRError(.io, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
        } else {
            // The temporary file goes next to the file a symbolic link names, and replaces
            // that file, not the link.
            let target = FileIO.followingLinks(path)
            self.path = target
            temporaryPath = "\(target).tmp-\(getpid())"
            direct = false
            fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                buffer.deallocate()
                throw IDRError(.io, "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
            }
        }
    }

    deinit {
        if !committed, fd > 1 {
            close(fd)
            if !direct { unlink(temporaryPath) }
        }
        buffer.deallocate()
    }

    /// Makes room for `n` bytes, flushing if needed; false when `n` exceeds the whole buffer.
    @inline(__always)
    private func room(_ n: Int) throws(IDRError) -> Bool {
        if capacity - used >= n { return true }
        try flush()
        return capacity >= n
    }

    /// Appends bytes.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) throws(IDRError) {
        guard bytes.count > 0 else { return }
        if try room(bytes.count) {
            (buffer + used).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count)
            used += bytes.count
        } else {
            try writeAll(bytes.baseAddress!, bytes.count)
        }
    }

    /// Appends a string's UTF-8.
    public func write(_ s: String) throws(IDRError) {
        var s = s
        let result: Result<Void, IDRError> = s.withUTF8 { u in Result { () throws(IDRError) in try write(UnsafeRawBufferPointer(u)) } }
        try result.get()
    }

    /// Appends one byte.
    @inline(__always)
    public func write(byte: UInt8) throws(IDRError) {
        _ = try room(1)
        buffer[used] = byte
        used += 1
    }

    /// Appends an unsigned integer in decimal.
    @inline(__always)
    public func write(decimal value: UInt64) throws(IDRError) {
        _ = try room(20)
        used += formatDecimal(value, into: buffer + used)
    }

    /// Appends `field` as a CSV field, quoted only when it holds a comma, quote, CR or LF.
    public func writeCSVField(_ field: UnsafeRawBufferPointer) throws(IDRError) {
        // Quoting at most doubles the bytes, plus the two quotes.
        if try room(field.count * 2 + 2) {
            used += formatCSVField(field, into: buffer + used)
        } else if !needsQuotes(field) {
            try write(field)
        } else {
            try write(byte: 0x22)
            for b in field {
                if b == 0x22 { try write(byte: 0x22) }
                try write(byte: b)
            }
            try write(byte: 0x22)
        }
    }

    /// Appends one `record_id,entity_id` row: the key as a CSV field, a comma, the ID in
    /// decimal and a newline, with one capacity check (the write stage of a bulk resolve).
    @inline(__always)
    public func writeCSVRow(key: UnsafeRawBufferPointer, decimal value: UInt64) throws(IDRError) {
        if try room(OutputFile.maxCSVRowBytes(keyCount: key.count)) {
            used += OutputFile.formatCSVRow(key: key, decimal: value, into: buffer + used)
        } else {
            try writeCSVField(key)
            try write(byte: 0x2C)
            try write(decimal: value)
            try write(byte: 0x0A)
        }
    }

    /// The most bytes ``formatCSVRow(key:decimal:into:)`` writes for a key of `keyCount` bytes.
    @inline(__always)
    public static func maxCSVRowBytes(keyCount: Int) -> Int { keyCount * 2 + 2 + 22 }

    /// Formats the row ``writeCSVRow(key:decimal:)`` appends at `out`, which has room for
    /// ``maxCSVRowBytes(keyCount:)``; returns the bytes written. For threads that format rows
    /// into memory of their own.
    @inline(__always)
    public static func formatCSVRow(key: UnsafeRawBufferPointer, decimal value: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = formatCSVField(key, into: out)
        out[n] = 0x2C
        n += 1
        n += formatDecimal(value, into: out + n)
        out[n] = 0x0A
        return n + 1
    }

    /// Appends a string as a CSV field.
    public func writeCSVField(_ field: String) throws(IDRError) {
        var field = field
        let result: Result<Void, IDRError> = field.withUTF8 { u in
            Result { () throws(IDRError) in try writeCSVField(UnsafeRawBufferPointer(u)) }
        }
        try result.get()
    }

    /// Writes the buffer out.
    public func flush() throws(IDRError) {
        try writeAll(buffer, used)
        used = 0
    }

    private func writeAll(_ p: UnsafeRawPointer, _ count: Int) throws(IDRError) {
        var offset = 0
        while offset < count {
            let n = Glibc.write(fd, p + offset, count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw IDRError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        written += count
        if !direct, written - writebackStarted >= OutputFile.writebackStep {
            // Start writing the finished part to disk now, without waiting for it, so that the
            // fsync in commit() waits for the tail only.
            FileIO.startWriteback(fd, offset: writebackStarted, count: written - writebackStarted)
            writebackStarted = written
        }
    }

    /// How many written bytes start their writeback at once. Measured at 10M rows (336 MB):
    /// the fsync at commit took 0.09 s with all writeback left to it, 0.005 s this way; six
    /// alternated runs, write stage median 0.29 → 0.24 s.
    static let writebackStep = 16 << 20

    /// Flushes, syncs and moves the file into place.
    public func commit() throws(IDRError) {
        try flush()
        guard fd > 1 else { committed = true; return }
        if direct {
            // A device or FIFO: nothing to sync (fsync on a FIFO fails) and nothing to rename.
            let failed = close(fd) != 0
            fd = -1
            committed = true
            if failed { throw IDRError(.io, "cannot finish \(path): \(String(cString: strerror(errno)))") }
            return
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            throw IDRError(.io, "cannot finish \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        fd = -1
        guard rename(temporaryPath, path) == 0 else {
            unlink(temporaryPath)
            throw IDRError(.io, "cannot rename \(temporaryPath) to \(path): \(String(cString: strerror(errno)))")
        }
        committed = true
    }
}

/// Whether a CSV field must be quoted: it holds a comma, quote, CR or LF.
@inline(__always)
private func needsQuotes(_ field: UnsafeRawBufferPointer) -> Bool {
    for b in field where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D { return true }
    return false
}

/// Writes `field` as a CSV field at `out` (room for `2 * count + 2` bytes); returns the bytes written.
@inline(__always)
private func formatCSVField(_ field: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) -> Int {
    guard needsQuotes(field) else {
        if field.count > 0 { out.update(from: field.baseAddress!.assumingMemoryBound(to: UInt8.self), count: field.count) }
        return field.count
    }
    var n = 0
    out[n] = 0x22
    n += 1
    for b in field {
        if b == 0x22 { out[n] = 0x22; n += 1 }
        out[n] = b
        n += 1
    }
    out[n] = 0x22
    return n + 1
}

/// "00" through "99": decimal digits two at a time.
private let digitPairs: StaticString = """
    00010203040506070809101112131415161718192021222324252627282930313233343536373839\
    40414243444546474849505152535455565758596061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899
    """

/// 10^0 through 10^19: ``decimalDigits(_:)``'s correction table.
private let powersOfTen: [UInt64] = (0..<20).map { (0..<$0).reduce(1) { p, _ in p * 10 } }

/// The number of decimal digits of `value` (1 for 0): the bit length times log10(2) in fixed
/// point is the digit count less one, or one more than that, and one comparison decides.
/// (`value | 1` changes no digit count, since no power of ten above 1 is odd, and makes 0 count
/// as one digit.)
@inline(__always)
private func decimalDigits(_ value: UInt64) -> Int {
    let v = value | 1
    let t = ((64 &- v.leadingZeroBitCount) &* 1233) >> 12
    return powersOfTen.withUnsafeBufferPointer { t &- (v < $0[t] ? 1 : 0) &+ 1 }
}

/// Writes `value` in decimal at `out` (room for 20 bytes); returns the digits written.
///
/// Eight digits at a time in 32-bit arithmetic, two digits per table lookup: entity IDs have
/// 19 or 20 digits, and a division by 100 in 64 bits per pair, after a loop counting the
/// digits, took about 270 of the 446 instructions per output row (callgrind, 1M-record resolve).
@inline(__always)
private func formatDecimal(_ value: UInt64, into out: UnsafeMutablePointer<UInt8>) -> Int {
    let digits = decimalDigits(value)
    let pairs = digitPairs.utf8Start
    var end = out + digits
    @inline(__always) func pair(_ p: UInt32) {
        end -= 2
        end[0] = pairs[Int(p) &* 2]
        end[1] = pairs[Int(p) &* 2 &+ 1]
    }
    var v = value
    while v >= 100_000_000 {
        let chunk = UInt32(truncatingIfNeeded: v % 100_000_000)
        v /= 100_000_000
        let high = chunk / 10_000, low = chunk % 10_000
        pair(low % 100)
        pair(low / 100)
        pair(high % 100)
        pair(high / 100)
    }
    var rest = UInt32(truncatingIfNeeded: v)
    while rest >= 100 {
        pair(rest % 100)
        rest /= 100
    }
    if rest >= 10 {
        pair(rest)
    } else {
        out[0] = UInt8(truncatingIfNeeded: rest) &+ 0x30
    }
    return digits
}

