#if canImport(Glibc)
import Glibc
#endif

/// When the log is forced to disk.
public enum LogSync: Sendable {
    /// Each write reaches the operating system before the call returns: nothing acknowledged is
    /// lost if the process dies (kill -9, crash); a power cut may lose the last writes.
    case process
    /// Each write is also fsynced before the call returns: nothing acknowledged is lost even on a
    /// power cut, at the cost of a disk flush per write.
    case disk
}

/// The state files of an engine opened with ``Engine/open(path:configuration:sync:)``.
package final class Storage {
    let path: String
    var logPath: String { path + ".log" }
    var generation: UInt64
    var fd: Int32 = -1
    let sync: LogSync

    init(path: String, generation: UInt64, sync: LogSync) {
        self.path = path
        self.generation = generation
        self.sync = sync
    }

    deinit { if fd >= 0 { close(fd) } }

    static let logMagic: [UInt8] = Array("IDRLOG\0\0".utf8)

    func header(_ generation: UInt64) -> [UInt8] {
        var w = ByteWriter()
        Storage.logMagic.withUnsafeBytes { w.raw($0) }
        w.u64(generation)
        return w.bytes
    }

    /// Starts a fresh, empty log for the current generation.
    func resetLog() throws(IDRError) {
        if fd >= 0 { close(fd); fd = -1 }
        try FileIO.replaceAtomically(logPath, with: header(generation))
        try openLog()
    }

    func openLog() throws(IDRError) {
        fd = open(logPath, O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IDRError(.io, "cannot open \(logPath): \(String(cString: strerror(errno)))") }
    }

    /// Appends one entry, framed by ``Engine/finishEntry(_:)``: u32 length, u32 check (low
    /// half of XXH3-64 of the payload), payload.
    func append(frame: UnsafeRawBufferPointer) throws(IDRError) {
        try FileIO.writeAll(fd, frame, path: logPath)
        if sync == .disk, fsync(fd) != 0 {
            throw IDRError(.io, "cannot sync \(logPath): \(String(cString: strerror(errno)))")
        }
    }
}

extension Engine {
    /// Opens the engine state at `path`: loads the snapshot there (if any) and replays its log
    /// (`path.log`); from then on every add and remove is appended to the log before it returns,
    /// and ``save()`` writes a new snapshot and starts a new log.
    ///
    /// A `path` that is a symbolic link is followed: the snapshot it names is replaced on save
    /// and the log lives beside that snapshot.
    ///
    /// A new state uses `configuration`; an existing one keeps the configuration it was saved
    /// with, except the hash-only secret, which is never stored: a hash-only state needs
    /// `configuration.hashOnlySecret` to be its secret. A torn last log entry (a write that never
    /// returned) is dropped; damage anywhere else fails the open with `corruptData`.
    ///
    /// - Throws: `io`, `corruptData`; `invalidArgument` for a missing, wrong or unexpected secret.
    public static func open(path: String, configuration: ResolverConfiguration = ResolverConfiguration(),
                            sync: LogSync = .process) throws(IDRError) -> Engine {
        // A link names the state; its log goes beside the snapshot it points to, so opening
        // the link and opening its target are the same state.
        let path = FileIO.followingLinks(path)
        let engine: Engine
        var generation: UInt64 = 0
        if let loaded = try FileIO.withMapped(path, { (bytes) throws(IDRError) in
            try parseSnapshot(bytes, name: path, secret: configuration.hashOnlySecret)
        }) {
            (engine, generation) = loaded
        } else {
            engine = try Engine(configuration: configuration)
        }
        let storage = Storage(path: path, generation: generation, sync: sync)
        if let log = try FileIO.read(storage.logPath), log.count >= 16,
           Array(log[0..<8]) == Storage.logMagic,
           log.withUnsafeBytes({ UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) }) == generation {
            let good = try engine.replay(log, name: storage.logPath)
            // Cut a torn tail so new entries follow the last good one.
            if good < log.count, truncate(storage.logPath, off_t(good)) != 0 {
                throw IDRError(.io, "cannot truncate \(storage.logPath): \(String(cString: strerror(errno)))")
            }
            try storage.openLog()
        } else {
            // No log, or one from another generation (a crash between snapshot and new log).
            try storage.resetLog()
        }
        engine.storage = storage
        return engine
    }

    /// Writes a snapshot of the engine to its ``open(path:configuration:sync:)`` path
    /// atomically and starts a new log.
    ///
    /// - Throws: `invalidArgument` for an engine not opened from a path; `io`.
    public func save() throws(IDRError) {
        guard let storage else { throw IDRError(.invalidArgument, "the engine was not opened from a path; use save(to:)") }
        let next = storage.generation + 1
        try FileIO.replaceAtomically(storage.path) { (fd, temporary) throws(IDRError) in
            try writeSnapshot(generation: next, to: fd, path: temporary)
        }
        storage.generation = next
        try storage.resetLog()
    }

    /// Writes a snapshot to `path` atomically (mode 0600), without a log.
    public func save(to path: String) throws(IDRError) {
        let generation = storage?.generation ?? 0
        try FileIO.replaceAtomically(path) { (fd, temporary) throws(IDRError) in
            try writeSnapshot(generation: generation, to: fd, path: temporary)
        }
    }

    /// An engine from a snapshot file (its log, if any, is not read). A state saved in hash-only
    /// mode needs its `secret`; any other state must be loaded without one.
    ///
    /// - Throws: `io`; `corruptData` for a truncated, corrupted or foreign file;
    ///   `invalidArgument` for a missing, wrong or unexpected secret.
    public static func load(from path: String, secret: [UInt8]? = nil) throws(IDRError) -> Engine {
        guard let loaded = try FileIO.withMapped(path, { (bytes) throws(IDRError) in
            try parseSnapshot(bytes, name: path, secret: secret)
        }) else { throw IDRError(.io, "cannot open \(path): no such file") }
        return loaded.0
    }

    // MARK: Log entries

    /// Appends the add of `key` with the values in `pending` to the log (before the add changes
    /// anything). Entries hold normalized values (fingerprints in hash-only mode), never raw ones.
    func logAdd(key: UnsafeRawBufferPointer, _ pending: PendingValues) throws(IDRError) {
        guard storage != nil || feed != nil else { return }
        var w = startEntry()
        w.u8(4)
        w.blob(key)
        w.u32(UInt32(clamping: pending.invalid))
        w.u32(UInt32(clamping: pending.erased))
        w.u32(UInt32(pending.count))
        for i in 0..<pending.count {
            let (kind, placeholder, bytes) = pending[i]
            w.u32(kind)
            w.u8(placeholder ? 1 : 0)
            w.blob(bytes)
        }
        try finishEntry(w)
    }

    func logRemove(key: UnsafeRawBufferPointer) throws(IDRError) {
        guard storage != nil || feed != nil else { return }
        var w = startEntry()
        w.u8(2)
        w.blob(key)
        try finishEntry(w)
    }

    func logKind(name: String, rule: NormalizationRule, genericThreshold: Int?, distinguishes: Bool) throws(IDRError) {
        guard storage != nil || feed != nil else { return }
        var w = startEntry()
        w.u8(3)
        w.string(name)
        w.u8(rule.rawValue)
        w.u64(genericThreshold.map { UInt64($0) } ?? UInt64.max)
        w.u8(distinguishes ? 1 : 0)
        try finishEntry(w)
    }

    /// The writer for one log entry, with room for its frame's 8 header bytes: the engine's
    /// own, kept across entries (a writer per entry was an allocation per add, plus another
    /// for the frame).
    private func startEntry() -> ByteWriter {
        var w = logFrame
        logFrame = ByteWriter()
        w.u32(0)
        w.u32(0)
        return w
    }

    /// Frames the entry `w` holds and appends it to the log, then its payload to the change
    /// feed: an entry the log refuses fails the write before it changes anything, so the mirror
    /// never gets it either. The writer is zeroed for the next entry: its bytes may hold a value
    /// that is erased later.
    private func finishEntry(_ entry: consuming ByteWriter) throws(IDRError) {
        var w = entry
        defer {
            w.zero()
            w.clear()
            logFrame = w
        }
        if storage != nil {
            let check = w.bytes.withUnsafeBytes { UInt32(truncatingIfNeeded: XXH3.hash64(UnsafeRawBufferPointer(rebasing: $0[8...]))) }
            w.patch32(at: 0, UInt32(w.bytes.count - 8))
            w.patch32(at: 4, check)
        }
        let result: Result<Void, IDRError> = w.bytes.withUnsafeBytes { frame in
            Result { () throws(IDRError) in
                try storage?.append(frame: frame)
                feed?.append(UnsafeRawBufferPointer(rebasing: frame[8...]))
            }
        }
        try result.get()
    }

    /// Applies the log's entries; returns the length of the good prefix.
    private func replay(_ log: [UInt8], name: String) throws(IDRError) -> Int {
        let result: Result<Int, IDRError> = log.withUnsafeBytes { buffer in
            Result { () throws(IDRError) -> Int in
                var r = ByteReader(buffer, range: 16..<buffer.count, what: name)
                var good = 16
                while r.remaining > 0 {
                    guard r.remaining >= 8 else { break }                 // torn header
                    let length = Int(try r.u32())
                    let check = try r.u32()
                    guard length <= r.remaining else { break }            // torn payload
                    let payload = try r.raw(length)
                    guard UInt32(truncatingIfNeeded: XXH3.hash64(payload)) == check else {
                        if r.remaining == 0 { break }                     // torn last entry
                        throw IDRError(.corruptData, "\(name): a damaged entry at byte \(good) is followed by more entries")
                    }
                    try apply(payload, name: name)
                    good = r.offset
                }
                return good
            }
        }
        return try result.get()
    }

    /// Applies one log entry (or, with `trusted`, one entry of this engine's own change feed,
    /// whose values need no check and which may also hold an erasure or a reserve).
    func apply(_ payload: UnsafeRawBufferPointer, name: String, trusted: Bool = false) throws(IDRError) {
        var p = ByteReader(payload, what: name)
        switch try p.u8() {
        case 1:
            let key = try p.blob(limit: Int(UInt32.max))
            let n = Int(try p.u32())
            try p.need(n * 8)
            var ids: [RawIdentifier] = []
            for _ in 0..<n {
                let kind = IdentifierKind(rawValue: try p.u32())
                ids.append(RawIdentifier(kind: kind, value: try p.blob(limit: Int(UInt32.max))))
            }
            // An add that failed when it was made fails again the same way: skip it.
            _ = try? ids.withUnsafeBufferPointer { (b) throws(IDRError) in try add(recordKey: key, identifiers: b) }
        case 2:
            _ = try remove(recordKey: try p.blob(limit: Int(UInt32.max)))
        case 4:
            let key = try p.blob(limit: Int(UInt32.max))
            do {
                _ = try kinds.validate(recordKey: key, identifiers: UnsafeBufferPointer(start: nil, count: 0), limits: configuration.limits)
            } catch {
                throw p.corrupt("a bad record key")
            }
            try readPending(&p, trusted: trusted, into: pending)
            // An add that failed when it was made fails again the same way: skip it.
            _ = try? addPrepared(key: key, keyHash: keyHash(key), pending, logging: false)
        case 3:
            let name = try p.string(limit: 64)
            guard let rule = NormalizationRule(rawValue: try p.u8()) else { throw p.corrupt("unknown rule") }
            let t = try p.u64()
            let distinguishes = try p.u8() != 0
            guard t == UInt64.max || t <= UInt64(ResolverConfiguration.maxThreshold) else { throw p.corrupt("a threshold out of range") }
            _ = try? registerKind(named: name, rule: rule, genericThreshold: t == UInt64.max ? nil : Int(t),
                                  distinguishesCustomers: distinguishes)
        case ChangeFeed.reserveEntry where trusted:
            let n = try p.u64(), identifiers = try p.u64()
            guard n <= UInt64(Int.max), identifiers <= UInt64(Int.max) else { throw p.corrupt("a reserve out of range") }
            reserveCapacity(records: Int(n), identifiers: Int(identifiers))
        case ChangeFeed.eraseEntry where trusted:
            let kind = try p.u32()
            let value = try p.blob(limit: Int(UInt32.max))
            let fingerprint = Fingerprint(high: try p.u64(), low: try p.u64())
            guard Int(kind) < kinds.count else { throw p.corrupt("an unknown kind") }
            _ = try eraseStored(kind: kind, value, fingerprint: fingerprint)
        default:
            throw p.corrupt("unknown log entry")
        }
    }

    /// Prepares the add in `entry`, an add entry (type 4) of this engine's own change feed, into
    /// `p` as ``prepareAhead(_:key:identifiers:)`` prepares a record (its key pointing into
    /// `entry`), and asks for the slots its add probes.
    ///
    /// - Throws: `corruptData` if the entry cannot be read back (a bug: the feed is the
    ///   engine's own).
    func prepareFed(_ p: PreparedAdd, entry: UnsafeRawBufferPointer) throws(IDRError) {
        p.reset(erasures: erasures)
        var r = ByteReader(entry, what: "change feed")
        guard try r.u8() == ChangeFeed.addEntry else { throw r.corrupt("not an add") }
        p.key = try r.blob(limit: Int(UInt32.max))
        try readPending(&r, trusted: true, into: p.values)
        p.keyHash = keyHash(p.key)
        p.idHash = XXH3.hash64(p.key)
        fetchSlots(p)
    }

    /// Reads an add's prepared values into `pending`, checking each: a registered kind, a value
    /// within the limit and in normal form (a fingerprint's 16 bytes in hash-only mode).
    private func readPending(_ p: inout ByteReader, trusted: Bool, into pending: PendingValues) throws(IDRError) {
        pending.reset()
        // Stored flags are trusted in hash-only mode only (the bytes are fingerprints there).
        pending.placeholdersChecked = fingerprinter.isKeyed
        let invalid = Int(try p.u32()), erased = Int(try p.u32())
        let n = Int(try p.u32())
        guard n <= configuration.limits.maxIdentifiersPerRecord else { throw p.corrupt("too many identifiers") }
        for _ in 0..<n {
            let kind = try p.u32()
            let placeholder = try p.u8()
            let value = try p.blob(limit: maxStoredValueLength)
            guard Int(kind) < kinds.count, kinds[Int(kind)].registered, placeholder <= 1 else {
                throw p.corrupt("an unknown kind")
            }
            guard trusted || isNormal(value, kind: kind) else { throw p.corrupt("a value not in normal form") }
            appendPending(pending, kind: kind, placeholder: placeholder == 1, value)
        }
        pending.invalid = invalid
        pending.erased = erased
    }

    /// The longest value a snapshot or log may hold: normalization may lengthen a value a little
    /// (a phone number gains `+` and its country code), so a value at the input limit can be
    /// stored longer than that limit. (Found by the C call-sequence fuzzer: a state with
    /// `max_value_length` 8 holding `+15550100` was refused on load.)
    var maxStoredValueLength: Int { configuration.limits.maxValueLength + Normalizer.outputSlack }

    /// Whether stored `value` is what this engine would store for one of kind `kind`: its own
    /// normal form, or in hash-only mode 16 bytes.
    func isNormal(_ value: UnsafeRawBufferPointer, kind: UInt32) -> Bool {
        if fingerprinter.isKeyed { return value.count == Fingerprint.byteCount }
        guard value.count <= maxStoredValueLength else { return false }
        // The stored form may pass the input limit (above), so it is checked by a normalizer
        // without that limit, into a buffer of its own size.
        let rule = kinds[Int(kind)].rule
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: value.count + Normalizer.outputSlack) { out in
            guard case .valid(let n) = storedValueNormalizer.normalize(value, rule: rule, into: out.baseAddress!) else { return false }
            return n == value.count && (n == 0 || memcmpBytes(out.baseAddress!, value.baseAddress!.assumingMemoryBound(to: UInt8.self), n))
        }
    }
}
