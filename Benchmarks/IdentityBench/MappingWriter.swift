import IdentityFiles
import IdentityResolution

/// The `record_id,entity_id` rows of a bulk resolve, one per input row, straight from the key
/// arena (no closure or `String` per row: the write stage was 3.5 s of 17 s at 10M records).
///
/// With two threads, this thread formats the rows in chunks while a second one writes the
/// chunks out in order (formatting runs at most three chunks ahead). Most of the stage is the kernel copying the output
/// into fresh page-cache pages (`perf`, 10M rows: the `write` calls took three times the
/// formatting), so that copy runs beside the formatting. The bytes are the same either way.
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
        let queue = HandoffQueue<FormattedChunk>(batches: 3)
        let chunks = self.chunks
        final class Outcome: @unchecked Sendable {
            // Unchecked: written by the writer thread, read after it is joined.
            var error: IDRError?
        }
        let outcome = Outcome()
        let writer = SideTask {
            for _ in 0..<chunks {
                let chunk = queue.takeFull()
                do throws(IDRError) {
                    try output.write(UnsafeRawBufferPointer(start: chunk.bytes, count: chunk.count))
                } catch {
                    // Stops the formatting at its next chunk.
                    outcome.error = error
                    queue.cancel()
                    return
                }
                queue.giveBack(chunk)
            }
        }
        for c in 0..<chunks {
            guard let chunk = queue.takeFree() else { break }
            format(range(ofChunk: c), into: chunk)
            queue.pushFull(chunk)
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
final class FormattedChunk: Refillable, @unchecked Sendable {
    // Unchecked: one thread owns a chunk at a time (the queue hands it over under its mutex).
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

    func reset() { count = 0 }
}
