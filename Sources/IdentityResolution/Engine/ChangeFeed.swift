/// The writes an engine made since its mirror last caught up (``SharedEngine/mirrorReads()``):
/// the entries the engine's log holds (adds with their normalized values, removes, kinds), and
/// erasures, which the log does not hold (an erase ends with a save instead).
///
/// Entries are written before the write changes anything, like the log's, so a write that fails
/// afterwards fails again the same way when the mirror applies it. An erasure's entry holds the
/// value's stored form; the feed zeroes it when it is cleared, microseconds later.
package final class ChangeFeed {
    /// The entry type of an erasure (log entries use 1 to 4).
    static let eraseEntry: UInt8 = 5

    /// Entries, each a u32 length and the payload.
    private var writer = ByteWriter()
    /// Whether an erasure's bytes are in `writer`.
    private var holdsErasure = false

    package init() {}

    /// Whether no write is waiting for the mirror.
    package var isEmpty: Bool { writer.bytes.isEmpty }

    /// Appends a log entry's payload.
    func append(_ payload: [UInt8]) {
        writer.u32(UInt32(payload.count))
        payload.withUnsafeBytes { writer.raw($0) }
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

    /// Applies every entry to `mirror`, in order, then empties the feed.
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
                    try mirror.apply(try r.raw(length), name: "change feed", trusted: true)
                }
            }
        }
        try result.get()
    }

    /// Empties the feed, keeping its memory; an erased value's bytes are overwritten first.
    package func clear() {
        if holdsErasure { writer.zero() }
        holdsErasure = false
        writer.clear()
    }
}
