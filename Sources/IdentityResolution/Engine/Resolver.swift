/// The bulk resolver: collects records, then partitions them into customer identities.
///
/// ```swift
/// let resolver = try Resolver()
/// try resolver.add(key: "web-1", identifiers: [Identifier(.email, "Ann@Example.org")])
/// try resolver.add(key: "pos-7", identifiers: [Identifier(.email, "ann@example.org"),
///                                              Identifier(.loyaltyID, "LY-0042")])
/// let resolution = resolver.resolve()
/// resolution.entityID(ofRecord: 0) == resolution.entityID(ofRecord: 1)  // true
/// ```
///
/// Adding is cheap (normalize, hash, intern); all linking happens in ``resolve()``, whose result
/// depends only on the set of records added: not on their order, not on any hash seed.
/// A record key added twice is one record whose identifiers are the union of both adds.
///
/// Not thread-safe: use one resolver from one thread at a time.
public final class Resolver: PinnedTables {
    /// The configuration this resolver was created with.
    public let configuration: ResolverConfiguration
    /// The normalizer built from the configuration.
    public let normalizer: Normalizer

    /// The kinds and the two intern tables, pinned (``PinnedTables`` gives the addressors
    /// `kinds`, `records` and `values` over them).
    package let pinnedKinds: Pinned<KindRegistry>
    package let pinnedRecords: Pinned<InternTable>
    package let pinnedValues: Pinned<InternTable>
    @exclusivity(unchecked)
    package var sources: InternTable
    /// Source of each record: 0 for none, else source index + 1 (the first non-empty one given).
    package let recordSource = Column<UInt32>()
    /// Per value: whether it is a placeholder.
    package let valueIsPlaceholder = Column<Bool>()
    /// The record–value incidence list, one entry per valid identifier added.
    package let occurrenceRecord = Column<UInt32>()
    package let occurrenceValue = Column<UInt32>()
    // The per-record, per-value and per-occurrence tables are Columns: appending to an array
    // property checked its uniqueness, five times per identifier added (callgrind, 1M records).
    // Stored properties are `@exclusivity(unchecked)`: the resolver is single-threaded by
    // contract and no method re-enters another, while the dynamic checks cost ~4% of ingest
    // (perf, 1M generated records).
    @exclusivity(unchecked)
    package var counters: Counters
    /// Person attributes for fuzzy matching (empty until a record carries one).
    @exclusivity(unchecked)
    package var attributes: AttributeStore
    @exclusivity(unchecked)
    private var attributeScratch: [UInt8] = []

    private let scratch: UnsafeMutablePointer<UInt8>
    private let scratchCapacity: Int

    /// Running counts of what was added (occurrences, not distinct values), per kind.
    ///
    /// Columns: an increment through an array in a struct in a class checked the array's
    /// uniqueness, twice per identifier added (callgrind).
    package struct Counters {
        var adds = 0
        let identifiers = Column<Int>()
        let placeholders = Column<Int>()
        /// Kind `k`'s count of reason `r` at `k * InvalidReason.allCases.count + r`
        /// (``invalidIndex(_:_:)``).
        let invalid = Column<Int>()

        /// Where kind `k`'s count of invalid values for `reason` is in ``invalid``.
        @inline(__always)
        func invalidIndex(_ k: Int, _ reason: Int) -> Int { k &* InvalidReason.allCases.count &+ reason }

        func grow(to kindCount: Int) {
            while identifiers.count < kindCount {
                identifiers.append(0)
                placeholders.append(0)
                invalid.append(repeating: 0, count: InvalidReason.allCases.count)
            }
        }
    }

    /// Creates a resolver and registers the configuration's custom kinds.
    ///
    /// - Throws: `invalidArgument` for a configuration outside its documented domain.
    public convenience init(configuration: ResolverConfiguration = ResolverConfiguration()) throws(IDRError) {
        try self.init(configuration: configuration, hasher: KeyHasher())
    }

    /// Creates a resolver whose tables hash with `hasher` (tests force collisions with it).
    package init(configuration c: ResolverConfiguration, hasher: KeyHasher, expectedRecords: Int = 1024) throws(IDRError) {
        let kinds = try KindRegistry(configuration: c, hasher: hasher)
        guard c.hashOnlySecret == nil else {
            // A bulk resolve reports identifiers by entity; a silent fallback to keeping values
            // would defeat the point of asking for hash-only mode.
            throw IDRError(.invalidArgument, "hash-only mode is an option of the online engine, not of the bulk resolver")
        }
        configuration = c
        normalizer = kinds.normalizer
        scratchCapacity = c.limits.maxValueLength + Normalizer.outputSlack
        scratch = .allocate(capacity: scratchCapacity)
        pinnedKinds = Pinned(kinds)
        pinnedRecords = Pinned(InternTable(hasher: hasher, capacity: expectedRecords))
        pinnedValues = Pinned(InternTable(hasher: hasher, capacity: expectedRecords * 2))
        sources = InternTable(hasher: hasher, capacity: 16)
        counters = Counters()
        counters.grow(to: kinds.count)
        attributes = AttributeStore(configuration: c.fuzzy)
    }

    deinit {
        scratch.deallocate()
        pinnedRecords.release()
        pinnedValues.release()
        pinnedKinds.release()
    }

    /// Number of distinct records added.
    public var recordCount: Int { records.count }

    /// The key of the record at `index` (indices count distinct keys in order of first add).
    public func recordKey(at index: Int) -> String { records.string(at: index) }

    /// Calls `body` with the UTF-8 bytes of the key of the record at `index`.
    public func withRecordKey<R, E: Error>(at index: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try records.withBytes(at: index, body)
    }

    /// The index of the record with this key, if it was added.
    public func recordIndex(forKey key: String) -> Int? {
        restoreIndex()
        var key = key
        return key.withUTF8 { k in records.find(tag: 0, k.baseAddress, k.count).map { Int($0) } }
    }

    /// Prepares storage for about `records` more records carrying `identifiers` identifiers and
    /// `bytes` bytes of keys and values in all (a bulk loader knows these from the file size).
    ///
    /// The values table is sized for half of the identifiers being distinct (a customer file
    /// repeats many of its identifiers: 9.6M distinct of 15.2M at 10M generated records) and
    /// grows past that as appends do. Only the hash slots are touched now; the arrays filled
    /// in order (arenas, entries, occurrences) take their pages as appends reach them, so an
    /// estimate above the data costs address space, not memory.
    ///
    /// Those arrays get room for twice the estimate, the slots for the estimate itself: an
    /// estimate that falls short (a bulk loader's, 70 bytes a row, against 59 in the generated
    /// files) made the record entries and sources grow by copying at 10M records, 100 MB
    /// copied into fresh memory by the adding thread; growing to the same capacity up front
    /// touches nothing.
    public func reserveCapacity(records n: Int, identifiers: Int, bytes: Int) {
        let n = max(n, 0), identifiers = max(identifiers, 0), distinct = identifiers / 2
        records.reserve(entries: n, bytes: bytes / 2, prefault: false)
        values.reserve(entries: distinct, bytes: bytes, prefault: false)
        records.reserveEntryWords(2 * n)
        values.reserveEntryWords(2 * distinct)
        // Huge pages behind what adds read at random (the slots have them already): with 4 KiB
        // pages most probes at 10M records also missed the TLB, a costly walk in a VM.
        records.adviseHugePages()
        values.adviseHugePages()
        recordSource.reserveCapacity(recordSource.count + 2 * n)
        valueIsPlaceholder.reserveCapacity(valueIsPlaceholder.count + 2 * distinct)
        occurrenceRecord.reserveCapacity(occurrenceRecord.count + 2 * identifiers)
        occurrenceValue.reserveCapacity(occurrenceValue.count + 2 * identifiers)
    }
}

// MARK: - Adding records

/// An identifier as raw bytes: the C ABI's `idr_identifier`.
public struct RawIdentifier {
    /// The identifier's kind.
    public var kind: IdentifierKind
    /// Its bytes, UTF-8, not NUL-terminated; only read during the call.
    public var value: UnsafeRawBufferPointer

    /// Creates a raw identifier.
    public init(kind: IdentifierKind, value: UnsafeRawBufferPointer) {
        self.kind = kind
        self.value = value
    }
}

extension Resolver {
    /// Adds one record given as bytes; returns its record index.
    ///
    /// Invalid identifier values are dropped and counted, never fatal. The call is atomic:
    /// if it throws, nothing was added.
    ///
    /// - Throws: `invalidArgument` for an empty record key; `invalidUTF8` for a key or source
    ///   that is not UTF-8; `limitExceeded` for a key, identifier count or record count over its
    ///   limit; `unknownKind` for an identifier of a kind that is not registered.
    @discardableResult
    public func add(
        recordKey key: UnsafeRawBufferPointer, source: UnsafeRawBufferPointer? = nil,
        identifiers: UnsafeBufferPointer<RawIdentifier>
    ) throws(IDRError) -> Int {
        let keyBase = try kinds.validate(recordKey: key, identifiers: identifiers, limits: configuration.limits, attributes: true)
        var valueBytes = 0
        for id in identifiers { valueBytes &+= id.value.count }
        let record = try admit(key: key, keyBase: keyBase, keyHash: nil, source: source, valueBytes: valueBytes)
        counters.adds &+= 1
        for id in identifiers {
            if id.kind.isAttribute {
                addAttribute(record: Int(record), kind: id.kind, value: id.value)
            } else {
                try addIdentifier(record: record, kind: id.kind.rawValue, value: id.value)
            }
        }
        return Int(record)
    }

    /// The checks of an add that follow ``KindRegistry/validate(recordKey:identifiers:limits:attributes:)``
    /// and precede any change (source, 4 GiB of interned data, `maxRecords`), then the record's
    /// interning and source; returns its index. `keyHash` is the records table's hash of the key
    /// when a preparing thread computed it.
    func admit(key: UnsafeRawBufferPointer, keyBase: UnsafeRawPointer, keyHash: UInt64?,
               source: UnsafeRawBufferPointer?, valueBytes: Int) throws(IDRError) -> UInt32 {
        let limits = configuration.limits
        var sourceIndex: UInt32 = 0
        if let source, source.count > 0 {
            guard isValidUTF8(source.baseAddress!.assumingMemoryBound(to: UInt8.self), source.count),
                  source.count <= limits.maxRecordKeyLength
            else {
                throw IDRError(.invalidUTF8, "source name is not valid UTF-8 or longer than maxRecordKeyLength")
            }
            sourceIndex = try sources.intern(tag: 0, source.baseAddress, source.count).index &+ 1
        }
        guard values.arena.count &+ valueBytes &+ records.arena.count &+ key.count < Int(UInt32.max) else {
            throw IDRError(.limitExceeded, "interned data would exceed 4 GiB")
        }
        let h = keyHash ?? records.hasher.hash(keyBase, key.count, tag: 0)
        if records.count >= limits.maxRecords {
            // The add path's only find (interns restore a released index on their own).
            restoreIndex()
            if records.find(tag: 0, keyBase, key.count, hash: h) == nil {
                throw IDRError(.limitExceeded, "maxRecords (\(limits.maxRecords)) reached")
            }
        }
        let (record, inserted) = try records.intern(tag: 0, keyBase, key.count, hash: h)
        if inserted {
            recordSource.append(sourceIndex)
            if attributes.isActive { attributes.grow(toRecords: records.count) }
        } else if recordSource[Int(record)] == 0 {
            recordSource[Int(record)] = sourceIndex
        }
        return record
    }

    /// Normalizes and stores one attribute; invalid values and placeholders are counted, as for
    /// identifiers.
    private func addAttribute(record: Int, kind: IdentifierKind, value: UnsafeRawBufferPointer) {
        guard value.count <= configuration.limits.maxValueLength else {
            storeAttribute(record: record, kind: kind, .invalid(.tooLong), UnsafeRawBufferPointer(start: nil, count: 0))
            return
        }
        let outcome = attributes.normalize(kind, value, into: &attributeScratch)
        attributeScratch.withUnsafeBytes { storeAttribute(record: record, kind: kind, outcome, $0) }
    }

    /// Counts a normalized attribute and stores a valid one (both add paths).
    func storeAttribute(record: Int, kind: IdentifierKind, _ outcome: AttributeStore.Outcome, _ normalized: UnsafeRawBufferPointer) {
        let k = Int(kind.rawValue)
        switch outcome {
        case .invalid(let reason):
            counters.invalid[counters.invalidIndex(k, Int(reason.rawValue))] &+= 1
        case .placeholder:
            counters.placeholders[k] &+= 1
        case .valid:
            counters.identifiers[k] &+= 1
            if !attributes.isActive { attributes.grow(toRecords: records.count) }
            attributes.set(record: record, attribute: kind.attributeIndex, normalized)
        }
    }

    @inline(__always)
    private func addIdentifier(record: UInt32, kind: UInt32, value: UnsafeRawBufferPointer) throws(IDRError) {
        let k = Int(kind)
        switch normalizer.normalize(value, rule: kinds[k].rule, into: scratch) {
        case .invalid(let reason):
            counters.invalid[counters.invalidIndex(k, Int(reason.rawValue))] &+= 1
        case .valid(let n):
            try storeIdentifier(record: record, kind: kind, UnsafeRawBufferPointer(start: scratch, count: n),
                                hash: values.hasher.hash(scratch, n, tag: kind), placeholder: nil)
        }
    }

    /// Interns a normalized identifier value and records the occurrence (both add paths);
    /// `placeholder` is the placeholder check when a preparing thread already made it.
    @inline(__always)
    func storeIdentifier(record: UInt32, kind: UInt32, _ normalized: UnsafeRawBufferPointer, hash: UInt64,
                         placeholder: Bool?) throws(IDRError) {
        let k = Int(kind)
        counters.identifiers[k] &+= 1
        let (v, inserted) = try values.intern(tag: kind, normalized.baseAddress, normalized.count, hash: hash)
        // The check is a function of the kind and the bytes, fixed when the kind was registered,
        // so a prepared row's answer is the stored flag's: reading the flag of a value seen
        // before missed the cache (a third of this function's samples at 10M records, perf).
        let isPlaceholder: Bool
        if let placeholder {
            isPlaceholder = placeholder
            assert(inserted || valueIsPlaceholder[Int(v)] == placeholder, "a prepared placeholder check disagrees")
        } else if inserted {
            isPlaceholder = kinds.placeholders.isPlaceholder(kind: kind, rule: kinds[k].rule, normalized)
        } else {
            isPlaceholder = valueIsPlaceholder[Int(v)]
        }
        if inserted { valueIsPlaceholder.append(isPlaceholder) }
        if isPlaceholder { counters.placeholders[k] &+= 1 }
        occurrenceRecord.append(record)
        occurrenceValue.append(v)
    }

    /// Adds one record given as Swift strings; returns its record index.
    ///
    /// - Throws: as ``add(recordKey:source:identifiers:)``.
    @discardableResult
    public func add(key: String, source: String? = nil, identifiers: [Identifier]) throws(IDRError) -> Int {
        try withRawRecord(key: key, source: source, identifiers: identifiers) { (k, src, ids) throws(IDRError) in
            try add(recordKey: k, source: src, identifiers: ids)
        }
    }
}
