import CIDR
import IdentityResolution

@c @implementation
public func idr_engine_create(_ opts: UnsafePointer<idr_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> idr_status {
    createObject(opts, out) { (c) throws(IDRError) in
        let engine = try Engine(configuration: c)
        engine.collectsEvents = (opts?.pointee.flags ?? 0) & UInt32(IDR_FLAG_EVENTS) != 0
        return EngineHandle(engine)
    }
}

@c @implementation
public func idr_engine_free(_ engine: OpaquePointer?) {
    releaseObject(engine, as: EngineHandle.self)
}

@c @implementation
public func idr_engine_register_kind(
    _ engine: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ name_len: Int, _ out_kind: UnsafeMutablePointer<UInt32>?
) -> idr_status {
    idr_engine_register_kind_ex(engine, name, name_len, UInt32(IDR_RULE_EXACT), UInt32.max, out_kind)
}

@c @implementation
public func idr_engine_register_kind_ex(
    _ engine: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ name_len: Int, _ rule: UInt32,
    _ generic_threshold: UInt32, _ out_kind: UnsafeMutablePointer<UInt32>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out_kind else {
        return fail(engine, .invalidArgument, "engine or out_kind is NULL")
    }
    let kind: (name: String, rule: NormalizationRule, threshold: Int?)
    switch kindArguments(name, name_len, rule, generic_threshold) {
    case .success(let checked): kind = checked
    case .failure(let error): return fail(engine, error)
    }
    return handle.write { e in
        do throws(IDRError) {
            out_kind.pointee = try e.registerKind(named: kind.name, rule: kind.rule, genericThreshold: kind.threshold).rawValue
            return succeed()
        } catch {
            return fail(engine, error)
        }
    }
}

@c @implementation
public func idr_engine_find_kind(
    _ engine: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ name_len: Int, _ out_kind: UnsafeMutablePointer<UInt32>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out_kind, let raw = bytes(name, name_len) else {
        return fail(engine, .invalidArgument, "engine, name or out_kind is NULL")
    }
    let text = String(decoding: raw, as: UTF8.self)
    guard let kind = handle.read({ $0.kind(named: text) }) else {
        return fail(engine, .notFound, "no kind named \"\(text)\"")
    }
    out_kind.pointee = kind.rawValue
    return succeed()
}
