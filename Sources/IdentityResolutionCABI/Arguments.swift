import CIDR
import IdentityResolution

/// Bytes a C caller passed as (pointer, length), checked: NULL is allowed only with length 0,
/// and a length that does not fit in `Int` (a huge `size_t`) is rejected.
@inline(__always)
func bytes(_ p: UnsafePointer<CChar>?, _ n: Int) -> UnsafeRawBufferPointer? {
    guard n >= 0 else { return nil }
    if n == 0 { return UnsafeRawBufferPointer(start: nil, count: 0) }
    guard let p else { return nil }
    return UnsafeRawBufferPointer(start: p, count: n)
}

/// The caller's options, whatever layout version they were written with: an older struct ends
/// before the newer fields, so only its own bytes are read and the rest keep their defaults
/// (no secret; fuzzy threshold and block size as in ``idr_options_init``; no entity limits and
/// the default link priority). Nil for an unknown
/// version.
func options(_ opts: UnsafePointer<idr_options>) -> idr_options? {
    let version = UnsafeRawPointer(opts).loadUnaligned(as: UInt32.self)
    var o = idr_options()
    idr_options_init(&o)
    let size: Int
    switch version {
    case UInt32(IDR_OPTIONS_VERSION): return opts.pointee
    case 1: size = MemoryLayout<idr_options>.offset(of: \idr_options.hash_only_secret)!
    case 2: size = MemoryLayout<idr_options>.offset(of: \idr_options.fuzzy_threshold)!
    case 3: size = MemoryLayout<idr_options>.offset(of: \idr_options.entity_limit)!
    default: return nil
    }
    withUnsafeMutableBytes(of: &o) { $0.copyMemory(from: UnsafeRawBufferPointer(start: opts, count: size)) }
    return o
}

/// The configuration for optional C options (NULL: the defaults).
func configuration(from opts: UnsafePointer<idr_options>?) -> Result<ResolverConfiguration, IDRError> {
    guard let opts else { return .success(ResolverConfiguration()) }
    guard let o = options(opts) else { return .failure(unknownOptionsVersion(opts)) }
    return configuration(from: o)
}

func unknownOptionsVersion(_ opts: UnsafePointer<idr_options>) -> IDRError {
    let version = UnsafeRawPointer(opts).loadUnaligned(as: UInt32.self)
    return IDRError(.init(rawValue: -11), "options version \(version) is not 1...\(IDR_OPTIONS_VERSION)")
}

/// The hash-only secret of C options, checked; nil when there is none.
func secret(of o: idr_options) -> Result<[UInt8]?, IDRError> {
    guard o.hash_only_secret_len > 0 || o.hash_only_secret != nil else { return .success(nil) }
    guard let p = o.hash_only_secret, (16...4096).contains(o.hash_only_secret_len) else {
        return .failure(IDRError(.invalidArgument, "hash_only_secret must point to 16..4096 bytes"))
    }
    return .success(Array(UnsafeBufferPointer(start: p, count: o.hash_only_secret_len)))
}

/// Converts C options (any accepted layout, see ``options(_:)``) to a configuration, checking
/// every field.
func configuration(from o: idr_options) -> Result<ResolverConfiguration, IDRError> {
    var c = ResolverConfiguration()
    let known = UInt32(IDR_FLAG_EMAIL_DROP_PLUS_TAG | IDR_FLAG_EMAIL_GMAIL_DOTS | IDR_FLAG_NO_BUILTIN_PLACEHOLDERS
                       | IDR_FLAG_NO_GENERIC_GUARD | IDR_FLAG_EVENTS | IDR_FLAG_NO_ERASURE_TOMBSTONES | IDR_FLAG_NO_FUZZY
                       | IDR_FLAG_DATES_MONTH_FIRST | IDR_FLAG_NO_NICKNAMES)
    guard o.flags & ~known == 0 else {
        return .failure(IDRError(.invalidArgument, "unknown option flags 0x\(String(o.flags & ~known, radix: 16))"))
    }
    c.emailDropPlusTag = o.flags & UInt32(IDR_FLAG_EMAIL_DROP_PLUS_TAG) != 0
    c.emailGmailDots = o.flags & UInt32(IDR_FLAG_EMAIL_GMAIL_DOTS) != 0
    c.builtInPlaceholders = o.flags & UInt32(IDR_FLAG_NO_BUILTIN_PLACEHOLDERS) == 0
    c.genericGuard = o.flags & UInt32(IDR_FLAG_NO_GENERIC_GUARD) == 0
    c.erasureTombstones = o.flags & UInt32(IDR_FLAG_NO_ERASURE_TOMBSTONES) == 0
    c.fuzzy.enabled = o.flags & UInt32(IDR_FLAG_NO_FUZZY) == 0
    c.fuzzy.dateOrder = o.flags & UInt32(IDR_FLAG_DATES_MONTH_FIRST) != 0 ? .monthFirst : .dayFirst
    c.fuzzy.builtInNicknames = o.flags & UInt32(IDR_FLAG_NO_NICKNAMES) == 0
    c.fuzzy.threshold = o.fuzzy_threshold
    c.fuzzy.maxBlockSize = Int(o.fuzzy_max_block_size)
    switch secret(of: o) {
    case .success(let s): c.hashOnlySecret = s
    case .failure(let e): return .failure(e)
    }
    c.defaultCountryCode = Int(o.default_country_code)
    switch o.phone_trunk_prefix {
    case IDR_TRUNK_AUTO: c.phoneTrunkPrefix = .automatic
    case IDR_TRUNK_NONE: c.phoneTrunkPrefix = .none
    case 0...9: c.phoneTrunkPrefix = .digit(UInt8(o.phone_trunk_prefix))
    default:
        return .failure(IDRError(.invalidArgument, "phone_trunk_prefix \(o.phone_trunk_prefix) is not IDR_TRUNK_AUTO, IDR_TRUNK_NONE or 0..9"))
    }
    withUnsafeBytes(of: o.generic_threshold) { raw in
        let t = raw.bindMemory(to: UInt32.self)
        for kind in IdentifierKind.builtIn { c.genericThresholds[kind] = Int(t[Int(kind.rawValue)]) }
    }
    c.customGenericThreshold = Int(o.custom_generic_threshold)
    c.distinguishingKinds = IdentifierKind.builtIn.filter { o.distinguishing_kinds & (1 << $0.rawValue) != 0 }
    c.limits.maxRecordKeyLength = Int(o.max_record_key_length)
    c.limits.maxValueLength = Int(o.max_value_length)
    c.limits.maxIdentifiersPerRecord = Int(o.max_identifiers_per_record)
    c.limits.maxCustomKinds = Int(o.max_custom_kinds)
    guard o.max_records <= 4_000_000_000 else {
        return .failure(IDRError(.invalidArgument, "max_records \(o.max_records) exceeds 4000000000"))
    }
    c.limits.maxRecords = Int(o.max_records)
    withUnsafeBytes(of: o.entity_limit) { raw in
        let l = raw.bindMemory(to: UInt32.self)
        for kind in IdentifierKind.builtIn where l[Int(kind.rawValue)] != 0 { c.entityLimits[kind] = Int(l[Int(kind.rawValue)]) }
    }
    var priority: [IdentifierKind] = []
    let badPriority: UInt32? = withUnsafeBytes(of: o.link_priority) { raw in
        for k in raw.bindMemory(to: UInt32.self) {
            if k == 0 { break }
            guard let kind = IdentifierKind.builtIn.first(where: { $0.rawValue == k }), !priority.contains(kind) else { return k }
            priority.append(kind)
        }
        return nil
    }
    if let badPriority {
        return .failure(IDRError(.invalidArgument, "link_priority: \(badPriority) is not a built-in kind, or is listed twice"))
    }
    c.linkPriority = priority
    do {
        try c.validate()
    } catch {
        return .failure(error)
    }
    return .success(c)
}

@c @implementation
public func idr_options_init(_ opts: UnsafeMutablePointer<idr_options>?) {
    guard let opts else { return }
    let d = ResolverConfiguration()
    var o = idr_options()
    o.version = UInt32(IDR_OPTIONS_VERSION)
    o.flags = 0
    o.default_country_code = UInt32(d.defaultCountryCode)
    o.phone_trunk_prefix = IDR_TRUNK_AUTO
    withUnsafeMutableBytes(of: &o.generic_threshold) { raw in
        let t = raw.bindMemory(to: UInt32.self)
        for kind in IdentifierKind.builtIn {
            t[Int(kind.rawValue)] = UInt32(d.genericThresholds[kind] ?? 0)
        }
    }
    o.custom_generic_threshold = UInt32(d.customGenericThreshold)
    o.distinguishing_kinds = d.distinguishingKinds.reduce(0) { $0 | (1 << $1.rawValue) }
    o.max_record_key_length = UInt32(d.limits.maxRecordKeyLength)
    o.max_value_length = UInt32(d.limits.maxValueLength)
    o.max_identifiers_per_record = UInt32(d.limits.maxIdentifiersPerRecord)
    o.max_custom_kinds = UInt32(d.limits.maxCustomKinds)
    o.max_records = UInt64(d.limits.maxRecords)
    o.fuzzy_threshold = d.fuzzy.threshold
    o.fuzzy_max_block_size = UInt32(d.fuzzy.maxBlockSize)
    withUnsafeMutableBytes(of: &o.link_priority) { raw in
        let p = raw.bindMemory(to: UInt32.self)
        for (i, kind) in d.linkPriority.prefix(p.count).enumerated() { p[i] = kind.rawValue }
    }
    opts.pointee = o
}

/// The name, rule and generic threshold (UINT32_MAX: the default) of a custom kind being
/// registered, checked.
func kindArguments(_ name: UnsafePointer<CChar>?, _ name_len: Int, _ rule: UInt32, _ generic_threshold: UInt32)
    -> Result<(name: String, rule: NormalizationRule, threshold: Int?), IDRError> {
    guard let raw = bytes(name, name_len), raw.count <= 64 else {
        return .failure(IDRError(.invalidArgument, "kind name is NULL or longer than 64 bytes"))
    }
    guard rule <= UInt32(UInt8.max), let r = NormalizationRule(rawValue: UInt8(rule)) else {
        return .failure(IDRError(.invalidArgument, "unknown rule \(rule)"))
    }
    return .success((String(decoding: raw, as: UTF8.self), r, generic_threshold == UInt32.max ? nil : Int(generic_threshold)))
}

/// Builds an object from C options with `make` and hands it to C through `out` (retained; its
/// free function releases it). The shared body of idr_engine_create and idr_resolver_create.
func createObject<T: AnyObject>(
    _ opts: UnsafePointer<idr_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ make: (ResolverConfiguration) throws(IDRError) -> T
) -> idr_status {
    guard let out else { return fail(nil, .invalidArgument, "out is NULL") }
    out.pointee = nil
    let c: ResolverConfiguration
    switch configuration(from: opts) {
    case .success(let converted): c = converted
    case .failure(let e): return fail(nil, e)
    }
    do throws(IDRError) {
        out.pointee = OpaquePointer(Unmanaged.passRetained(try make(c)).toOpaque())
        return succeed()
    } catch {
        return fail(nil, error)
    }
}

/// Releases what ``createObject(_:_:_:)`` handed out; NULL is a no-op.
func releaseObject<T: AnyObject>(_ p: OpaquePointer?, as type: T.Type) {
    guard let p else { return }
    Unmanaged<T>.fromOpaque(UnsafeRawPointer(p)).release()
}
