#if canImport(Glibc)
import Glibc
#endif
import IdentityResolution

/// A file read sequentially in large chunks (no `String`s, no Foundation).
public final class InputFile {
    private let fd: Int32
    /// The path it was opened from, for messages.
    public let path: String
    /// Total size in bytes when opened (0 for pipes).
    public let size: Int
    /// Bytes read so far.
    public private(set) var bytesRead = 0

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
        size = fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
    }

    deinit { if fd > 0 { close(fd) } }

    /// Reads up to `count` bytes into `buffer`; returns 0 at end of file.
    ///
    /// - Throws: `io` on a read error.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int) throws(IDRError) -> Int {
        while true {
            let n = Glibc.read(fd, buffer, count)
            if n >= 0 {
                bytesRead += n
                return n
            }
            if errno == EINTR { continue }
            throw IDRError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }
}
