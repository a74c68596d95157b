import IdentityFiles
import IdentityResolution

/// The `record_id,entity_id` rows of a bulk resolve, one per input row, straight from the key
/// arena (no closure or `String` per row: the write stage was 3.5 s of 17 s at 10M records).
///
/// With two threads, both format the rows in chunks (``ChunkRing``: claimed in order, at most
/// four ahead of the output) and the second also writes the chunks out in order, so the
/// kernel's copy of the output into page cache runs beside the formatting. The bytes are the
/// same either way.
struct MappingWriter: @unchecked Sendable {
    // Unchecked: plain pointers into arrays that outlive both threads and are only read.
    /// Each row's record, or nil when row `i` is record `i` (``RowRecords``).
    let rows: UnsafeBufferPointer<UInt32>?
    let rowCount: Int
    let ids: UnsafeBufferPointer<UInt64>
    let keys: InternKeys

    /// Rows per chunk: about 1 MB of output with 10-byte keys.
    static let chunkRows = 32_768

    /// Writes every row to `output`, on two threads when `threads` is 2 or more.
    static func writeCSV(_ output: OutputFile, rows: RowRecords, keys: InternTable, ids: [UInt64], threads: Int) throws(IDRError) {
        try rows.withStored { (rowsP) throws(IDRError) in
            let result: Result<Void, IDRError> = ids.withUnsafeBufferPointer { idsP in
                keys.withKeys { k in
                    let writer = MappingWriter(rows: rowsP, rowCount: rows.count, ids: idsP, keys: k)
                    return Result { () throws(IDRError) in try writer.write(to: output, twoThreads: threads > 1) }
                }
            }
            try result.get()
        }
    }

    private var chunks: Int { (rowCount + MappingWriter.chunkRows - 1) / MappingWriter.chunkRows }

    private func range(ofChunk c: Int) -> Range<Int> {
        c * MappingWriter.chunkRows..<min(rowCount, (c + 1) * MappingWriter.chunkRows)
    }

    /// Row `i`'s record.
    @inline(__always)
    private func record(ofRow i: Int) -> Int { rows.map { Int($0[i]) } ?? i }

    private func write(to output: OutputFile, twoThreads: Bool) throws(IDRError) {
        guard twoThreads, chunks > 1 else {
            try write(0..<rowCount, to: output)
            return
        }
        let ring = ChunkRing(chunks: chunks, buffers: 4)
        final class Outcome: @unchecked Sendable {
            // Unchecked: written by the writer thread, read after it is joined.
            var error: IDRError?
        }
        let outcome = Outcome()
        // The writing thread also formats: whenever the next chunk in order is not ready, it
        // claims one to format itself (formatting was the stage's bound: at 10M rows this
        // thread was 70% idle beside it, perf). Claims go in order, so the bytes are the same.
        let writer = SideTask {
            while true {
                switch ring.nextTask() {
                case .write(let chunk):
                    do throws(IDRError) {
                        try output.write(UnsafeRawBufferPointer(start: chunk.bytes, count: chunk.count))
                    } catch {
                        outcome.error = error
                        ring.cancel()
                        return
                    }
                    ring.written()
                case .format(let c, let chunk):
                    self.format(self.range(ofChunk: c), into: chunk)
                    ring.formatted(c)
                case .done:
                    return
                }
            }
        }
        while let (c, chunk) = ring.claim() {
            format(range(ofChunk: c), into: chunk)
            ring.formatted(c)
        }
        writer.join()
        if let error = outcome.error { throw error }
    }

    private func write(_ range: Range<Int>, to output: OutputFile) throws(IDRError) {
        for i in range {
            let r = record(ofRow: i)
            try output.writeCSVRow(key: keys.bytes(r), decimal: ids[r])
        }
    }

    private func format(_ range: Range<Int>, into chunk: FormattedChunk) {
        for i in range {
            let r = record(ofRow: i)
            let key = keys.bytes(r)
            chunk.reserve(OutputFile.maxCSVRowBytes(keyCount: key.count))
            chunk.count += OutputFile.formatCSVRow(key: key, decimal: ids[r], into: chunk.bytes + chunk.count)
        }
    }
}

/// A chunk of formatted rows: raw memory that grows as rows need it.
final class FormattedChunk: @unchecked Sendable {
    // Unchecked: one thread owns a chunk at a time (the ring hands it over under its mutex).
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 20
    var count = 0

    init() { bytes = .allocate(capacity: capacity) }

    deinit { bytes.deallocate() }

    /// Makes room for `n` more bytes.
    @inline(__always)
    func reserve(_ n: Int) {
        guard capacity - count < n else { return }
        capacity = max(capacity * 2, count + n)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: bytes, count: count)
        bytes.deallocate()
        bytes = grown
    }

    /// Empties the chunk, keeping its memory.
    func reset() { count = 0 }
}
