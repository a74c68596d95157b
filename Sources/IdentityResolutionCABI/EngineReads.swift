import CIDR
import IdentityResolution

@c @implementation
public func idr_engine_entity_of(
    _ engine: OpaquePointer?, _ record_key: UnsafePointer<CChar>?, _ record_key_len: Int, _ out_entity: UnsafeMutablePointer<UInt64>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out_entity else {
        return fail(engine, .invalidArgument, "engine or out_entity is NULL")
    }
    guard let key = bytes(record_key, record_key_len) else {
        return fail(engine, .invalidArgument, "record_key is NULL or its length is too large")
    }
    guard let entity = handle.read({ $0.entityID(ofKey: key) }) else {
        return fail(engine, .notFound, "no record with this key")
    }
    out_entity.pointee = entity
    return succeed()
}

@c @implementation
public func idr_engine_lookup(
    _ engine: OpaquePointer?, _ kind: UInt32, _ value: UnsafePointer<CChar>?, _ value_len: Int,
    _ out_entity: UnsafeMutablePointer<UInt64>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out_entity else {
        return fail(engine, .invalidArgument, "engine or out_entity is NULL")
    }
    guard let input = bytes(value, value_len) else {
        return fail(engine, .invalidArgument, "value is NULL or its length is too large")
    }
    let result = handle.read { e in
        Result { () throws(IDRError) -> UInt64? in try e.lookup(IdentifierKind(rawValue: kind), input) }
    }
    switch result {
    case .success(let entity?):
        out_entity.pointee = entity
        return succeed()
    case .success(nil):
        return fail(engine, .notFound, "no entity holds this identifier (unknown, invalid, placeholder or generic)")
    case .failure(let error):
        return fail(engine, error)
    }
}

@c @implementation
public func idr_engine_resolve(_ engine: OpaquePointer?, _ entity: UInt64, _ out_entity: UnsafeMutablePointer<UInt64>?) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out_entity else {
        return fail(engine, .invalidArgument, "engine or out_entity is NULL")
    }
    guard let current = handle.read({ $0.resolve(entity) }) else {
        return fail(engine, .notFound, "entity \(entity) is unknown or has no records left")
    }
    out_entity.pointee = current
    return succeed()
}

/// What an `idr_members *` points to: NUL-terminated keys back to back.
final class MembersList {
    let bytes: UnsafeMutablePointer<CChar>
    let starts: [Int]
    let lengths: [Int]

    init(keys: [String]) {
        var starts: [Int] = []
        var lengths: [Int] = []
        var total = 0
        for k in keys {
            starts.append(total)
            lengths.append(k.utf8.count)
            total += k.utf8.count + 1
        }
        bytes = .allocate(capacity: max(total, 1))
        for (i, k) in keys.enumerated() {
            var p = bytes + starts[i]
            for b in k.utf8 {
                p.pointee = CChar(bitPattern: b)
                p += 1
            }
            p.pointee = 0
        }
        self.starts = starts
        self.lengths = lengths
    }

    deinit { bytes.deallocate() }

    static func from(_ p: OpaquePointer?) -> MembersList? {
        guard let p else { return nil }
        return Unmanaged<MembersList>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

@c @implementation
public func idr_engine_members(_ engine: OpaquePointer?, _ entity: UInt64, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out else {
        return fail(engine, .invalidArgument, "engine or out is NULL")
    }
    let keys = handle.read { $0.members(of: entity) }
    guard !keys.isEmpty else { return fail(engine, .notFound, "entity \(entity) is unknown or has no records left") }
    out.pointee = OpaquePointer(Unmanaged.passRetained(MembersList(keys: keys)).toOpaque())
    return succeed()
}

@c @implementation
public func idr_members_count(_ members: OpaquePointer?) -> Int {
    MembersList.from(members)?.starts.count ?? 0
}

@c @implementation
public func idr_members_key(_ members: OpaquePointer?, _ index: Int, _ out_len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    guard let list = MembersList.from(members), index >= 0, index < list.starts.count else { return nil }
    out_len?.pointee = list.lengths[index]
    return UnsafePointer(list.bytes + list.starts[index])
}

@c @implementation
public func idr_members_free(_ members: OpaquePointer?) {
    guard let members else { return }
    Unmanaged<MembersList>.fromOpaque(UnsafeRawPointer(members)).release()
}

@c @implementation
public func idr_engine_stats(_ engine: OpaquePointer?, _ out: UnsafeMutablePointer<idr_stats>?) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out else {
        return fail(engine, .invalidArgument, "engine or out is NULL")
    }
    // A version-1 caller's struct ends before the erasure fields: write only its own bytes.
    let version = out.pointee.version
    guard version == 1 || version == UInt32(IDR_STATS_VERSION) else {
        return fail(engine, .init(rawValue: -11), "stats version \(version) is not 1 or \(IDR_STATS_VERSION)")
    }
    let (s, largest) = handle.read { ($0.statistics, $0.largestEntitySize()) }
    var o = idr_stats()
    o.version = version
    o.records = UInt64(s.records)
    o.entities = UInt64(s.entities)
    o.values = UInt64(s.values)
    o.generic_values = UInt64(s.genericValues)
    o.placeholder_values = UInt64(s.placeholderValues)
    o.invalid_values = UInt64(s.invalidValues)
    o.largest_entity = UInt64(largest)
    o.erased_values = UInt64(s.erasedValues)
    o.tombstones = UInt64(s.tombstones)
    let size = version == 1 ? MemoryLayout<idr_stats>.offset(of: \idr_stats.erased_values)! : MemoryLayout<idr_stats>.size
    withUnsafeBytes(of: &o) { UnsafeMutableRawPointer(out).copyMemory(from: $0.baseAddress!, byteCount: size) }
    return succeed()
}
