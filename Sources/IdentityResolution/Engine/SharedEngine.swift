#if canImport(Glibc)
import Glibc
#endif
import Synchronization

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
/// lookups cannot starve ingest; a writer first lets already-waiting readers in (briefly), and
/// both sides spin on the lock before sleeping. A lookup that arrives during a write still waits
/// for that write to end (README, "Performance"). (Swift's `Synchronization.Mutex` was measured 30–45× slower
/// than a pthread lock under oversubscription on 2-core machines like ours.) The C ABI wraps
/// every engine in one of these.
///
/// After ``mirrorReads()`` readers never wait: they read a second copy of the engine while a
/// write changes the first (SharedEngine+Mirror).
public final class SharedEngine: @unchecked Sendable {
    /// The engine; touch it only inside ``read(_:)`` or ``write(_:)``.
    public let engine: Engine
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>
    /// Held by every writer for all of its work, so that ``add(recordKey:identifiers:)`` can do
    /// its reading part with `lock` free: while a writer holds this, nothing else changes the
    /// engine, and readers only read.
    let writers: UnsafeMutablePointer<pthread_mutex_t>
    /// The record ``add(recordKey:identifiers:)`` prepares (under `writers`).
    private let prepared: PreparedAdd

    // The mirror (SharedEngine+Mirror). `mirrored` is raised once, under both locks; the
    // others change under `writers` only, and only while no reader can be reading what they
    // name (the left-right protocol).
    let mirrored = Atomic<Bool>(false)
    @exclusivity(unchecked) package var mirror: Engine?
    /// Why the mirror was dropped, if it was (``mirrorFailure``).
    @exclusivity(unchecked) var droppedMirror: IDRError?
    /// The copy readers arriving now read: 0 `engine`, 1 `mirror`.
    let front = Atomic<Int>(1)
    /// Which of the two arrival counters readers arriving now raise.
    let version = Atomic<Int>(0)
    // Every reader raises and lowers a counter, and the writer only reads them: each on a cache
    // line of its own, away from `front` and `version`, which readers only read.
    private let pad0: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    let arrivals0 = Atomic<Int>(0)
    private let pad1: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    let arrivals1 = Atomic<Int>(0)
    private let pad2: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    /// Shares `engine`; from now on use it only through this object.
    public init(_ engine: Engine) {
        self.engine = engine
        lock = .allocate(capacity: 1)
        var attr = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attr)
        pthread_rwlockattr_setkind_np(&attr, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attr)
        pthread_rwlockattr_destroy(&attr)
        writers = .allocate(capacity: 1)
        pthread_mutex_init(writers, nil)
        prepared = PreparedAdd()
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
        pthread_mutex_destroy(writers)
        writers.deallocate()
    }

    /// Tries to take the lock this many times before sleeping on it: a writer holds it for a few
    /// microseconds per add, much less than the scheduler takes to wake a sleeping thread.
    static let spins = 20_000

    /// Readers waiting for the lock. A writer that finds some lets them in first (for at most
    /// ``writerCourtesy`` checks): with a writer-preferring lock alone, a writer releasing and
    /// re-taking it back to back shut readers out (measured before this: one reader beside a
    /// writer adding one record per lock got lookups at p50 55 µs, 500k lookups in 27 s).
    private let waitingReaders = Atomic<Int>(0)
    static let writerCourtesy = 200_000

    /// Runs `body` with shared access: queries only (lookup, entityID, members, why, how, …).
    @inline(__always)
    public func read<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        if mirrored.load(ordering: .acquiring) { return try readMirrored(body) }
        return try readLocked(body)
    }

    /// A read under the lock (readers without a mirror).
    @inline(__always)
    func readLocked<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        var n = 0
        if pthread_rwlock_tryrdlock(lock) != 0 {
            waitingReaders.add(1, ordering: .relaxed)
            while pthread_rwlock_tryrdlock(lock) != 0 {
                n += 1
                if n == SharedEngine.spins { pthread_rwlock_rdlock(lock); break }
            }
            waitingReaders.subtract(1, ordering: .relaxed)
        }
        // Mirrored while this reader waited: the writers no longer take the lock.
        if mirrored.load(ordering: .acquiring) {
            pthread_rwlock_unlock(lock)
            return try readMirrored(body)
        }
        defer { pthread_rwlock_unlock(lock) }
        return try body(engine)
    }

    /// Runs `body` with exclusive access: adds, removes, saves, draining events.
    @inline(__always)
    public func write<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(writers)
        defer { pthread_mutex_unlock(writers) }
        if mirrored.load(ordering: .relaxed) { return try writeMirrored(body) }
        return try exclusive(body)
    }

    /// Adds a record: the same result, events and log entry as
    /// `write { try $0.add(recordKey: key, identifiers: identifiers) }`, but readers wait less.
    ///
    /// An add spends most of its time waiting for memory: normalizing and hashing, then a dozen
    /// dependent reads (slots, entries, lists, entities, roots), and only then a few writes.
    /// Here the reads run first, with readers still running beside them (only writers are kept
    /// out), and the exclusive part finds what it reads in cache. At 10M records a reader beside
    /// a writer adding one record at a time waited for the whole add (README, "Performance").
    ///
    /// - Throws: as ``Engine/add(recordKey:identifiers:)``.
    public func add(recordKey key: UnsafeRawBufferPointer, identifiers: UnsafeBufferPointer<RawIdentifier>) throws(IDRError) -> UInt64 {
        pthread_mutex_lock(writers)
        defer { pthread_mutex_unlock(writers) }
        let p = prepared, e = engine
        p.values.scrubs = e.fingerprinter.isKeyed
        // Reads only (each stage is documented as changing nothing in the engine); each one
        // waits for what the one before asked for, outside the exclusive lock (or, with a
        // mirror, before readers are sent away from the engine).
        e.prepareAhead(p, key: key, identifiers: identifiers)
        e.fetchEntries(p)
        e.fetchLists(p)
        e.fetchRoots(p)
        let addPrepared = { (e: Engine) throws(IDRError) -> UInt64 in
            if let error = p.error { throw error }
            return try e.addPrepared(key: p.key, keyHash: p.keyHash, p.values, logging: true)
        }
        if mirrored.load(ordering: .relaxed) { return try writeMirrored(addPrepared) }
        return try exclusive(addPrepared)
    }

    /// `body` under the exclusive lock; the caller holds `writers`.
    @inline(__always)
    func exclusive<R, E: Error>(_ body: (Engine) throws(E) -> R) throws(E) -> R {
        var n = 0
        var courtesy = 0
        while waitingReaders.load(ordering: .relaxed) > 0, courtesy < SharedEngine.writerCourtesy { courtesy += 1 }
        while pthread_rwlock_trywrlock(lock) != 0 {
            n += 1
            if n == SharedEngine.spins { pthread_rwlock_wrlock(lock); break }
        }
        defer { pthread_rwlock_unlock(lock) }
        return try body(engine)
    }
}
