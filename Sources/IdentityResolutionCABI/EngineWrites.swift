import CIDR
import IdentityResolution

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
        // The reading part of the add runs before the exclusive lock (SharedEngine.add).
        let result = Result { () throws(IDRError) -> UInt64 in
            try handle.add(recordKey: key, identifiers: UnsafeBufferPointer(rebasing: raws[0..<n]))
        }
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
    let batch: ColumnBatch
    switch ColumnBatch.check(record_count, keys, keys_len, key_offsets, column_count, column_kinds, column_data,
                             column_data_len, column_offsets, maxIdentifiers: handle.engine.configuration.limits.maxIdentifiersPerRecord) {
    case .success(let checked?): batch = checked
    case .success(nil): return succeed()
    case .failure(let error): return fail(engine, error)
    }
    handle.write { $0.reserveCapacity(records: record_count, identifiers: record_count * min(column_count, 4)) }
    // Written in parts (SharedEngine+Batch): without a mirror one record per write, since a
    // reader arriving during a write waits for its end; with one, 1024 records per write, since
    // readers never wait and the mirror replays many records at once faster. A large batch is
    // checked, normalized and hashed on a second thread (RecordFeeder), outside any write: it
    // reads only the caller's columns and copies of the engine's settings.
    let record: ConcurrentRecordSource = { r, raws in (batch.key(r), batch.identifiers(r, into: raws)) }
    var added = 0
    do throws(IDRError) {
        try handle.add(count: record_count, identifierCapacity: batch.columnCount, concurrentRecord: record) { r, id in
            out_entities?[r] = id
            added = r + 1
            out_processed?.pointee = added
        }
    } catch {
        return fail(engine, error.code, "record \(added): \(error.message)")
    }
    return succeed()
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
