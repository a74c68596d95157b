import IdentityFiles
import IdentityResolution

/// Reads a CSV or JSON Lines file into a bulk ``Resolver``, row by row: the input side of
/// `resolve` (and of `explain` for files with attributes).
struct BulkLoader {
    var input: String
    var format: ResolveCommand.Format
    var idColumns: [String]
    var onError: ResolveCommand.OnError
    /// Show a progress bar on a terminal.
    var progress: Bool
    /// 1: parse and add on this thread; 2 or more: parse, normalize and hash on a second thread
    /// (the result is identical).
    var threads: Int = 1

    /// Adds every row; returns each applied row's record index, the bad rows skipped (with
    /// `--on-error skip`) and the ignored column names.
    func load(into resolver: Resolver) throws(IDRError) -> (rows: RowRecords, skipped: Int, ignored: [String]) {
        let configuration = resolver.configuration
        let file = try InputFile(path: input)
        let maxField = max(configuration.limits.maxValueLength, configuration.limits.maxRecordKeyLength) * 4
        var rowRecords = RowRecords()
        var skipped = SkippedRows(input: input, policy: onError)
        var ignored: [String] = []
        var progress = Progress(totalBytes: self.progress ? file.size : 0)
        let quiet = !self.progress
        let layout: ColumnLayout
        let scratch: UnsafeMutablePointer<RawIdentifier>
        switch format {
        case .csv:
            var csv = CSVReader(input: file, maxFieldLength: maxField)
            guard try csv.next() else { throw IDRError(.corruptData, "\(input) is empty: a header row is required") }
            layout = try ColumnLayout(header: (0..<csv.fieldCount).map { csv.field($0) }, mappings: idColumns, resolver: resolver)
            scratch = .allocate(capacity: max(layout.identifiers.count, 1))
            prepare(resolver, file: file)
            if threads > 1 {
                let producer = RowProducer(csv: csv, jsonl: nil, isCSV: true, file: file, layout: layout,
                                           preparer: resolver.preparer(), batchRows: BulkLoader.batchRows)
                _ = try consume(producer, resolver: resolver, rows: &rowRecords, skipped: &skipped, progress: &progress)
            } else { while true {
                do throws(IDRError) {
                    guard try csv.next() else { break }
                } catch {
                    try skipped.record(line: csv.rowLine, error)
                    try csv.skipToNextLine()
                    continue
                }
                try ingest(csv.currentRow, line: csv.rowLine, layout: layout, resolver: resolver, scratch: scratch,
                           rows: &rowRecords, skipped: &skipped)
                if rowRecords.count & 0xFFFF == 0, !quiet { progress.update(bytes: csv.bytesRead, records: rowRecords.count) }
            } }
            ignored = layout.ignored
        case .jsonl:
            let unique = EngineLoader.jsonLinesColumns(idColumns)
            layout = try ColumnLayout(header: unique, mappings: idColumns, resolver: resolver)
            scratch = .allocate(capacity: max(layout.identifiers.count, 1))
            prepare(resolver, file: file)
            var jsonl = JSONLinesReader(input: file, columns: unique, maxLineLength: maxField * 8)
            if threads > 1 {
                let producer = RowProducer(csv: nil, jsonl: jsonl, isCSV: false, file: file, layout: layout,
                                           preparer: resolver.preparer(), batchRows: BulkLoader.batchRows)
                ignored = try consume(producer, resolver: resolver, rows: &rowRecords, skipped: &skipped, progress: &progress)
            } else { while true {
                do throws(IDRError) {
                    guard try jsonl.next() else { break }
                } catch {
                    if error.code == .io { throw error }
                    try skipped.record(line: jsonl.rowLine, error)
                    continue
                }
                try ingest(jsonl.currentRow, line: jsonl.rowLine, layout: layout, resolver: resolver, scratch: scratch,
                           rows: &rowRecords, skipped: &skipped)
                if rowRecords.count & 0xFFFF == 0, !quiet { progress.update(bytes: file.bytesRead, records: rowRecords.count) }
            }
            ignored = jsonl.ignoredNames }
        }
        scratch.deallocate()
        progress.finish()
        return (rowRecords, skipped.count, ignored)
    }

    /// Rows per batch handed between the threads: big enough to amortize the hand-off, small
    /// enough to stay in cache.
    static let batchRows = 8192
    /// The rows of one prefetch group, and the distance between the stages of
    /// ``Resolver/prefetch(prepared:slots:entries:bytes:)``: 4 rows of work cover a DRAM access.
    /// Groups of 8 issued about 60 fetches at once, more than a core keeps in flight; with 4 the
    /// ingest median was lower in both of two sets of alternated runs (10M records, 5 and 6
    /// rounds: 3.03 and 3.05 s against 3.15 and 3.31 s); groups of 2 were no better than 8.
    static let prefetchDistance = 4

    /// How many rows past this thread's position the parsing thread's page faulting starts
    /// (``GrowthSpans``). It must be far enough ahead that this thread never reaches a page
    /// still being faulted in: two threads faulting the same huge page both zero 2 MiB and one
    /// copy is thrown away. With one batch (8,192 rows, 2-3 ms of adds) the parsing thread,
    /// busy filling a batch when this one was handed back, often started late: perf at 10M
    /// counted 784 samples of page zeroing on this thread outside the prefault, against 344
    /// with four batches; six alternated runs: ingest median 2.68 → 2.46 s, max 3.05 → 2.55 s.
    static let prefaultSkip = 4 * batchRows

    /// The resolver's side of `--threads 2`: adds the parsing thread's batches in input order,
    /// reporting bad rows in order, exactly as one thread would.
    ///
    /// - Returns: the JSON Lines field names outside the columns.
    private func consume(_ producer: consuming RowProducer, resolver: Resolver, rows: inout RowRecords,
                         skipped: inout SkippedRows, progress: inout Progress) throws(IDRError) -> [String] {
        // Eight batches of 8,192 rows, not three: the parsing thread's work comes in
        // bursts (each fresh huge page it faults in for this thread takes milliseconds on a VM),
        // and with three this thread waited for a batch 0.6-2.4 s per 10M-record ingest, with
        // eight 0.01-0.2 s (instrumented queue, alternated runs).
        let queue = BatchQueue(batches: 8)
        let thread = ProducerThread(producer, queue)
        thread.start()
        defer {
            queue.cancel()
            thread.join()
        }
        while true {
            let batch = queue.takeFull()
            try addBatch(batch, resolver: resolver, rows: &rows, skipped: &skipped)
            if self.progress { progress.update(bytes: batch.bytesRead, records: rows.count) }
            if let fatal = batch.fatal { throw fatal }
            let (last, ignored) = (batch.last, batch.ignored)
            // The parsing thread faults in what the batches a few ahead will write: it has time
            // to spare, and this thread would stop for each fresh page (GrowthSpans).
            if !last {
                var spans = resolver.growthSpans(skip: BulkLoader.prefaultSkip, rows: 2 * BulkLoader.batchRows)
                rows.addGrowth(to: &spans, skip: BulkLoader.prefaultSkip, rows: 2 * BulkLoader.batchRows)
                batch.prefault = spans
            }
            queue.giveBack(batch)
            if last { return ignored }
        }
    }

    /// Adds one batch's rows in order. The batch's arrays are copied out of the class once here
    /// (reading `batch.rows` per row copied the struct, retaining its arrays, twice per row: 18%
    /// of the time in retain/release at 10M), and the copies end with this call, before the
    /// batch is reset and refilled.
    private func addBatch(_ batch: ParsedBatch, resolver: Resolver, rows: inout RowRecords,
                          skipped: inout SkippedRows) throws(IDRError) {
        let prepared = batch.rows, lines = batch.lines, rowIndex = batch.rowIndex, errors = batch.errors
        for i in lines.indices {
            let index = rowIndex[i]
            guard index >= 0 else {
                try skipped.record(line: lines[i], errors[-1 - index])
                continue
            }
            // A group of rows at a time, one stage per group: slots 12 rows ahead, entry
            // words 8, bytes 4.
            let d = BulkLoader.prefetchDistance
            if index % d == 0 {
                resolver.prefetch(prepared: prepared, slots: (index + 3 * d)..<(index + 4 * d),
                                  entries: (index + 2 * d)..<(index + 3 * d), bytes: (index + d)..<(index + 2 * d))
            }
            do throws(IDRError) {
                rows.append(UInt32(try resolver.add(prepared: prepared, row: index)))
            } catch {
                try skipped.record(line: lines[i], error)
            }
        }
    }

    /// Reserves capacity from the file size: about 70 bytes and 2.5 identifiers per row in
    /// typical exports.
    func prepare(_ resolver: Resolver, file: InputFile) {
        guard file.size > 0 else { return }
        resolver.reserveCapacity(records: file.size / 70, identifiers: file.size / 28, bytes: file.size / 2)
    }

    /// Adds one row (CSV or JSON Lines, as fields in layout order) to the resolver.
    @inline(__always)
    func ingest(_ row: CSVRow, line: Int, layout: ColumnLayout, resolver: Resolver, scratch: UnsafeMutablePointer<RawIdentifier>,
                rows: inout RowRecords, skipped: inout SkippedRows) throws(IDRError) {
        do throws(IDRError) {
            guard row.count == layout.width else {
                throw IDRError(.corruptData, "expected \(layout.width) fields, found \(row.count)")
            }
            let n = layout.identifiers(of: row, into: scratch)
            let record = try resolver.add(recordKey: row[layout.recordID], source: layout.source.map { row[$0] },
                                          identifiers: UnsafeBufferPointer(start: scratch, count: n))
            rows.append(UInt32(record))
        } catch {
            try skipped.record(line: line, error)
        }
    }
}
