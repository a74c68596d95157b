#if canImport(Glibc)
import Glibc
#endif

/// An ``Engine`` shared by threads: any number of readers at once, one writer at a time.
///
/// ```swift
/// let shared = SharedEngine(try Engine())
/// // writer thread
/// try shared.write { try $0.add(key: "pos-7", identifiers: [Identifier(.email, "ann@x.com")]) }
/// // any reader thread, at the same time
/// let id = try shared.read { try $0.lookup(.email, "ann@x.com") }
/// ```
///
/// The engine's queries are side-effect free (no path compression, no shared scratch), so a
/// reader-writer lock is enough. It is a pthread rwlock that prefers writers, so a stream of
/// lookups cannot starve ingest. (Swift's `Synchronization.Mutex` was measured 30–45× slower
/// than a pthread lock under oversubscription on 2-core machines like ours.) The C ABI wraps
/// every engine in one of these.
public final class SharedEngine: @unchecked Sendable {
    /// The engine; touch it only inside ``read(_:)`` or ``write(_:)``.
    public let engine: Engine
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    /// Shares `engine`; from now on use it only through this object.
    public init(_ engine: Engine) {
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

    /// Runs `body` with shared access: queries only (lookup, entityID, members, why, how, …).
    @inline(__always)
    public func read<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(engine)
    }

    /// Runs `body` with exclusive access: adds, removes, saves, draining events.
    @inline(__always)
    public func write<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(engine)
    }
}
