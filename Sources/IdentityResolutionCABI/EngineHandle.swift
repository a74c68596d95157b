#if canImport(Glibc)
import Glibc
#endif
import CIDR
import IdentityResolution

/// What an `idr_engine *` points to: the engine and the reader-writer lock that makes it safe
/// for many readers and one writer at a time.
///
/// A pthread rwlock that prefers writers: readers (lookups) never see a write half done, and a
/// steady stream of lookups cannot starve ingest.
final class EngineHandle {
    let engine: Engine
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init(engine: Engine) {
        self.engine = engine
        lock = .allocate(capacity: 1)
        var attr = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attr)
        pthread_rwlockattr_setkind_np(&attr, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attr)
        pthread_rwlockattr_destroy(&attr)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` holding the lock shared.
    @inline(__always)
    func read<R>(_ body: (Engine) -> R) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body(engine)
    }

    /// Runs `body` holding the lock exclusively.
    @inline(__always)
    func write<R>(_ body: (Engine) -> R) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body(engine)
    }

    /// The handle behind a C pointer (NULL gives nil).
    @inline(__always)
    static func from(_ p: OpaquePointer?) -> EngineHandle? {
        guard let p else { return nil }
        return Unmanaged<EngineHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}
