/// The online engine: records come and go one at a time, and every answer is current.
///
/// ```swift
/// let engine = try Engine()
/// let web = try engine.add(key: "web-1", identifiers: [Identifier(.email, "ann@example.org")])
/// let pos = try engine.add(key: "pos-7", identifiers: [Identifier(.email, "ANN@example.org"),
///                                                      Identifier(.loyaltyID, "LY-42")])
/// web == pos                                   // true: the till found the web customer
/// try engine.lookup(.loyaltyID, "ly 42")       // the same entity ID
/// ```
///
/// **Equal to bulk.** After any sequence of adds, upserts and removes, the partition equals what
/// ``Resolver/resolve()`` gives for the surviving records, guard decisions included: a value that
/// becomes generic undoes the merges it caused, and one that stops being generic links again.
///
/// **Stable IDs.** A new entity's ID is the XXH3-64 of the key of the record that created it
/// (re-seeded if that ID was ever issued). On a merge the ID of the entity created first
/// survives and the others redirect to it (``resolve(_:)``). On a split the part holding the
/// oldest record (first added) keeps the ID; the other parts get new IDs. These IDs depend on
/// history; the bulk resolver's IDs depend only on the set of records (smallest key). For a
/// record set added one by one in key order with no removals they coincide on every entity whose
/// smallest key was added first.
///
/// **Per-entity limits** (``ResolverConfiguration/entityLimits``) split link components as the
/// bulk resolver does; each write then re-resolves the link components it touches (a cost in
/// proportion to their size), and a lookup of a value whose records the limits keep apart answers
/// with the entity of its record with the smallest key. Kinds registered on the engine have no limit.
/// Not thread-safe: one thread at a time.
public final class Engine: PinnedTables {
    /// The configuration this engine was created with.
    public let configuration: ResolverConfiguration

    /// The kinds and the two intern tables, pinned (``PinnedTables`` gives the addressors
    /// `kinds`, `records` and `values` over them).
    package let pinnedKinds: Pinned<KindRegistry>
    package let pinnedRecords: Pinned<InternTable>
    package let pinnedValues: Pinned<InternTable>
    package let valueIsPlaceholder = Column<Bool>()
    package let valueGeneric = Column<Bool>()
    package let valueDegree = Column<UInt32>()
    /// First occurrence node of each value's record list, or `none`.
    package let valueHead = Column<UInt32>()

    /// Occurrence nodes: (record, value) with links in the value's doubly-linked list.
    package let occRecord = Column<UInt32>()
    package let occValue = Column<UInt32>()
    package let occNext = Column<UInt32>()
    package let occPrev = Column<UInt32>()
    /// The next node of the same record (ascending value order), or `none`.
    package let occSibling = Column<UInt32>()
    package let freeOccurrences = Column<UInt32>()

    /// Per record: alive, age (add sequence of its current life) and its occurrence nodes.
    package let recordAlive = Column<Bool>()
    package let recordSeq = Column<UInt64>()
    /// The record and identifier counts the last ``reserveCapacity(records:identifiers:)`` made
    /// room for (``makeMirror()`` reserves as much).
    var reservedFor = (records: 0, identifiers: 0)
    /// First occurrence node of each record's chain (``forEachNode(ofRecord:_:)``), or `none`.
    package let recordHead = Column<UInt32>()

    /// The partition; `rootEntity[root]` is the entity slot of a set.
    @exclusivity(unchecked) package var uf = UnionFind(count: 0)
    package let rootEntity = Column<UInt32>()

    /// Per value: the entity slot of its records when it links and has records, else `none`.
    /// Slots absorbed by merges forward to their survivor (`slotForward`), so a merge touches no
    /// value; a recomputation rewrites the slots of every value it visits. Lookups read this
    /// instead of walking record → root → entity: one cache miss instead of four.
    package let valueSlot = Column<UInt32>()

    /// Entity slots.
    package let slotForward = Column<UInt32>()
    package let entityID = Column<UInt64>()
    package let entityCreated = Column<UInt64>()
    package let entityAlive = Column<Bool>()
    /// A record of each live entity (to enumerate members).
    package let entityAnchor = Column<UInt32>()
    /// Every ID ever issued → its slot. An absorbed ID redirects through its slot's forward
    /// (always to an older slot: the survivor of a merge is the entity created first).
    package var slotOfID: IDTable {
        unsafeAddress { UnsafePointer(pinnedIDs.address) }
        unsafeMutableAddress { pinnedIDs.address }
    }
    /// Pinned, as ``records``: `newEntity` probes it on every add.
    private let pinnedIDs = Pinned(IDTable())
    @exclusivity(unchecked) package var liveEntities = 0
    /// Identifier values dropped as invalid by adds, values now generic, placeholder values.
    @exclusivity(unchecked) package var invalidValueCount = 0
    @exclusivity(unchecked) package var genericValueCount = 0
    @exclusivity(unchecked) package var sequence: UInt64 = 0

    /// Events: the handler, the queue, and the current write's raw events.
    /// Called after each write with each of its events, in order, on the writing thread.
    ///
    /// (Unchecked exclusivity, like the engine's other state: one thread at a time by contract,
    /// and every add reads it, through ``wantsEvents``.)
    @exclusivity(unchecked) public var eventHandler: ((EntityEvent) -> Void)?
    @exclusivity(unchecked) package var collectEvents = false
    @exclusivity(unchecked) package var eventQueue: [EntityEvent] = []
    @exclusivity(unchecked) package var rawEvents: [RawEvent] = []
    @exclusivity(unchecked) package var slotsBeforeWrite = 0
    @exclusivity(unchecked) package var eventRecord = 0
    /// What the current write lost or gained, for naming the cut or bridge of its events.
    @exclusivity(unchecked) package var writeCut: UInt32? = nil

    /// Where the state lives when opened from a path (nil: in memory only).
    @exclusivity(unchecked) package var storage: Storage?
    /// The writes a mirror has not applied yet, when a ``SharedEngine`` mirrors this engine for
    /// its readers (nil otherwise).
    @exclusivity(unchecked) package var feed: ChangeFeed?

    /// Scratch marks for traversals (`stamp == epoch` means visited), grown to the tables'
    /// sizes when a traversal starts (a loaded engine allocates them on its first write).
    package let recordStamp = Column<UInt32>()
    package let valueStamp = Column<UInt32>()
    @exclusivity(unchecked) package var epoch: UInt32 = 0

    /// The value set of an add, kept across adds so that an add allocates nothing (taken out
    /// while in use, so that passing it on never copies it).
    @exclusivity(unchecked) var valueScratch: [UInt32] = []
    /// The log entry being written (``logAdd(key:_:)``), kept across entries.
    @exclusivity(unchecked) var logFrame = ByteWriter()
    /// The (kind, value) pairs the generic check collects, kept the same way.
    @exclusivity(unchecked) var genericScratch: [UInt64] = []

    let scratch: UnsafeMutablePointer<UInt8>
    let scratchCapacity: Int
    /// The values of the add in progress (``prepare(_:into:)``).
    let pending = PendingValues()
    /// Whether per-entity limits are configured (fixed: kinds registered later have none).
    package let entityLimitsOn: Bool
    /// Record → its number inside the link component being split under limits (scratch).
    @exclusivity(unchecked) var limitLocal: [UInt32] = []
    /// Bumped by every erase: records prepared ahead by a batch before it are prepared again,
    /// since their values were checked against the tombstones of the time.
    @exclusivity(unchecked) package var erasures = 0

    /// The normalizer that checks values read from snapshots and logs: the engine's rules without
    /// the input length limit (stored values may be a little longer than their input).
    let storedValueNormalizer: Normalizer

    /// Fingerprints of values and the secret of hash-only mode.
    let fingerprinter: ValueFingerprinter
    /// Fingerprints of erased values: adds drop them (``ResolverConfiguration/erasureTombstones``).
    @exclusivity(unchecked) package var tombstones: Set<Fingerprint> = []
    /// Identifier values dropped by adds because they were erased.
    @exclusivity(unchecked) package var erasedValueCount = 0
    /// The value being erased and its fingerprint text: what its events name instead of it.
    @exclusivity(unchecked) package var erasing: (value: UInt32, text: String)? = nil
    // Stored properties are `@exclusivity(unchecked)`: single-threaded by contract, and no
    // method re-enters another (same reasoning and measurement as `Resolver`).

    /// "No node / no record."
    static let none = UInt32.max

    /// Creates an engine.
    ///
    /// - Throws: `invalidArgument` for an invalid configuration.
    public convenience init(configuration: ResolverConfiguration = ResolverConfiguration()) throws(IDRError) {
        try self.init(configuration: configuration, hasher: KeyHasher())
    }

    /// Creates an engine whose tables hash with `hasher`.
    package init(configuration c: ResolverConfiguration, hasher: KeyHasher) throws(IDRError) {
        let registry = try KindRegistry(configuration: c, hasher: hasher)
        entityLimitsOn = registry.entityLimitsActive
        configuration = c
        pinnedKinds = Pinned(registry)
        pinnedRecords = Pinned(InternTable(hasher: hasher))
        var valueTable = InternTable(hasher: hasher)
        valueTable.enableHints(values: UnsafeBufferPointer(start: nil, count: 0))
        pinnedValues = Pinned(valueTable)
        fingerprinter = ValueFingerprinter(secret: c.hashOnlySecret)
        pending.scrubs = fingerprinter.isKeyed
        var relaxed = c
        relaxed.limits.maxValueLength = c.limits.maxValueLength + Normalizer.outputSlack
        storedValueNormalizer = Normalizer(configuration: relaxed)
        scratchCapacity = max(c.limits.maxValueLength + Normalizer.outputSlack, Fingerprint.byteCount)
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit {
        scratch.update(repeating: 0, count: scratchCapacity)
        scratch.deallocate()
        pinnedRecords.release()
        pinnedValues.release()
        pinnedKinds.release()
        pinnedIDs.release()
    }

    // MARK: Queries
    //
    // Every query below only reads: no path compression, no shared scratch, no traversal
    // marks. Callers that guard writes with a lock may run any number of queries at once.

    /// Number of live records.
    @exclusivity(unchecked) public internal(set) var recordCount = 0

    /// Number of live entities.
    public var entityCount: Int { liveEntities }

    /// The current entity ID of the record with this key, or `nil` if it is not in the engine.
    public func entityID(ofKey key: String) -> UInt64? {
        var key = key
        return key.withUTF8 { entityID(ofKey: UnsafeRawBufferPointer($0)) }
    }

    /// The current entity ID of the record with this key (UTF-8 bytes), or `nil`.
    public func entityID(ofKey key: UnsafeRawBufferPointer) -> UInt64? {
        guard let r = records.find(tag: 0, key.baseAddress, key.count), recordAlive[Int(r)] else { return nil }
        return entityOfRecord(r)
    }

    /// The entity holding this identifier, or `nil` when the value is invalid, unknown, a
    /// placeholder or generic (it identifies no one).
    ///
    /// - Throws: `unknownKind` if the kind is not registered.
    public func lookup(_ kind: IdentifierKind, _ value: String) throws(IDRError) -> UInt64? {
        var value = value
        let result: Result<UInt64?, IDRError> = value.withUTF8 { bytes in
            Result { () throws(IDRError) -> UInt64? in try lookup(kind, UnsafeRawBufferPointer(bytes)) }
        }
        return try result.get()
    }

    /// The entity holding this identifier, given as UTF-8 bytes (the `String` form calls this).
    public func lookup(_ kind: IdentifierKind, _ value: UnsafeRawBufferPointer) throws(IDRError) -> UInt64? {
        let rule = try kinds.registeredRule(kind)
        guard value.count <= configuration.limits.maxValueLength + 256 else { return nil }
        // A buffer of the caller's own: concurrent lookups share nothing.
        let keyed = fingerprinter.isKeyed
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: value.count + Normalizer.outputSlack + Fingerprint.byteCount) { out in
            let base = out.baseAddress!
            guard case .valid(var n) = kinds.normalizer.normalize(value, rule: rule, into: base) else { return nil }
            if keyed {
                let fp = fingerprinter.fingerprint(base, n, kind: kind.rawValue)
                base.update(repeating: 0, count: n)
                fp.store(into: base)
                n = Fingerprint.byteCount
            }
            // The slot's hint names the entry's bytes and its entity slot as last set: ask for
            // the entry word, the bytes, the value's entity slot and that entity's forward and
            // ID all at once, instead of each after the one before (two memory waits fewer; a
            // stale hint costs only the fetches).
            let h = values.hasher.hash(base, n, tag: kind.rawValue)
            if let c = values.hintedCandidate(hash: h) {
                values.entryLines(entry: c.entry, bytesAt: c.start).prefetch()
                valueSlot.prefetch(c.entry)
                slotForward.prefetch(Int(c.value))
                entityID.prefetch(Int(c.value))
            }
            guard let v = values.find(tag: kind.rawValue, base, n, hash: h) else { return nil }
            var slot = valueSlot[Int(v)]
            guard slot != Engine.none else { return nil }
            while slotForward[Int(slot)] != Engine.none { slot = slotForward[Int(slot)] }
            return entityID[Int(slot)]
        }
    }

    /// Normalizes `value` as `kind` with this engine's configuration into `out` (at least
    /// `value.count + Normalizer.outputSlack` bytes) without adding it: its length and whether it
    /// is a placeholder, or `nil` when it is invalid. Read-only (distributed resolution's map step).
    ///
    /// - Throws: `unknownKind` if the kind is not registered.
    public func normalized(_ kind: IdentifierKind, _ value: UnsafeRawBufferPointer,
                           into out: UnsafeMutablePointer<UInt8>) throws(IDRError) -> (length: Int, isPlaceholder: Bool)? {
        let rule = try kinds.registeredRule(kind)
        guard case .valid(let n) = kinds.normalizer.normalize(value, rule: rule, into: out) else { return nil }
        return (n, kinds.placeholders.isPlaceholder(kind: kind.rawValue, rule: rule, UnsafeRawBufferPointer(start: out, count: n)))
    }

    /// The current ID of an entity ID issued earlier: itself while it is live, the ID that
    /// absorbed it after a merge, or `nil` if its records were all removed.
    public func resolve(_ id: UInt64) -> UInt64? {
        guard var slot = slotOfID[id] else { return nil }
        while slotForward[Int(slot)] != Engine.none { slot = slotForward[Int(slot)] }
        guard entityAlive[Int(slot)] else { return nil }
        return entityID[Int(slot)]
    }

    /// The record keys of an entity (after ``resolve(_:)``), sorted bytewise; empty if unknown.
    public func members(of id: UInt64) -> [String] {
        guard let current = resolve(id), let slot = slotOfID[current] else { return [] }
        let queue = entityRecords(of: entityAnchor[Int(slot)])
        var keys = queue.map { records.string(at: Int($0)) }
        keys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return keys
    }

    /// Prepares for about `records` more records carrying `identifiers` identifiers (a bulk
    /// load knows these): the tables and arrays grow once instead of doubling along the way,
    /// and the memory those records will fill is faulted in now, in one system call per table
    /// rather than a page fault at a time during the adds (``HugePages/prefault(_:_:)``); a
    /// reserve of a few records faults nothing in.
    ///
    /// Distinct values are estimated at two thirds of `identifiers`: a customer file repeats
    /// many of its identifiers (9.6M distinct of 15.2M at 10M generated records), and tables
    /// sized for every identifier being distinct left the value slots and their hints three
    /// quarters empty, 512 MiB at 10M records, in memory and in every snapshot. More distinct
    /// values than that only make the tables grow as they would without a reserve.
    public func reserveCapacity(records n: Int, identifiers: Int) {
        let n = max(n, 0), identifiers = max(identifiers, 0)
        feed?.appendReserve(records: n, identifiers: identifiers)
        reservedFor = (recordSeq.count + n, occRecord.count + identifiers)
        let distinct = identifiers / 3 * 2
        // Most of a large reserve is the kernel handing out fresh pages (3.5 s at 10M records
        // on a VM with fresh host memory, perf), which two cores do side by side: the value
        // table and the per-node columns are faulted in on another thread meanwhile. It
        // touches nothing else, and is joined before this returns.
        final class SideReserve: @unchecked Sendable {
            // Unchecked: only the task uses these until it is joined.
            let values: UnsafeMutablePointer<InternTable>
            let nodeColumns: [Column<UInt32>]
            init(_ values: UnsafeMutablePointer<InternTable>, _ nodeColumns: [Column<UInt32>]) {
                self.values = values
                self.nodeColumns = nodeColumns
            }
        }
        let side = SideReserve(pinnedValues.address, [occRecord, occValue, occNext, occPrev, occSibling])
        let sideWork = {
            side.values.pointee.reserve(entries: distinct, bytes: distinct * 24)
            // Per node (one per identifier).
            for column in side.nodeColumns { column.reserve(more: identifiers) }
        }
        // A thread costs more than faulting in a few pages.
        let task: SideTask? = identifiers >= 1 << 16 ? SideTask(sideWork) : nil
        if task == nil { sideWork() }
        records.reserve(entries: n, bytes: n * 12)
        uf.reserve(n)
        slotOfID.reserve(n)
        // Per record, and per entity (at most one per record).
        for column in [recordHead, rootEntity, slotForward, entityAnchor] { column.reserve(more: n) }
        for column in [recordSeq, entityID, entityCreated] { column.reserve(more: n) }
        for column in [recordAlive, entityAlive] { column.reserve(more: n) }
        // Per value.
        for column in [valueDegree, valueHead, valueSlot] { column.reserve(more: distinct) }
        for column in [valueIsPlaceholder, valueGeneric] { column.reserve(more: distinct) }
        task?.join()
        adviseHugePages()
    }

    /// Asks for huge pages behind the intern tables (``HugePages``): after a reserve, when
    /// they have their final addresses. Columns advise their own memory.
    func adviseHugePages() {
        records.adviseHugePages()
        values.adviseHugePages()
    }

    /// The normalized identifiers of the record with this key, or `nil` if it is not in the engine
    /// (in hash-only mode, their fingerprints).
    public func identifiers(ofKey key: String) -> [Identifier]? {
        guard let r = recordIndex(key), recordAlive[r] else { return nil }
        return values(ofRecord: r).map { v in
            let v = Int(v)
            return Identifier(IdentifierKind(rawValue: values.tag(v)), valueText(v))
        }
    }

    /// Every live record key with its entity ID (for comparisons and export).
    public func snapshot() -> [(key: String, entity: UInt64)] {
        (0..<records.count).filter { recordAlive[$0] }.map { r in
            (records.string(at: r), entityOfRecord(UInt32(r)))
        }
    }

    /// Counters of the engine (``EngineStatistics``).
    ///
    /// - Complexity: O(distinct values).
    public var statistics: EngineStatistics {
        var held = 0
        var placeholders = 0
        for v in 0..<values.count where valueDegree[v] > 0 {
            held += 1
            if valueIsPlaceholder[v] { placeholders += 1 }
        }
        return EngineStatistics(records: recordCount, entities: liveEntities, values: held,
                                genericValues: genericValueCount, placeholderValues: placeholders,
                                invalidValues: invalidValueCount, erasedValues: erasedValueCount,
                                tombstones: tombstones.count)
    }

    /// Records in the largest entity. O(records), read-only.
    public func largestEntitySize() -> Int {
        var size: [UInt32: Int] = [:]
        var largest = 0
        for r in 0..<records.count where recordAlive[r] {
            let root = uf.root(of: UInt32(r))
            let n = size[root, default: 0] + 1
            size[root] = n
            largest = max(largest, n)
        }
        return largest
    }

    @inline(__always)
    func entityOfRecord(_ r: UInt32) -> UInt64 {
        entityID[Int(rootEntity[Int(uf.root(of: r))])]
    }

    func recordIndex(_ key: String) -> Int? {
        var key = key
        return key.withUTF8 { k in records.find(tag: 0, k.baseAddress, k.count).map { Int($0) } }
    }

    /// Value `v` as text: the normalized value, or its fingerprint (`#` and 32 hex digits) in
    /// hash-only mode and while it is being erased.
    func valueText(_ v: Int) -> String {
        if let e = erasing, Int(e.value) == v { return e.text }
        if fingerprinter.isKeyed { return values.withBytes(at: v) { Fingerprint(stored: $0).text } }
        return values.string(at: v)
    }

    /// Whether value `v` currently links the records that carry it.
    @inline(__always)
    func links(_ v: Int) -> Bool { !valueIsPlaceholder[v] && !valueGeneric[v] }
}

/// Counters of an ``Engine``.
public struct EngineStatistics: Sendable, Equatable {
    /// Live records.
    public var records: Int
    /// Live entities.
    public var entities: Int
    /// Distinct normalized values held by live records.
    public var values: Int
    /// Values that are generic now.
    public var genericValues: Int
    /// Distinct placeholder values held by live records.
    public var placeholderValues: Int
    /// Identifier values dropped as invalid by adds so far.
    public var invalidValues: Int
    /// Identifier values dropped by adds because they were erased (``Engine/erase(_:_:)``).
    public var erasedValues: Int = 0
    /// Erasure tombstones held.
    public var tombstones: Int = 0
}
