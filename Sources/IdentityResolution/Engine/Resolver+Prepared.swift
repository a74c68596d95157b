import CXXHash

/// Rows whose identifier values were normalized, checked against the placeholder rules and
/// hashed away from the resolver (a parsing thread does it with a ``RowPreparer``), to be added
/// in order with ``Resolver/add(prepared:row:)``: the same effect as
/// ``Resolver/add(recordKey:source:identifiers:)`` with the raw rows, in less of the resolver's
/// time.
///
/// Its tables are ``Column``s: filling a batch appended to 13 arrays per row, and each append
/// checked the array's uniqueness and capacity (with the bytes' generic `append(contentsOf:)`,
/// about 450 instructions per row, callgrind at 1M records). `@unchecked Sendable`: one thread
/// owns a batch at a time (the parse pipeline hands it over under its queue's mutex), and a
/// copy of the struct shares the columns, so only the owner may use it.
package struct PreparedRows: @unchecked Sendable {
    /// Keys, sources and normalized values, back to back.
    package let bytes = Column<UInt8>()
    private let keyStart = Column<Int>()
    private let keyCount = Column<Int>()
    private let keyHash = Column<UInt64>()
    /// Source offset and length per row (-1: no source given).
    private let sourceStart = Column<Int>()
    private let sourceCount = Column<Int>()
    /// End of each row's values in the value arrays.
    private let valueEnd = Column<Int>()
    /// Raw identifiers given, and their raw bytes, per row (what the checks of an add count).
    private let given = Column<Int>()
    private let rawBytes = Column<Int>()
    private let kind = Column<UInt32>()
    private let valueStart = Column<Int>()
    private let valueHash = Column<UInt64>()
    /// Per value: 0 valid, 1 valid placeholder, 2 + reason invalid.
    private let outcome = Column<UInt8>()
    /// Per row, the hashes its add will look up: the key's, then each interned value's (valid
    /// or placeholder, not an attribute); `probeEnd` ends each row's run. Listed flat for
    /// ``Resolver/prefetch(prepared:slots:entries:bytes:)``, whose three passes over every row
    /// filtered the values again (337 of the adding thread's 1,688 instructions per row,
    /// callgrind at 1M records) while the parsing thread had time to spare.
    fileprivate let probeHash = Column<UInt64>()
    fileprivate let probeEnd = Column<Int>()

    /// An empty batch.
    package init() {}

    /// Rows held.
    package var count: Int { keyStart.count }

    /// Empties the batch, keeping its storage.
    package mutating func removeAll() {
        bytes.removeAll()
        keyStart.removeAll()
        keyCount.removeAll()
        keyHash.removeAll()
        sourceStart.removeAll()
        sourceCount.removeAll()
        valueEnd.removeAll()
        given.removeAll()
        rawBytes.removeAll()
        kind.removeAll()
        valueStart.removeAll()
        valueHash.removeAll()
        outcome.removeAll()
        probeHash.removeAll()
        probeEnd.removeAll()
    }

    fileprivate mutating func beginRow(key: UnsafeRawBufferPointer, keyHash h: UInt64, source: UnsafeRawBufferPointer?,
                                       given n: Int, rawBytes raw: Int) {
        keyStart.append(bytes.count)
        keyCount.append(key.count)
        bytes.append(contentsOf: key)
        keyHash.append(h)
        probeHash.append(h)
        if let source {
            sourceStart.append(bytes.count)
            sourceCount.append(source.count)
            bytes.append(contentsOf: source)
        } else {
            sourceStart.append(-1)
            sourceCount.append(0)
        }
        given.append(n)
        rawBytes.append(raw)
    }

    fileprivate mutating func appendValue(kind k: UInt32, _ normalized: UnsafeRawBufferPointer, hash: UInt64, outcome o: UInt8) {
        kind.append(k)
        valueStart.append(bytes.count)
        bytes.append(contentsOf: normalized)
        valueHash.append(hash)
        outcome.append(o)
        if o < 2, !IdentifierKind(rawValue: k).isAttribute { probeHash.append(hash) }
    }

    fileprivate mutating func endRow() {
        valueEnd.append(kind.count)
        probeEnd.append(probeHash.count)
    }

    // The readers below check an index once against the column appended last for it
    // (`valueEnd` per row, `outcome` per value): `beginRow` and `appendValue` fill the other
    // columns first, so each holds at least as many elements and reads them unchecked.

    /// Where value `v` (below `outcome.count`) of row `i` (below `valueEnd.count`) ends: the
    /// next value, row or the end of the bytes start there.
    @inline(__always)
    fileprivate func valueEnd(ofValue v: Int, row i: Int) -> Int {
        if v + 1 < valueEnd[unchecked: i] { return valueStart[unchecked: v + 1] }
        return i + 1 < count ? keyStart[unchecked: i + 1] : bytes.count
    }

    fileprivate func rowBounds(_ i: Int) -> (key: Range<Int>, keyHash: UInt64, source: Range<Int>?, values: Range<Int>,
                                              given: Int, rawBytes: Int) {
        precondition(UInt(bitPattern: i) < UInt(bitPattern: valueEnd.count), "row index out of range")
        let values = (i == 0 ? 0 : valueEnd[unchecked: i - 1])..<valueEnd[unchecked: i]
        let s = sourceStart[unchecked: i]
        let source = s >= 0 ? s..<(s + sourceCount[unchecked: i]) : nil
        let k = keyStart[unchecked: i]
        return (k..<(k + keyCount[unchecked: i]), keyHash[unchecked: i], source, values, given[unchecked: i],
                rawBytes[unchecked: i])
    }

    /// Value `v` of row `i`, a row ``rowBounds(_:)`` checked.
    fileprivate func value(_ v: Int, row i: Int) -> (kind: UInt32, range: Range<Int>, hash: UInt64, outcome: UInt8) {
        precondition(UInt(bitPattern: v) < UInt(bitPattern: outcome.count), "value index out of range")
        return (kind[unchecked: v], valueStart[unchecked: v]..<valueEnd(ofValue: v, row: i), valueHash[unchecked: v],
                outcome[unchecked: v])
    }
}

/// Normalizes, checks and hashes rows for a ``Resolver`` on another thread: a copy of the
/// resolver's rules, placeholder guard and hashers, so it shares nothing mutable with it.
/// Make it after registering every kind the rows use.
package struct RowPreparer: Sendable {
    private let kinds: KindRegistry
    private let normalizer: Normalizer
    private var attributes: AttributeStore
    private let recordHasher: KeyHasher
    private let valueHasher: KeyHasher
    private let maxValueLength: Int
    private let scratch: Scratch
    private var attributeScratch: [UInt8] = []

    /// The normalizer's output buffer: a class so that the preparer's copies share it and no
    /// closure is needed to reach it (a closure over a mutating `self` copied the whole
    /// preparer, retaining its tables, for every value).
    private final class Scratch: @unchecked Sendable {
        let bytes: UnsafeMutablePointer<UInt8>
        init(_ n: Int) { bytes = .allocate(capacity: n) }
        deinit { bytes.deallocate() }
    }

    fileprivate init(_ r: Resolver) {
        kinds = r.kinds
        normalizer = r.normalizer
        attributes = r.attributes
        recordHasher = r.records.hasher
        valueHasher = r.values.hasher
        maxValueLength = r.configuration.limits.maxValueLength
        scratch = Scratch(maxValueLength + Normalizer.outputSlack)
    }

    /// Appends one row to `rows`; never fails (every check that can refuse a row is made when
    /// the resolver adds it).
    package mutating func append(recordKey key: UnsafeRawBufferPointer, source: UnsafeRawBufferPointer?,
                                 identifiers: UnsafeBufferPointer<RawIdentifier>, to rows: inout PreparedRows) {
        var raw = 0
        for id in identifiers { raw &+= id.value.count }
        rows.beginRow(key: key, keyHash: recordHasher.hash(key.baseAddress, key.count, tag: 0), source: source,
                      given: identifiers.count, rawBytes: raw)
        for id in identifiers {
            let k = id.kind.rawValue
            if id.kind.isAttribute {
                let outcome: AttributeStore.Outcome = id.value.count > maxValueLength
                    ? .invalid(.tooLong) : attributes.normalize(id.kind, id.value, into: &attributeScratch)
                let code: UInt8
                switch outcome {
                case .valid: code = 0
                case .placeholder: code = 1
                case .invalid(let reason): code = 2 &+ reason.rawValue
                }
                attributeScratch.withUnsafeBytes { rows.appendValue(kind: k, code == 0 ? $0 : UnsafeRawBufferPointer(start: nil, count: 0), hash: 0, outcome: code) }
                continue
            }
            // A kind the resolver does not know is refused when the row is added; carry nothing.
            guard Int(k) < kinds.count, kinds[Int(k)].registered else {
                rows.appendValue(kind: k, UnsafeRawBufferPointer(start: nil, count: 0), hash: 0, outcome: 2)
                continue
            }
            let rule = kinds[Int(k)].rule
            let out = scratch.bytes
            switch normalizer.normalize(id.value, rule: rule, into: out) {
            case .invalid(let reason):
                rows.appendValue(kind: k, UnsafeRawBufferPointer(start: nil, count: 0), hash: 0, outcome: 2 &+ reason.rawValue)
            case .valid(let n):
                let v = UnsafeRawBufferPointer(start: out, count: n)
                // The registry's guard hashes with the resolver's hasher, the one `valueHasher` copies.
                let hash = valueHasher.hash(out, n, tag: k)
                let placeholder = kinds.placeholders.isPlaceholder(kind: k, rule: rule, v, hash: hash)
                rows.appendValue(kind: k, v, hash: hash, outcome: placeholder ? 1 : 0)
            }
        }
        rows.endRow()
    }
}

extension PreparedRows {
    /// Where row `i`'s hashes start in ``probeHash`` (with its key's).
    @inline(__always)
    fileprivate func probeStart(ofRow i: Int) -> Int { i == 0 ? 0 : probeEnd[i - 1] }

    /// Asks for the lines of row `i`'s words in the per-row columns (a hint; out of range:
    /// nothing). A batch is written by the parsing thread, so the adding thread's reads of
    /// it come from the other core's cache or memory: left to the hardware, the row reads in
    /// ``rowBounds(_:)`` were 5% of all samples at 10M records (perf), stalled on those loads.
    @inline(__always)
    fileprivate func prefetchRowWords(_ i: Int) {
        guard i >= 0, i < valueEnd.count else { return }
        idr_prefetch(keyStart.base + i)
        idr_prefetch(keyCount.base + i)
        idr_prefetch(keyHash.base + i)
        idr_prefetch(sourceStart.base + i)
        idr_prefetch(sourceCount.base + i)
        idr_prefetch(valueEnd.base + i)
        idr_prefetch(given.base + i)
        idr_prefetch(rawBytes.base + i)
    }

    /// Asks for the lines of row `i`'s values and bytes, after ``prefetchRowWords(_:)`` had
    /// its row words fetched (a hint; out of range: nothing).
    @inline(__always)
    fileprivate func prefetchValueWords(_ i: Int) {
        guard i >= 0, i < valueEnd.count else { return }
        let last = valueEnd[unchecked: i] &- 1
        if last >= 0, last < outcome.count {
            idr_prefetch(kind.base + last)
            idr_prefetch(valueStart.base + last)
            idr_prefetch(valueHash.base + last)
            idr_prefetch(outcome.base + last)
        }
        let k = keyStart[unchecked: i]
        if k < bytes.count { idr_prefetch(bytes.base + k) }
    }
}

extension Resolver {
    /// Hints the CPU to fetch what adding rows of `rows` will read, in three stages a loader
    /// runs over successive windows ahead of ``add(prepared:row:)`` (rows past the end are
    /// ignored): the hash slots of rows `slots`; the entry words those slots name for rows
    /// `entries` (their slots fetched by an earlier call); the first value bytes of rows `bytes`
    /// (their entry words fetched earlier). A value that is already interned costs three
    /// dependent cache misses (slot, entry, bytes) at 10M records; fetched a stage apart they
    /// overlap with other rows' work.
    package func prefetch(prepared rows: PreparedRows, slots: Range<Int>, entries: Range<Int>, bytes: Range<Int>) {
        // Each table names its lines and they are fetched after: no table is copied (a retain
        // and release per array inside it; ``CacheLines``).
        restoreIndex()
        let all = 0..<rows.count
        // The batch's own words, for the rows a stage behind each: each stage's last row
        // (the lines of a window's earlier rows were its predecessor's last).
        if let last = slots.clamped(to: all).last { rows.prefetchRowWords(last) }
        if let last = entries.clamped(to: all).last { rows.prefetchValueWords(last) }
        forEachProbe(rows, slots.clamped(to: all)) { isKey, h in
            (isKey ? records.slotLines(hash: h) : values.slotLines(hash: h)).prefetch()
        }
        forEachProbe(rows, entries.clamped(to: all)) { isKey, h in
            let line: CacheLines
            if isKey {
                line = records.candidate(hash: h).map { records.entryLine($0) } ?? CacheLines(nil)
            } else {
                line = values.candidate(hash: h).map { values.entryLine($0) } ?? CacheLines(nil)
            }
            line.prefetch()
        }
        // Record keys are new in a bulk load: their slots are empty, there are no bytes to fetch.
        forEachProbe(rows, bytes.clamped(to: all)) { isKey, h in
            if !isKey, let c = values.candidate(hash: h) { values.bytesLine(c).prefetch() }
        }
    }

    /// Calls `body` with each hash of rows `range` (``PreparedRows/probeHash``) and whether it
    /// is a record key's.
    @inline(__always)
    private func forEachProbe(_ rows: PreparedRows, _ range: Range<Int>, _ body: (Bool, UInt64) -> Void) {
        guard let first = range.first else { return }
        // One check for the range: each `probeEnd` is at most `probeHash.count`.
        precondition(range.upperBound <= rows.probeEnd.count, "row range out of range")
        var j = rows.probeStart(ofRow: first)
        for i in range {
            let end = rows.probeEnd[unchecked: i]
            body(true, rows.probeHash[unchecked: j])
            j &+= 1
            while j < end {
                body(false, rows.probeHash[unchecked: j])
                j &+= 1
            }
        }
    }

    /// A preparer for rows of this resolver (see ``RowPreparer``).
    package func preparer() -> RowPreparer { RowPreparer(self) }

    /// Adds row `i` of `rows`, prepared by this resolver's ``preparer()`` after its last kind
    /// registration: exactly what ``add(recordKey:source:identifiers:)`` does with the raw row.
    ///
    /// - Throws: as ``add(recordKey:source:identifiers:)``.
    @discardableResult
    package func add(prepared rows: PreparedRows, row i: Int) throws(IDRError) -> Int {
        let row = rows.rowBounds(i)
        // The column holds the bytes until the batch is refilled, after this call.
        let bytes = UnsafeRawBufferPointer(start: rows.bytes.base, count: rows.bytes.count)
        let key = UnsafeRawBufferPointer(rebasing: bytes[row.key])
        let keyBase = try kinds.validate(recordKey: key, identifiers: UnsafeBufferPointer(start: nil, count: 0),
                                         limits: configuration.limits, attributes: true)
        guard row.given <= configuration.limits.maxIdentifiersPerRecord else {
            throw IDRError(.limitExceeded, "\(row.given) identifiers exceed maxIdentifiersPerRecord \(configuration.limits.maxIdentifiersPerRecord)")
        }
        for v in row.values {
            let k = rows.value(v, row: i).kind
            guard IdentifierKind(rawValue: k).isAttribute || (Int(k) < kinds.count && kinds[Int(k)].registered) else {
                throw IDRError(.unknownKind, "identifier kind \(k) is not registered")
            }
        }
        let source = row.source.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
        let record = try admit(key: key, keyBase: keyBase, keyHash: row.keyHash, source: source, valueBytes: row.rawBytes)
        counters.adds &+= 1
        for v in row.values {
            let (k, range, hash, outcome) = rows.value(v, row: i)
            let kind = IdentifierKind(rawValue: k)
            let normalized = UnsafeRawBufferPointer(rebasing: bytes[range])
            if kind.isAttribute {
                let o: AttributeStore.Outcome = outcome == 0 ? .valid : outcome == 1 ? .placeholder
                    : .invalid(InvalidReason(rawValue: outcome &- 2) ?? .empty)
                storeAttribute(record: Int(record), kind: kind, o, normalized)
            } else if outcome >= 2 {
                counters.invalid[counters.invalidIndex(Int(k), Int(outcome - 2))] &+= 1
            } else {
                try storeIdentifier(record: record, kind: k, normalized, hash: hash, placeholder: outcome == 1)
            }
        }
        return Int(record)
    }
}
