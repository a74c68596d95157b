#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX file helpers for persistence (no Foundation in the core).
package enum FileIO {
    private static func error(_ what: String, _ path: String) -> IDRError {
        IDRError(.io, "\(what) \(path): \(String(cString: strerror(errno)))")
    }

    /// The whole file, or nil if it does not exist.
    package static func read(_ path: String) throws(IDRError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw error("cannot open", path)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var st = stat()
        if fstat(fd, &st) == 0, st.st_size > 0 { out.reserveCapacity(Int(st.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw error("cannot read", path)
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Calls `body` with the whole file mapped read-only (pages read ahead), or returns nil if
    /// the file does not exist. Snapshots load this way: no copy of the file into the heap.
    package static func withMapped<R>(_ path: String, _ body: (UnsafeRawBufferPointer) throws(IDRError) -> R) throws(IDRError) -> R? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw error("cannot open", path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw error("cannot stat", path) }
        let size = Int(st.st_size)
        guard size > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
            throw error("cannot map", path)
        }
        defer { munmap(base, size) }
        return try body(UnsafeRawBufferPointer(start: base, count: size))
    }

    /// Writes all of `bytes` to `fd`.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(IDRError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw error("cannot write", path)
            }
            done += n
        }
    }

    /// The path `path` ends at after its symbolic links: itself when it is not a link. A link
    /// that dangles ends at the path it names, so a file written there appears behind the link.
    /// A relative link is taken from the link's directory; a loop stops after 40 links (then
    /// the last link's own place is returned, and writing there replaces it).
    package static func followingLinks(_ path: String) -> String {
        var current = path
        var st = stat()
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        for _ in 0..<40 {
            guard lstat(current, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return current }
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let bytes = buffer[0..<n].map { UInt8(bitPattern: $0) }
            let target = String(decoding: bytes, as: UTF8.self)
            if target.hasPrefix("/") {
                current = target
            } else if let slash = current.lastIndex(of: "/") {
                current = String(current[...slash]) + target
            } else {
                current = target
            }
        }
        return current
    }

    /// Writes all of `bytes` to `fd`.
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(IDRError) {
        let result: Result<Void, IDRError> = bytes.withUnsafeBytes { b in
            Result { () throws(IDRError) in try writeAll(fd, b, path: path) }
        }
        try result.get()
    }

    /// Replaces `path` atomically: a temporary file (mode 0600) is written and fsynced, renamed
    /// over `path`, and the directory is fsynced, so a crash leaves either the old or the new
    /// file, never a mix.
    ///
    /// A symbolic link is followed: the file it names is replaced and the link is kept (renaming
    /// over the link would turn it into a plain file). A path that exists but is not a regular
    /// file (a directory, a device, a FIFO) is refused, since it cannot be replaced atomically
    /// and a rename would destroy it.
    package static func replaceAtomically(_ path: String, with bytes: [UInt8]) throws(IDRError) {
        try replaceAtomically(path) { (fd, temporary) throws(IDRError) in try writeAll(fd, bytes, path: temporary) }
    }

    /// ``replaceAtomically(_:with:)`` with the bytes written by `body`, given the temporary
    /// file's descriptor and path (for its errors).
    package static func replaceAtomically(_ path: String, writing body: (Int32, String) throws(IDRError) -> Void) throws(IDRError) {
        let path = followingLinks(path)
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
            let what = st.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw IDRError(.io, "cannot replace \(path): it is \(what)")
        }
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw error("cannot create", temporary) }
        do throws(IDRError) {
            try body(fd, temporary)
            guard fsync(fd) == 0 else { throw error("cannot sync", temporary) }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let e = error("cannot rename to", path)
            unlink(temporary)
            throw e
        }
        syncDirectory(of: path)
    }

    /// Starts writing bytes `offset ..< offset + count` of `fd`'s file to disk without waiting
    /// (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`; elsewhere nothing), so that a
    /// later fsync finds most of a large file written already. A hint: a file system that
    /// refuses it leaves everything to the fsync.
    package static func startWriteback(_ fd: Int32, offset: Int, count: Int) {
        #if os(Linux)
        _ = syncFileRange(fd, Int64(offset), Int64(count), 2)
        #endif
    }

    /// fsync of the directory holding `path` (makes a rename durable).
    package static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}

#if os(Linux)
/// Linux's `sync_file_range(2)`, which Swift's Glibc module does not import; flag 2 is
/// `SYNC_FILE_RANGE_WRITE`: start writeback of the range's dirty pages, do not wait.
@_silgen_name("sync_file_range")
private func syncFileRange(_ fd: Int32, _ offset: Int64, _ count: Int64, _ flags: UInt32) -> Int32
#endif
