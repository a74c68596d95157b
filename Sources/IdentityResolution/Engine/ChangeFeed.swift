/// The writes an engine made since its mirror last caught up (``SharedEngine/mirrorReads()``):
/// the entries the engine's log holds (adds with their normalized values, removes, kinds), and
/// erasures, which the log does not hold (an erase ends with a save instead).
///
/// Entries are written before the write changes anything, like the log's, so a write that fails
/// afterwards fails again the same way when the mirror applies it. An erasure's entry holds the
/// value's stored form; the feed zeroes it when it is cleared, once the mirror has applied the
/// write.
package final class ChangeFeed {
    /// The entry type of an erasure (log entries use 1 to 4).
    static let eraseEntry: UInt8 = 5
    /// The entry type of a reserve (``Engine/reserveCapacity(records:identifiers:)``): the
    /// mirror grows its tables as the engine did, before the adds that fill them.
    static let reserveEntry: UInt8 = 6

    /// Entries, each a u32 length and the payload.
    private var writer = ByteWriter()
    /// Whether an erasure's bytes are in `writer`.
    private var holdsErasure = false
    /// The add entries of the run being replayed (pointing into `writer`), kept across drains.
    private var adds: [UnsafeRawBufferPointer] = []
    /// The adds being replayed, as an ``AddPipeline``'s ring; made at the first drain.
    private var ring: [PreparedAdd] = []

    package init() {}

    /// Whether no write is waiting for the mirror.
    package var isEmpty: Bool { writer.bytes.isEmpty }

    /// Appends a log entry's payload.
    func append(_ payload: UnsafeRawBufferPointer) {
        writer.u32(UInt32(payload.count))
        writer.raw(payload)
    }

    /// Appends the erasure of `stored` (kind `kind`, fingerprint `fingerprint`).
    func appendErasure(kind: UInt32, _ stored: UnsafeRawBufferPointer, fingerprint: Fingerprint) {
        holdsErasure = true
        writer.u32(UInt32(1 + 4 + 4 + stored.count + 16))
        writer.u8(ChangeFeed.eraseEntry)
        writer.u32(kind)
        writer.blob(stored)
        writer.u64(fingerprint.high)
        writer.u64(fingerprint.low)
    }

    /// Appends a reserve for `records` more records carrying `identifiers` identifiers.
    func appendReserve(records: Int, identifiers: Int) {
        writer.u32(1 + 8 + 8)
        writer.u8(ChangeFeed.reserveEntry)
        writer.u64(UInt64(records))
        writer.u64(UInt64(identifiers))
    }

    /// Applies every entry to `mirror`, in order, then empties the feed.
    ///
    /// Runs of adds are applied as a batch call applies records (``AddPipeline``): each add's
    /// slots, entries, lists and roots are asked for a few adds ahead of it, so the mirror does
    /// not wait for a dozen dependent memory reads per add. (Applied one entry at a time, the
    /// replay made a mirrored writer's adds cost twice a lone add.)
    ///
    /// - Throws: `corruptData` if an entry cannot be read back (a bug: the feed is the engine's
    ///   own), or what an erasure's replay throws; the feed is emptied either way.
    package func drain(into mirror: Engine) throws(IDRError) {
        defer { clear() }
        let result: Result<Void, IDRError> = writer.bytes.withUnsafeBytes { buffer in
            Result { () throws(IDRError) in
                var r = ByteReader(buffer, what: "change feed")
                while r.remaining > 0 {
                    let length = Int(try r.u32())
                    let entry = try r.raw(length)
                    if entry.first == ChangeFeed.addEntry {
                        adds.append(entry)
                        continue
                    }
                    try replayAdds(into: mirror)
                    try mirror.apply(entry, name: "change feed", trusted: true)
                }
                try replayAdds(into: mirror)
            }
        }
        adds.removeAll(keepingCapacity: true)
        try result.get()
    }

    /// The add entry type (``Engine/logAdd(key:_:)``).
    static let addEntry: UInt8 = 4

    /// Applies the adds in `adds` to `mirror` in order, through the stages of an ``AddPipeline``
    /// (its fetch stages, ``AddPipeline/fetchAhead(_:count:ring:engine:)``), then empties
    /// `adds`. An add that failed when the engine made it fails again the same way and is
    /// skipped, as a log replay skips it.
    private func replayAdds(into mirror: Engine) throws(IDRError) {
        let n = adds.count
        guard n > 0 else { return }
        defer { adds.removeAll(keepingCapacity: true) }
        if ring.isEmpty {
            ring = (0..<AddPipeline.ringSize).map { _ in
                let p = PreparedAdd()
                p.values.scrubs = mirror.fingerprinter.isKeyed
                return p
            }
        }
        let size = AddPipeline.ringSize
        for step in 0..<(n + AddPipeline.lag) {
            if step < n { try mirror.prepareFed(ring[step % size], entry: adds[step]) }
            AddPipeline.fetchAhead(step, count: n, ring: ring, engine: mirror)
            let r = step - AddPipeline.lag
            guard r >= 0, r < n else { continue }
            let p = ring[r % size]
            _ = try? mirror.addPrepared(key: p.key, keyHash: p.keyHash, p.values, logging: false)
            // The key points into the feed, which is about to be reused.
            p.reset(erasures: 0)
        }
    }

    /// Empties the feed, keeping its memory; an erased value's bytes are overwritten first.
    package func clear() {
        if holdsErasure { writer.zero() }
        holdsErasure = false
        writer.clear()
    }
}
