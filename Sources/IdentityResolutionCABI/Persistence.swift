import CIDR
import IdentityResolution

/// A path given as (pointer, length): UTF-8 without NUL bytes.
private func pathString(_ p: UnsafePointer<CChar>?, _ n: Int) -> String? {
    guard let b = bytes(p, n), b.count > 0, !b.contains(0) else { return nil }
    return String(decoding: b, as: UTF8.self)
}

private func publish(_ engine: Engine, _ opts: UnsafePointer<idr_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>) -> idr_status {
    engine.collectsEvents = (opts?.pointee.flags ?? 0) & UInt32(IDR_FLAG_EVENTS) != 0
    out.pointee = OpaquePointer(Unmanaged.passRetained(EngineHandle(engine)).toOpaque())
    return succeed()
}

@c @implementation
public func idr_engine_open(
    _ path: UnsafePointer<CChar>?, _ path_len: Int, _ opts: UnsafePointer<idr_options>?, _ sync: UInt32,
    _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> idr_status {
    guard let out else { return fail(nil, .invalidArgument, "out is NULL") }
    out.pointee = nil
    guard let file = pathString(path, path_len) else { return fail(nil, .invalidArgument, "path is NULL, empty or holds a NUL byte") }
    guard sync <= 1 else { return fail(nil, .invalidArgument, "sync must be IDR_SYNC_PROCESS or IDR_SYNC_DISK") }
    let c: ResolverConfiguration
    switch configuration(from: opts) {
    case .success(let converted): c = converted
    case .failure(let e): return fail(nil, e)
    }
    do throws(IDRError) {
        return publish(try Engine.open(path: file, configuration: c, sync: sync == 1 ? .disk : .process), opts, out)
    } catch {
        return fail(nil, error)
    }
}

@c @implementation
public func idr_engine_save(_ engine: OpaquePointer?) -> idr_status {
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    let result = handle.write { e in Result { () throws(IDRError) in try e.save() } }
    switch result {
    case .success: return succeed()
    case .failure(let error): return fail(engine, error)
    }
}

@c @implementation
public func idr_engine_mirror_reads(_ engine: OpaquePointer?) -> idr_status {
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    do throws(IDRError) {
        try handle.mirrorReads()
        return succeed()
    } catch {
        return fail(engine, error)
    }
}

@c @implementation
public func idr_engine_save_to(_ engine: OpaquePointer?, _ path: UnsafePointer<CChar>?, _ path_len: Int) -> idr_status {
    guard let handle = EngineHandle.from(engine) else { return fail(engine, .invalidArgument, "engine is NULL") }
    guard let file = pathString(path, path_len) else { return fail(engine, .invalidArgument, "path is NULL, empty or holds a NUL byte") }
    let result = handle.write { e in Result { () throws(IDRError) in try e.save(to: file) } }
    switch result {
    case .success: return succeed()
    case .failure(let error): return fail(engine, error)
    }
}

@c @implementation
public func idr_engine_load(
    _ path: UnsafePointer<CChar>?, _ path_len: Int, _ opts: UnsafePointer<idr_options>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> idr_status {
    guard let out else { return fail(nil, .invalidArgument, "out is NULL") }
    out.pointee = nil
    guard let file = pathString(path, path_len) else { return fail(nil, .invalidArgument, "path is NULL, empty or holds a NUL byte") }
    var key: [UInt8]? = nil
    if let opts {
        guard let o = options(opts) else { return fail(nil, unknownOptionsVersion(opts)) }
        switch secret(of: o) {
        case .success(let s): key = s
        case .failure(let e): return fail(nil, e)
        }
    }
    do throws(IDRError) {
        return publish(try Engine.load(from: file, secret: key), opts, out)
    } catch {
        return fail(nil, error)
    }
}
