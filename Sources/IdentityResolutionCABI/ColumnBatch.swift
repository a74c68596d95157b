import CIDR
import IdentityResolution

/// Records given as C columns (idr_engine_add_columns, idr_resolver_add_columns), checked once:
/// every offsets array non-decreasing and within its buffer, no NULL where data is needed.
/// Sendable because a batch's second thread reads it (RecordFeeder): the caller's memory is only
/// read, and only during the call.
struct ColumnBatch: @unchecked Sendable {
    let count: Int
    let keys: UnsafeRawBufferPointer
    let keyOffsets: UnsafePointer<UInt64>
    let columnCount: Int
    let kinds: UnsafePointer<UInt32>?
    let data: UnsafePointer<UnsafePointer<CChar>?>?
    let offsets: UnsafePointer<UnsafePointer<UInt64>?>?

    /// The batch, or the reason it is malformed; nil for an empty batch (nothing to check).
    static func check(
        _ record_count: Int, _ keys: UnsafePointer<CChar>?, _ keys_len: Int, _ key_offsets: UnsafePointer<UInt64>?,
        _ column_count: Int, _ column_kinds: UnsafePointer<UInt32>?,
        _ column_data: UnsafePointer<UnsafePointer<CChar>?>?, _ column_data_len: UnsafePointer<Int>?,
        _ column_offsets: UnsafePointer<UnsafePointer<UInt64>?>?, maxIdentifiers: Int
    ) -> Result<ColumnBatch?, IDRError> {
        guard record_count >= 0, column_count >= 0, column_count <= 4096 else {
            return .failure(IDRError(.invalidArgument, "record_count or column_count out of range (at most 4096 columns)"))
        }
        if record_count == 0 { return .success(nil) }
        guard let keyBytes = bytes(keys, keys_len), let key_offsets else {
            return .failure(IDRError(.invalidArgument, "keys or key_offsets is NULL"))
        }
        guard checkOffsets(key_offsets, record_count, UInt64(keyBytes.count)) else {
            return .failure(IDRError(.invalidArgument, "key_offsets decrease or run past keys_len"))
        }
        if column_count > 0 {
            guard let column_kinds, let column_data, let column_data_len, let column_offsets else {
                return .failure(IDRError(.invalidArgument, "a column array is NULL"))
            }
            for c in 0..<column_count {
                guard column_data_len[c] >= 0, column_data[c] != nil || column_data_len[c] == 0, let offsets = column_offsets[c],
                      checkOffsets(offsets, record_count, UInt64(column_data_len[c]))
                else {
                    return .failure(IDRError(.invalidArgument, "column \(c): NULL data or offsets, or offsets that decrease or run past its length"))
                }
                _ = column_kinds[c]
            }
        }
        guard column_count <= maxIdentifiers else {
            return .failure(IDRError(.limitExceeded, "\(column_count) columns exceed max_identifiers_per_record \(maxIdentifiers)"))
        }
        return .success(ColumnBatch(count: record_count, keys: keyBytes, keyOffsets: key_offsets, columnCount: column_count,
                                    kinds: column_kinds, data: column_data, offsets: column_offsets))
    }

    /// Record `r`'s key.
    @inline(__always)
    func key(_ r: Int) -> UnsafeRawBufferPointer { slice(keys.baseAddress, keyOffsets, r) }

    /// Writes record `r`'s non-empty values to `raws` (at least `columnCount` entries); returns
    /// how many.
    @inline(__always)
    func identifiers(_ r: Int, into raws: UnsafeMutableBufferPointer<RawIdentifier>) -> Int {
        var n = 0
        for c in 0..<columnCount {
            let value = slice(UnsafeRawPointer(data![c]), offsets![c]!, r)
            if value.count == 0 { continue }
            raws.initializeElement(at: n, to: RawIdentifier(kind: IdentifierKind(rawValue: kinds![c]), value: value))
            n += 1
        }
        return n
    }
}

/// Whether `count + 1` offsets never decrease and stay within `length`.
func checkOffsets(_ offsets: UnsafePointer<UInt64>, _ count: Int, _ length: UInt64) -> Bool {
    var previous = offsets[0]
    guard previous <= length else { return false }
    for i in 1...max(count, 1) where i <= count {
        let o = offsets[i]
        guard o >= previous, o <= length else { return false }
        previous = o
    }
    return true
}

/// Bytes `[offsets[i], offsets[i + 1])` of `base` (offsets already checked).
@inline(__always)
func slice(_ base: UnsafeRawPointer?, _ offsets: UnsafePointer<UInt64>, _ i: Int) -> UnsafeRawBufferPointer {
    let start = Int(offsets[i]), end = Int(offsets[i + 1])
    return UnsafeRawBufferPointer(start: end > start ? base! + start : nil, count: end - start)
}
