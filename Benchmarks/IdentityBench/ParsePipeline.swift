import Glibc
import IdentityFiles
import IdentityResolution

/// `resolve --threads 2`: one thread reads, parses, normalizes and hashes rows into batches
/// (``PreparedRows``) while the resolver's thread adds them in input order. Adding in input order
/// makes the result identical to one thread's, byte for byte, whatever the timing.

/// A batch of items in input order: each a prepared row or the error that made a row bad.
final class ParsedBatch: Refillable, @unchecked Sendable {
    // Unchecked: one thread owns a batch at a time (the queue hands it over under its mutex),
    // and the dynamic checks of appending through the class cost 5% of the parsing thread (perf).
    @exclusivity(unchecked) var rows = PreparedRows()
    /// Per item: its line; the index of its prepared row, or for a bad row `-1 - e`, where
    /// `errors[e]` says why it is bad.
    @exclusivity(unchecked) var lines: [Int] = []
    @exclusivity(unchecked) var rowIndex: [Int] = []
    /// The bad rows' errors only: one optional per row cost the adding thread 48 instructions
    /// per row to destroy when the batch was reset (callgrind, 1M records).
    @exclusivity(unchecked) var errors: [IDRError] = []
    /// An error that ends the input (I/O, or a malformed file the reader cannot resynchronize).
    var fatal: IDRError?
    /// Input bytes consumed when the batch was full (for the progress bar).
    var bytesRead = 0
    /// The input ended with this batch.
    var last = false
    /// JSON Lines: the field names outside the columns, on the last batch.
    var ignored: [String] = []
    /// Memory the consumer's next rows will write, for the parsing thread to fault in before it
    /// refills the batch (``GrowthSpans``); kept by ``reset()``, emptied once populated.
    var prefault = GrowthSpans()

    init() {}

    func reset() {
        rows.removeAll()
        lines.removeAll(keepingCapacity: true)
        rowIndex.removeAll(keepingCapacity: true)
        errors.removeAll(keepingCapacity: true)
        fatal = nil
        last = false
        ignored = []
    }
}

/// The batches circulating between the parsing thread and the consumer.
typealias BatchQueue = HandoffQueue<ParsedBatch>

/// The parsing side: a CSV or JSON Lines reader and what to do with each row.
struct RowProducer: ~Copyable, @unchecked Sendable {
    /// One of the two readers (mutated in place: a reader copied out of an enum would copy its
    /// buffers on every row).
    var csv: CSVReader?
    var jsonl: JSONLinesReader?
    let isCSV: Bool
    let file: InputFile
    let layout: ColumnLayout
    var preparer: RowPreparer
    let batchRows: Int

    /// Parses until the input ends, an error ends it, or the queue is cancelled.
    mutating func run(_ queue: BatchQueue) {
        let scratch = UnsafeMutablePointer<RawIdentifier>.allocate(capacity: max(layout.identifiers.count, 1))
        defer { scratch.deallocate() }
        while let batch = queue.takeFree() {
            batch.prefault.populate()
            batch.prefault = GrowthSpans()
            fill(batch, scratch)
            let done = batch.last || batch.fatal != nil
            queue.pushFull(batch)
            if done { return }
        }
    }

    private mutating func fill(_ batch: ParsedBatch, _ scratch: UnsafeMutablePointer<RawIdentifier>) {
        // Counted here: reading `batch.rows.count` would copy the struct out of the class.
        var prepared = 0
        while batch.lines.count < batchRows {
            do throws(IDRError) {
                guard try next() else {
                    batch.last = true
                    break
                }
            } catch {
                if !isCSV, error.code == .io {
                    // JSON Lines stops at an I/O error without counting a row (as on one thread).
                    batch.fatal = error
                    break
                }
                batch.lines.append(line())
                batch.rowIndex.append(-1 - batch.errors.count)
                batch.errors.append(error)
                do throws(IDRError) { try skipAfter(error) } catch {
                    batch.fatal = error
                    break
                }
                continue
            }
            let row = currentRow()
            batch.lines.append(line())
            guard row.count == layout.width else {
                batch.rowIndex.append(-1 - batch.errors.count)
                batch.errors.append(IDRError(.corruptData, "expected \(layout.width) fields, found \(row.count)"))
                continue
            }
            let n = layout.identifiers(of: row, into: scratch)
            batch.rowIndex.append(prepared)
            prepared += 1
            preparer.append(recordKey: row[layout.recordID], source: layout.source.map { row[$0] },
                            identifiers: UnsafeBufferPointer(start: scratch, count: n), to: &batch.rows)
        }
        batch.bytesRead = bytesRead()
        if batch.last || batch.fatal != nil { batch.ignored = ignoredNames() }
    }

    private mutating func next() throws(IDRError) -> Bool {
        if isCSV { return try csv!.next() }
        return try jsonl!.next()
    }

    /// After a bad row: CSV skips to the next line; JSON Lines is already there, but an I/O
    /// error ends the input.
    private mutating func skipAfter(_ error: IDRError) throws(IDRError) {
        if isCSV {
            try csv!.skipToNextLine()
        } else if error.code == .io {
            throw error
        }
    }

    // Borrowing switches: the readers are noncopyable, and must not be consumed by a read.
    private func currentRow() -> CSVRow {
        switch csv {
        case .some(let r): return r.currentRow
        case .none:
            switch jsonl {
            case .some(let j): return j.currentRow
            case .none: preconditionFailure("a producer has one reader")
            }
        }
    }

    private func line() -> Int {
        switch csv {
        case .some(let r): return r.rowLine
        case .none:
            switch jsonl {
            case .some(let j): return j.rowLine
            case .none: preconditionFailure("a producer has one reader")
            }
        }
    }

    private func ignoredNames() -> [String] {
        switch jsonl {
        case .some(let j): return j.ignoredNames
        case .none: return []
        }
    }

    private func bytesRead() -> Int {
        switch csv {
        case .some(let r): return r.bytesRead
        case .none: return file.bytesRead
        }
    }
}

/// A pthread running a producer; ``join()`` waits for it.
final class ProducerThread: @unchecked Sendable {
    private var producer: RowProducer
    private let queue: BatchQueue
    private var thread = pthread_t()

    init(_ producer: consuming RowProducer, _ queue: BatchQueue) {
        self.producer = producer
        self.queue = queue
    }

    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let me = Unmanaged<ProducerThread>.fromOpaque(raw!).takeRetainedValue()
            me.producer.run(me.queue)
            return nil
        }, context)
        precondition(rc == 0, "pthread_create failed")
    }

    func join() { pthread_join(thread, nil) }
}
