#if canImport(Glibc)
import Glibc
#endif
import CIDR
import IdentityResolution

/// The calling thread's last error: which engine it came from and its message, NUL-terminated.
/// One per thread (pthread key), so concurrent readers never see each other's messages.
struct ThreadError {
    var engine: UnsafeRawPointer?
    var failed = false
    var message: UnsafeMutablePointer<CChar>
    var capacity: Int
}

/// Key of the per-thread `ThreadError`; its destructor frees it when the thread exits.
let threadErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { raw in
        guard let raw else { return }
        let e = raw.assumingMemoryBound(to: ThreadError.self)
        e.pointee.message.deallocate()
        e.deinitialize(count: 1)
        e.deallocate()
    }
    return key
}()

private func threadError() -> UnsafeMutablePointer<ThreadError> {
    if let raw = pthread_getspecific(threadErrorKey) {
        return raw.assumingMemoryBound(to: ThreadError.self)
    }
    let e = UnsafeMutablePointer<ThreadError>.allocate(capacity: 1)
    let message = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
    message[0] = 0
    e.initialize(to: ThreadError(engine: nil, message: message, capacity: 256))
    pthread_setspecific(threadErrorKey, e)
    return e
}

/// Records a failure of a call on `engine` (nil: a stateless function) and returns its status.
func fail(_ engine: OpaquePointer?, _ error: IDRError) -> idr_status {
    let e = threadError()
    e.pointee.engine = engine.map { UnsafeRawPointer($0) }
    e.pointee.failed = true
    var text = error.message
    text.withUTF8 { utf8 in
        let n = min(utf8.count, 4095)
        if n + 1 > e.pointee.capacity {
            e.pointee.message.deallocate()
            e.pointee.message = .allocate(capacity: n + 1)
            e.pointee.capacity = n + 1
        }
        UnsafeMutableRawPointer(e.pointee.message).copyMemory(from: utf8.baseAddress!, byteCount: n)
        e.pointee.message[n] = 0
    }
    return idr_status(rawValue: error.code.rawValue)
}

/// Records a failure with a code and message.
func fail(_ engine: OpaquePointer?, _ code: IDRError.Code, _ message: String) -> idr_status {
    fail(engine, IDRError(code, message))
}

/// Records success of a call (the thread's last error is then empty).
@inline(__always)
func succeed() -> idr_status {
    if let raw = pthread_getspecific(threadErrorKey) {
        raw.assumingMemoryBound(to: ThreadError.self).pointee.failed = false
    }
    return IDR_OK
}

private let emptyMessage: StaticString = ""

@c @implementation
public func idr_engine_last_error(_ engine: OpaquePointer?) -> UnsafePointer<CChar>? {
    let empty = UnsafeRawPointer(emptyMessage.utf8Start).assumingMemoryBound(to: CChar.self)
    guard let raw = pthread_getspecific(threadErrorKey) else { return empty }
    let e = raw.assumingMemoryBound(to: ThreadError.self).pointee
    guard e.failed, e.engine == engine.map({ UnsafeRawPointer($0) }) else { return empty }
    return UnsafePointer(e.message)
}
