#if canImport(Glibc)
import Glibc
#endif
import CZlib
import IdentityResolution

/// A file read sequentially in large chunks (no `String`s, no Foundation). A gzip file
/// (recognised by its magic bytes, whatever its name) is decompressed on the fly by the
/// system's zlib; concatenated gzip members are read one after the other.
public final class InputFile {
    private let fd: Int32
    /// The path it was opened from, for messages.
    public let path: String
    /// Size in bytes for capacity estimates: the file size, or four times it for gzip input
    /// (0 for pipes).
    public let size: Int
    /// Uncompressed bytes read so far.
    public private(set) var bytesRead = 0
    /// Whether the input is gzip-compressed.
    public let isGzip: Bool
    private var stream: UnsafeMutablePointer<z_stream>?
    private var compressed: UnsafeMutableRawBufferPointer?
    private var streamEnded = false
    private var pending: [UInt8] = []

    /// Opens `path` for reading; `-` is standard input.
    ///
    /// - Throws: `io` with the system's reason.
    public init(path: String) throws(IDRError) {
        self.path = path
        if path == "-" {
            fd = 0
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw IDRError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        }
        var st = stat()
        let fileSize = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        // Peek at the first two bytes: 1f 8b is gzip. (Kept for the reader, so pipes work too.)
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        let descriptor = fd
        while got < 2 {
            let n = head.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + got, 2 - got) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        pending = Array(head[0..<got])
        isGzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B
        size = isGzip ? fileSize * 4 : fileSize
        if isGzip {
            let z = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            z.initialize(to: z_stream())
            // 15 + 16: a gzip wrapper (not raw deflate, not zlib).
            guard inflateInit2_(z, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                z.deallocate()
                close(fd)
                throw IDRError(.io, "cannot start gzip decompression for \(path)")
            }
            stream = z
            compressed = .allocate(byteCount: 1 << 20, alignment: 16)
        }
    }

    deinit {
        if fd > 0 { close(fd) }
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        compressed?.deallocate()
    }

    /// Reads raw (possibly compressed) bytes, the peeked ones first.
    private func readRaw(into buffer: UnsafeMutableRawPointer, count: Int) throws(IDRError) -> Int {
        var done = 0
        if !pending.isEmpty {
            // The peeked bytes, then a normal read for the rest: callers (the CSV reader's BOM
            // check) see a full first chunk, as without the peek.
            done = min(count, pending.count)
            pending.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: done) }
            pending.removeFirst(done)
            if done == count { return done }
        }
        while true {
            let n = Glibc.read(fd, buffer + done, count - done)
            if n >= 0 { return done + n }
            if errno == EINTR { continue }
            throw IDRError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads up to `count` (uncompressed) bytes into `buffer`; returns 0 at end of file.
    ///
    /// - Throws: `io` on a read error; `corruptData` for damaged or truncated gzip data.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IDRError) -> Int {
        guard let z = stream, let compressed else {
            let n = try readRaw(into: buffer, count: count)
            bytesRead += n
            return n
        }
        z.pointee.next_out = buffer.assumingMemoryBound(to: Bytef.self)
        z.pointee.avail_out = UInt32(min(count, Int(UInt32.max)))
        while z.pointee.avail_out > 0 {
            if z.pointee.avail_in == 0 {
                let n = try readRaw(into: compressed.baseAddress!, count: compressed.count)
                if n == 0 {
                    if !streamEnded { throw IDRError(.corruptData, "\(path): gzip data ends early (truncated file?)") }
                    break
                }
                z.pointee.next_in = compressed.baseAddress!.assumingMemoryBound(to: Bytef.self)
                z.pointee.avail_in = UInt32(n)
            }
            if streamEnded {
                // Another gzip member follows the one that ended.
                inflateReset(z)
                streamEnded = false
            }
            let rc = inflate(z, Z_NO_FLUSH)
            if rc == Z_STREAM_END {
                streamEnded = true
                if z.pointee.avail_in == 0 { continue }
            } else if rc != Z_OK, rc != Z_BUF_ERROR {
                let why = z.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw IDRError(.corruptData, "\(path): damaged gzip data (\(why))")
            }
        }
        let n = Int(UInt32(min(count, Int(UInt32.max))) - z.pointee.avail_out)
        bytesRead += n
        return n
    }
}
