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
    guard let out else { return fail(nil, .invalidArgument, "out is NULL") }
    out.pointee = nil
    let c: ResolverConfiguration
    switch configuration(from: opts) {
    case .success(let converted): c = converted
    case .failure(let e): return fail(nil, e)
    }
    do throws(IDRError) {
        let handle = ResolverHandle(try Resolver(configuration: c))
        out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
        return succeed()
    } catch {
        return fail(nil, error)
    }
}

@c @implementation
public func idr_resolver_free(_ resolver: OpaquePointer?) {
    guard let resolver else { return }
    Unmanaged<ResolverHandle>.fromOpaque(UnsafeRawPointer(resolver)).release()
}

@c @implementation
public func idr_resolver_register_kind_ex(
    _ resolver: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ name_len: Int, _ rule: UInt32,
    _ generic_threshold: UInt32, _ out_kind: UnsafeMutablePointer<UInt32>?
) -> idr_status {
    guard let handle = ResolverHandle.from(resolver), let out_kind else {
        return fail(nil, .invalidArgument, "resolver or out_kind is NULL")
    }
    guard let raw = bytes(name, name_len), raw.count <= 64 else {
        return fail(nil, .invalidArgument, "kind name is NULL or longer than 64 bytes")
    }
    guard rule <= UInt32(UInt8.max), let r = NormalizationRule(rawValue: UInt8(rule)) else {
        return fail(nil, .invalidArgument, "unknown rule \(rule)")
    }
    let threshold: Int? = generic_threshold == UInt32.max ? nil : Int(generic_threshold)
    do throws(IDRError) {
        out_kind.pointee = try handle.resolver.registerKind(named: String(decoding: raw, as: UTF8.self), rule: r,
                                                            genericThreshold: threshold).rawValue
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
    guard record_count >= 0, column_count >= 0, column_count <= 4096 else {
        return fail(nil, .invalidArgument, "record_count or column_count out of range (at most 4096 columns)")
    }
    if record_count == 0 { return succeed() }
    guard let keyBytes = bytes(keys, keys_len), let key_offsets, checkOffsets(key_offsets, record_count, UInt64(keyBytes.count)) else {
        return fail(nil, .invalidArgument, "keys or key_offsets is NULL, or offsets decrease or run past keys_len")
    }
    if column_count > 0 {
        guard let column_kinds, let column_data, let column_data_len, let column_offsets else {
            return fail(nil, .invalidArgument, "a column array is NULL")
        }
        for c in 0..<column_count {
            guard column_data_len[c] >= 0, column_data[c] != nil || column_data_len[c] == 0, let offsets = column_offsets[c],
                  checkOffsets(offsets, record_count, UInt64(column_data_len[c]))
            else {
                return fail(nil, .invalidArgument, "column \(c): NULL data or offsets, or offsets that decrease or run past its length")
            }
            _ = column_kinds[c]
        }
    }
    let r = handle.resolver
    guard column_count <= r.configuration.limits.maxIdentifiersPerRecord else {
        return fail(nil, .limitExceeded, "\(column_count) columns exceed max_identifiers_per_record")
    }
    return withUnsafeTemporaryAllocation(of: RawIdentifier.self, capacity: max(column_count, 1)) { raws in
        for i in 0..<record_count {
            let key = slice(keyBytes.baseAddress, key_offsets, i)
            var n = 0
            for c in 0..<column_count {
                let value = slice(UnsafeRawPointer(column_data![c]), column_offsets![c]!, i)
                if value.count == 0 { continue }
                raws.initializeElement(at: n, to: RawIdentifier(kind: IdentifierKind(rawValue: column_kinds![c]), value: value))
                n += 1
            }
            do throws(IDRError) {
                let index = try r.add(recordKey: key, identifiers: UnsafeBufferPointer(rebasing: raws[0..<n]))
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
    let h = XXH3.hash64(b, seed: attempt)
    return h == 0 ? 1 : h
}
