import CIDR
import IdentityResolution

/// Adds one record through the engine; the caller holds the write lock and checked `ids`.
@inline(__always)
private func addRecord(
    _ e: Engine, key: UnsafeRawBufferPointer, ids: UnsafeMutableBufferPointer<RawIdentifier>, count: Int
) -> Result<UInt64, IDRError> {
    Result { () throws(IDRError) -> UInt64 in
        try e.add(recordKey: key, identifiers: UnsafeBufferPointer(rebasing: ids[0..<count]))
    }
}

@c @implementation
public func idr_engine_add(
    _ engine: OpaquePointer?, _ record_key: UnsafePointer<CChar>?, _ record_key_len: Int,
    _ ids: UnsafePointer<idr_identifier>?, _ count: Int, _ out_entity: UnsafeMutablePointer<UInt64>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    guard let key = bytes(record_key, record_key_len) else {
        return fail(engine, .invalidArgument, "record_key is NULL or its length is too large")
    }
    guard count >= 0, ids != nil || count == 0 else { return fail(engine, .invalidArgument, "ids is NULL with a count") }
    let limit = handle.engine.configuration.limits.maxIdentifiersPerRecord
    guard count <= limit else {
        return fail(engine, .limitExceeded, "\(count) identifiers exceed max_identifiers_per_record \(limit)")
    }
    return withUnsafeTemporaryAllocation(of: RawIdentifier.self, capacity: max(count, 1)) { raws in
        var n = 0
        for i in 0..<count {
            let id = ids![i]
            guard let value = bytes(id.value, id.value_len) else {
                return fail(engine, .invalidArgument, "identifier \(i) has a NULL value with a length")
            }
            if value.count == 0 { continue }
            raws.initializeElement(at: n, to: RawIdentifier(kind: IdentifierKind(rawValue: id.kind), value: value))
            n += 1
        }
        let result = handle.write { e in addRecord(e, key: key, ids: raws, count: n) }
        switch result {
        case .success(let entity):
            out_entity?.pointee = entity
            return succeed()
        case .failure(let error):
            return fail(engine, error)
        }
    }
}

@c @implementation
public func idr_engine_add_columns(
    _ engine: OpaquePointer?, _ record_count: Int,
    _ keys: UnsafePointer<CChar>?, _ keys_len: Int, _ key_offsets: UnsafePointer<UInt64>?,
    _ column_count: Int, _ column_kinds: UnsafePointer<UInt32>?,
    _ column_data: UnsafePointer<UnsafePointer<CChar>?>?, _ column_data_len: UnsafePointer<Int>?,
    _ column_offsets: UnsafePointer<UnsafePointer<UInt64>?>?,
    _ out_entities: UnsafeMutablePointer<UInt64>?, _ out_processed: UnsafeMutablePointer<Int>?
) -> idr_status {
    out_processed?.pointee = 0
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    guard record_count >= 0, column_count >= 0, column_count <= 4096 else {
        return fail(engine, .invalidArgument, "record_count or column_count out of range (at most 4096 columns)")
    }
    if record_count == 0 { return succeed() }
    guard let keyBytes = bytes(keys, keys_len), let key_offsets else {
        return fail(engine, .invalidArgument, "keys or key_offsets is NULL")
    }
    guard checkOffsets(key_offsets, record_count, UInt64(keyBytes.count)) else {
        return fail(engine, .invalidArgument, "key_offsets decrease or run past keys_len")
    }
    if column_count > 0 {
        guard let column_kinds, let column_data, let column_data_len, let column_offsets else {
            return fail(engine, .invalidArgument, "a column array is NULL")
        }
        for c in 0..<column_count {
            guard column_data_len[c] >= 0, column_data[c] != nil || column_data_len[c] == 0, let offsets = column_offsets[c],
                  checkOffsets(offsets, record_count, UInt64(column_data_len[c]))
            else {
                return fail(engine, .invalidArgument, "column \(c): NULL data or offsets, or offsets that decrease or run past its length")
            }
            _ = column_kinds[c]
        }
    }
    let limit = handle.engine.configuration.limits.maxIdentifiersPerRecord
    guard column_count <= limit else {
        return fail(engine, .limitExceeded, "\(column_count) columns exceed max_identifiers_per_record \(limit)")
    }
    handle.write { $0.reserveCapacity(records: record_count, identifiers: record_count * min(column_count, 4)) }
    // Write lock per chunk of records: readers get in between chunks, and the lock cost is
    // spread over many records.
    let chunk = 256
    return withUnsafeTemporaryAllocation(of: RawIdentifier.self, capacity: max(column_count, 1)) { raws in
        var i = 0
        while i < record_count {
            let end = min(i + chunk, record_count)
            let failure: (Int, IDRError)? = handle.write { e in
                for r in i..<end {
                    let key = slice(keyBytes.baseAddress, key_offsets, r)
                    var n = 0
                    for c in 0..<column_count {
                        let value = slice(UnsafeRawPointer(column_data![c]), column_offsets![c]!, r)
                        if value.count == 0 { continue }
                        raws.initializeElement(at: n, to: RawIdentifier(kind: IdentifierKind(rawValue: column_kinds![c]), value: value))
                        n += 1
                    }
                    switch addRecord(e, key: key, ids: raws, count: n) {
                    case .success(let entity): out_entities?[r] = entity
                    case .failure(let error): return (r, error)
                    }
                }
                return nil
            }
            if let (r, error) = failure {
                out_processed?.pointee = r
                return fail(engine, error.code, "record \(r): \(error.message)")
            }
            i = end
            out_processed?.pointee = i
        }
        return succeed()
    }
}

/// Whether `count + 1` offsets never decrease and stay within `length`.
func checkOffsets(_ offsets: UnsafePointer<UInt64>, _ count: Int, _ length: UInt64) -> Bool {
    var previous = offsets[0]
    guard previous <= length else { return false }
    for i in 1...count {
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

@c @implementation
public func idr_engine_remove(_ engine: OpaquePointer?, _ record_key: UnsafePointer<CChar>?, _ record_key_len: Int) -> idr_status {
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    guard let key = bytes(record_key, record_key_len) else {
        return fail(engine, .invalidArgument, "record_key is NULL or its length is too large")
    }
    let result = handle.write { e in Result { () throws(IDRError) -> Bool in try e.remove(recordKey: key) } }
    switch result {
    case .success(true): return succeed()
    case .success(false): return fail(engine, .notFound, "no record with this key")
    case .failure(let error): return fail(engine, error)
    }
}

@c @implementation
public func idr_engine_erase(
    _ engine: OpaquePointer?, _ kind: UInt32, _ value: UnsafePointer<CChar>?, _ value_len: Int,
    _ out_records: UnsafeMutablePointer<Int>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    guard let v = bytes(value, value_len) else {
        return fail(engine, .invalidArgument, "value is NULL or its length is too large")
    }
    let result = handle.write { e in Result { () throws(IDRError) -> Int in try e.erase(IdentifierKind(rawValue: kind), v) } }
    switch result {
    case .success(let n):
        out_records?.pointee = n
        return succeed()
    case .failure(let error):
        return fail(engine, error)
    }
}
