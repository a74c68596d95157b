/// Appends little-endian integers and length-prefixed bytes to a buffer.
package struct ByteWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Empties the writer, keeping its memory (a writer that streams its bytes out in parts).
    package mutating func clear() { bytes.removeAll(keepingCapacity: true) }

    /// Overwrites every byte written so far with zero (before ``clear()``, for bytes that must not
    /// stay in memory).
    package mutating func zero() {
        bytes.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) }
    }

    @inline(__always)
    package mutating func u8(_ v: UInt8) { bytes.append(v) }

    @inline(__always)
    package mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    @inline(__always)
    package mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    package mutating func raw(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }

    /// Overwrites the 8 bytes at `offset` (written before) with `v`, little-endian.
    package mutating func patch64(at offset: Int, _ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { b in
            for i in 0..<8 { bytes[offset + i] = b[i] }
        }
    }

    /// Overwrites the 4 bytes at `offset` (written before) with `v`, little-endian.
    package mutating func patch32(at offset: Int, _ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { b in
            for i in 0..<4 { bytes[offset + i] = b[i] }
        }
    }

    /// A u32 length, then the bytes.
    package mutating func blob(_ b: UnsafeRawBufferPointer) {
        u32(UInt32(b.count))
        bytes.append(contentsOf: b)
    }

    package mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { blob(UnsafeRawBufferPointer($0)) }
    }
}

/// Reads what `ByteWriter` wrote, checking every length against the bytes that remain: a
/// truncated or corrupted input throws `corruptData`, never reads out of bounds and never
/// allocates more than the input could describe.
package struct ByteReader {
    private let base: UnsafeRawBufferPointer
    package private(set) var offset: Int
    private let end: Int
    private let what: String

    /// Reads `buffer[range]`; `what` names the input in error messages.
    package init(_ buffer: UnsafeRawBufferPointer, range: Range<Int>? = nil, what: String) {
        base = buffer
        offset = range?.lowerBound ?? 0
        end = range?.upperBound ?? buffer.count
        self.what = what
    }

    package var remaining: Int { end - offset }

    package func corrupt(_ why: String) -> IDRError {
        IDRError(.corruptData, "\(what): \(why) at byte \(offset)")
    }

    package mutating func need(_ n: Int) throws(IDRError) {
        guard n >= 0, n <= remaining else { throw corrupt("truncated (needs \(n) bytes, \(remaining) left)") }
    }

    package mutating func u8() throws(IDRError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return base[offset]
    }

    package mutating func u32() throws(IDRError) -> UInt32 {
        try need(4)
        defer { offset += 4 }
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    package mutating func u64() throws(IDRError) -> UInt64 {
        try need(8)
        defer { offset += 8 }
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// `n` raw bytes (a view into the input).
    package mutating func raw(_ n: Int) throws(IDRError) -> UnsafeRawBufferPointer {
        try need(n)
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: base[offset..<(offset + n)])
    }

    /// A u32 length, then that many bytes (at most `limit`).
    package mutating func blob(limit: Int) throws(IDRError) -> UnsafeRawBufferPointer {
        let n = Int(try u32())
        guard n <= limit else { throw corrupt("a field of \(n) bytes exceeds its limit \(limit)") }
        return try raw(n)
    }

    package mutating func string(limit: Int) throws(IDRError) -> String {
        let b = try blob(limit: limit)
        guard b.isEmpty || isValidUTF8(b.baseAddress!.assumingMemoryBound(to: UInt8.self), b.count) else {
            throw corrupt("a string is not valid UTF-8")
        }
        return String(decoding: b, as: UTF8.self)
    }

    /// A count of items each at least `minimumSize` bytes: bounded by what remains, so a corrupt
    /// count cannot trigger a huge allocation.
    package mutating func count(minimumSize: Int) throws(IDRError) -> Int {
        let n = try u64()
        guard n <= UInt64(remaining / max(minimumSize, 1)) else {
            throw corrupt("a count of \(n) cannot fit in the \(remaining) bytes left")
        }
        return Int(n)
    }
}

// MARK: Flat arrays
//
// Snapshots store the engine's arrays as they are in memory (little-endian): a load copies
// them back instead of rebuilding them record by record.

extension ByteWriter {
    /// A column, stored as ``array(_:)-([T])`` stores an array.
    package mutating func array<T: FixedWidthInteger & BitwiseCopyable>(_ c: Column<T>) {
        u64(UInt64(c.count))
        #if _endian(little)
        c.withUnsafeBufferPointer { raw(UnsafeRawBufferPointer($0)) }
        #else
        for x in c { withUnsafeBytes(of: x.littleEndian) { raw($0) } }
        #endif
    }

    /// A u64 element count, then the elements, little-endian.
    package mutating func array<T: FixedWidthInteger>(_ a: [T]) {
        u64(UInt64(a.count))
        #if _endian(little)
        a.withUnsafeBytes { raw($0) }
        #else
        for x in a { withUnsafeBytes(of: x.littleEndian) { raw($0) } }
        #endif
    }
}

extension ByteReader {
    /// What ``ByteWriter/array(_:)`` wrote; `count`, when given, is the element count required.
    /// The count is checked against the bytes left before anything is allocated.
    /// An array as ``array(of:count:)`` reads it, into a column (no copy on install).
    package mutating func column<T: FixedWidthInteger & BitwiseCopyable>(of _: T.Type, count required: Int? = nil) throws(IDRError) -> Column<T> {
        let n = try count(minimumSize: MemoryLayout<T>.size)
        if let required, n != required { throw corrupt("an array of \(n) elements where \(required) are expected") }
        let bytes = try raw(n * MemoryLayout<T>.size)
        return Column<T>(count: n) { out in
            if n > 0 { UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes) }
            #if !_endian(little)
            for i in 0..<n { out[i] = T(littleEndian: out[i]) }
            #endif
        }
    }

    package mutating func array<T: FixedWidthInteger & BitwiseCopyable>(of _: T.Type, count required: Int? = nil) throws(IDRError) -> [T] {
        let n = try count(minimumSize: MemoryLayout<T>.size)
        if let required, n != required { throw corrupt("an array of \(n) elements where \(required) are expected") }
        let bytes = try raw(n * MemoryLayout<T>.size)
        return [T](hugeCount: n) { out in
            if n > 0 { UnsafeMutableRawBufferPointer(out).copyMemory(from: bytes) }
            #if !_endian(little)
            for i in 0..<n { out[i] = T(littleEndian: out[i]) }
            #endif
        }
    }
}
