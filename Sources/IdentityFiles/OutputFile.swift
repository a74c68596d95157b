#if canImport(Glibc)
import Glibc
#endif
import IdentityResolution

/// A buffered output file written atomically: bytes go to `PATH.tmp-PID`, which replaces
/// `PATH` only on ``commit()``. A run that fails leaves no half-written output behind.
public final class OutputFile {
    /// The final path.
    public let path: String
    private let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let flushAt: Int
    private var committed = false

    /// Creates the temporary file next to `path`; `-` writes to standard output directly.
    ///
    /// - Throws: `io` with the system's reason.
    public init(path: String, bufferSize: Int = 1 << 20) throws(IDRError) {
        self.path = path
        flushAt = bufferSize
        buffer.reserveCapacity(bufferSize + 4096)
        if path == "-" {
            temporaryPath = ""
            fd = 1
        } else {
            temporaryPath = "\(path).tmp-\(getpid())"
            fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw IDRError(.io, "cannot create \(temporaryPath): \(String(cString: strerror(errno)))") }
        }
    }

    deinit {
        if !committed, fd > 1 {
            close(fd)
            unlink(temporaryPath)
        }
    }

    /// Appends bytes.
    @inline(__always)
    public func write(_ bytes: UnsafeRawBufferPointer) throws(IDRError) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushAt { try flush() }
    }

    /// Appends a string's UTF-8.
    public func write(_ s: String) throws(IDRError) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= flushAt { try flush() }
    }

    /// Appends one byte.
    @inline(__always)
    public func write(byte: UInt8) throws(IDRError) {
        buffer.append(byte)
        if buffer.count >= flushAt { try flush() }
    }

    /// Appends an unsigned integer in decimal.
    @inline(__always)
    public func write(decimal value: UInt64) throws(IDRError) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, enough for 20 digits
        let n = withUnsafeMutableBytes(of: &digits) { d -> Int in
            var v = value
            var i = 24
            repeat {
                i -= 1
                d[i] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
            } while v > 0
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[i..<24]))
            return 24 - i
        }
        _ = n
        if buffer.count >= flushAt { try flush() }
    }

    /// Appends `field` as a CSV field, quoted only when it holds a comma, quote, CR or LF.
    public func writeCSVField(_ field: UnsafeRawBufferPointer) throws(IDRError) {
        if field.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            buffer.append(0x22)
            for b in field {
                if b == 0x22 { buffer.append(0x22) }
                buffer.append(b)
            }
            buffer.append(0x22)
        } else {
            buffer.append(contentsOf: field)
        }
        if buffer.count >= flushAt { try flush() }
    }

    /// Appends a string as a CSV field.
    public func writeCSVField(_ field: String) throws(IDRError) {
        let bytes = Array(field.utf8)
        let result: Result<Void, IDRError> = bytes.withUnsafeBytes { b in
            Result { () throws(IDRError) in try writeCSVField(b) }
        }
        try result.get()
    }

    /// Writes the buffer out.
    public func flush() throws(IDRError) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IDRError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and moves the file into place.
    public func commit() throws(IDRError) {
        try flush()
        guard fd > 1 else { committed = true; return }
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
