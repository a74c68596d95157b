import CIDR
import IdentityResolution

/// What an `idr_resolver *` points to.
final class ResolverHandle {
    let resolver: Resolver
    init(_ resolver: Resolver) { self.resolver = resolver }

    static func from(_ p: OpaquePointer?) -> ResolverHandle? {
        guard let p else { return nil }
        return Unmanaged<ResolverHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

@c @implementation
public func idr_resolver_create(_ opts: UnsafePointer<idr_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> idr_status {
    createObject(opts, out) { (c) throws(IDRError) in ResolverHandle(try Resolver(configuration: c)) }
}

@c @implementation
public func idr_resolver_free(_ resolver: OpaquePointer?) {
    releaseObject(resolver, as: ResolverHandle.self)
}

@c @implementation
public func idr_resolver_register_kind_ex(
    _ resolver: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ name_len: Int, _ rule: UInt32,
    _ generic_threshold: UInt32, _ out_kind: UnsafeMutablePointer<UInt32>?
) -> idr_status {
    guard let handle = ResolverHandle.from(resolver), let out_kind else {
        return fail(nil, .invalidArgument, "resolver or out_kind is NULL")
    }
    let kind: (name: String, rule: NormalizationRule, threshold: Int?)
    switch kindArguments(name, name_len, rule, generic_threshold) {
    case .success(let checked): kind = checked
    case .failure(let error): return fail(nil, error)
    }
    do throws(IDRError) {
        out_kind.pointee = try handle.resolver.registerKind(named: kind.name, rule: kind.rule, genericThreshold: kind.threshold).rawValue
        return succeed()
    } catch {
        return fail(nil, error)
    }
}

@c @implementation
public func idr_resolver_add_columns(
    _ resolver: OpaquePointer?, _ record_count: Int,
    _ keys: UnsafePointer<CChar>?, _ keys_len: Int, _ key_offsets: UnsafePointer<UInt64>?,
    _ column_count: Int, _ column_kinds: UnsafePointer<UInt32>?,
    _ column_data: UnsafePointer<UnsafePointer<CChar>?>?, _ column_data_len: UnsafePointer<Int>?,
    _ column_offsets: UnsafePointer<UnsafePointer<UInt64>?>?, _ out_records: UnsafeMutablePointer<UInt64>?
) -> idr_status {
    guard let handle = ResolverHandle.from(resolver) else { return fail(nil, .invalidArgument, "resolver is NULL") }
    let r = handle.resolver
    let batch: ColumnBatch
    switch ColumnBatch.check(record_count, keys, keys_len, key_offsets, column_count, column_kinds, column_data,
                             column_data_len, column_offsets, maxIdentifiers: r.configuration.limits.maxIdentifiersPerRecord) {
    case .success(let checked?): batch = checked
    case .success(nil): return succeed()
    case .failure(let error): return fail(nil, error)
    }
    return withUnsafeTemporaryAllocation(of: RawIdentifier.self, capacity: max(column_count, 1)) { raws in
        for i in 0..<record_count {
            let n = batch.identifiers(i, into: raws)
            do throws(IDRError) {
                let index = try r.add(recordKey: batch.key(i), identifiers: UnsafeBufferPointer(rebasing: raws[0..<n]))
                out_records?[i] = UInt64(index)
            } catch {
                return fail(nil, error.code, "row \(i): \(error.message)")
            }
        }
        return succeed()
    }
}

@c @implementation
public func idr_resolver_record_count(_ resolver: OpaquePointer?) -> Int {
    ResolverHandle.from(resolver)?.resolver.recordCount ?? 0
}

@c @implementation
public func idr_resolver_resolve(_ resolver: OpaquePointer?, _ out_entities: UnsafeMutablePointer<UInt64>?, _ capacity: Int) -> idr_status {
    guard let handle = ResolverHandle.from(resolver), let out_entities else {
        return fail(nil, .invalidArgument, "resolver or out_entities is NULL")
    }
    let n = handle.resolver.recordCount
    guard capacity >= n else { return fail(nil, .bufferTooSmall, "capacity \(capacity) is less than \(n) records") }
    let resolution = handle.resolver.resolve()
    for i in 0..<n { out_entities[i] = resolution.entityID(ofRecord: i) }
    return succeed()
}

@c @implementation
public func idr_engine_normalize_column(
    _ engine: OpaquePointer?, _ kind: UInt32, _ count: Int,
    _ data: UnsafePointer<CChar>?, _ data_len: Int, _ offsets: UnsafePointer<UInt64>?,
    _ out: UnsafeMutablePointer<CChar>?, _ out_capacity: Int, _ out_offsets: UnsafeMutablePointer<UInt64>?,
    _ out_flags: UnsafeMutablePointer<UInt8>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    guard count >= 0, let input = bytes(data, data_len), let offsets, let out_offsets, let out_flags else {
        return fail(engine, .invalidArgument, "a NULL argument or a bad length")
    }
    guard checkOffsets(offsets, count, UInt64(input.count)) else {
        return fail(engine, .invalidArgument, "offsets decrease or run past data_len")
    }
    let (product, overflow) = count.multipliedReportingOverflow(by: Int(IDR_NORMALIZE_SLACK))
    guard !overflow, out_capacity >= input.count &+ product, out != nil || out_capacity == 0 else {
        return fail(engine, .bufferTooSmall, "out_capacity must be at least data_len + IDR_NORMALIZE_SLACK * count")
    }
    let result: Result<Void, IDRError> = handle.read { e in
        let base = UnsafeMutableRawPointer(out).map { $0.assumingMemoryBound(to: UInt8.self) }
        var written = 0
        out_offsets[0] = 0
        for i in 0..<count {
            let value = slice(input.baseAddress, offsets, i)
            var flags: UInt8 = UInt8(IDR_VALUE_INVALID)
            if value.count > 0, let base {
                do throws(IDRError) {
                    if let (n, placeholder) = try e.normalized(IdentifierKind(rawValue: kind), value, into: base + written) {
                        written += n
                        flags = placeholder ? UInt8(IDR_VALUE_PLACEHOLDER) : 0
                    }
                } catch {
                    return .failure(error)
                }
            }
            out_flags[i] = flags
            out_offsets[i + 1] = UInt64(written)
        }
        return .success(())
    }
    switch result {
    case .success: return succeed()
    case .failure(let error): return fail(engine, error)
    }
}

@c @implementation
public func idr_entity_id_of_key(_ key: UnsafePointer<CChar>?, _ key_len: Int, _ attempt: UInt64) -> UInt64 {
    guard let b = bytes(key, key_len) else { return 0 }
    return Resolver.entityID(ofSmallestKey: b, attempt: attempt)
}
