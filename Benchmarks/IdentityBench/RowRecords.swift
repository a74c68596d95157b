import IdentityResolution

/// The record index of each applied input row, in input order: what the write stage needs.
///
/// Until a row repeats an earlier row's record_id, row `i` is record `i`, so nothing is stored;
/// the first repeat writes out the indices so far and every later one is kept. An export without
/// repeats (the usual case) saves an array of 4 bytes per row: 40 MB of fresh memory at 10M rows,
/// which on this project's VM is the expensive part of an array (see the README's Performance).
struct RowRecords: RandomAccessCollection {
    /// Rows applied.
    private(set) var count = 0
    /// Each row's record, once a row repeated a record_id; nil while row `i` is record `i`.
    private var stored: [UInt32]?

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(i: Int) -> UInt32 {
        precondition(i >= 0 && i < count, "row index out of range")
        return stored?[i] ?? UInt32(truncatingIfNeeded: i)
    }

    /// Appends the next row's record.
    @inline(__always)
    mutating func append(_ record: UInt32) {
        if stored == nil {
            if Int(record) == count {
                count += 1
                return
            }
            var all: [UInt32] = []
            all.reserveCapacity(count * 2 + 16)
            all.append(contentsOf: 0..<UInt32(truncatingIfNeeded: count))
            stored = all
        }
        stored!.append(record)
        count += 1
    }

    /// Calls `body` with the stored indices, or nil while row `i` is record `i`.
    func withStored<R>(_ body: (UnsafeBufferPointer<UInt32>?) throws(IDRError) -> R) throws(IDRError) -> R {
        guard let stored else { return try body(nil) }
        let result: Result<R, IDRError> = stored.withUnsafeBufferPointer { p in Result { () throws(IDRError) -> R in try body(p) } }
        return try result.get()
    }

    /// Adds the stored array's next growth to `spans` (nothing while nothing is stored).
    func addGrowth(to spans: inout GrowthSpans, skip: Int, rows: Int) {
        if let stored { spans.add(stored, rowsSoFar: count, skip: skip, rows: rows) }
    }
}
