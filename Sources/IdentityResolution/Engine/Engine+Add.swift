extension Engine {
    /// Adds a record, or replaces the identifiers of the record with this key (upsert), and
    /// returns its entity ID. Re-adding identical content changes nothing.
    ///
    /// Invalid values are dropped (as in ``Resolver``). The call is atomic: if it throws,
    /// nothing changed.
    ///
    /// - Throws: `invalidArgument`, `invalidUTF8`, `limitExceeded`, `unknownKind` as
    ///   ``Resolver/add(recordKey:source:identifiers:)``.
    @discardableResult
    public func add(recordKey key: UnsafeRawBufferPointer, identifiers: UnsafeBufferPointer<RawIdentifier>) throws(IDRError) -> UInt64 {
        let keyBase = try kinds.validate(recordKey: key, identifiers: identifiers, limits: configuration.limits)
        prepare(identifiers, into: pending)
        let k = UnsafeRawBufferPointer(start: keyBase, count: key.count)
        return try addPrepared(key: k, keyHash: keyHash(k), pending, logging: true)
    }

    /// Normalizes `identifiers` into `pending` (fingerprints in hash-only mode) with their
    /// hashes, dropping invalid and erased values. Changes nothing else.
    func prepare(_ identifiers: UnsafeBufferPointer<RawIdentifier>, into pending: PendingValues) {
        Engine.prepare(identifiers, into: pending, kinds: kinds, tombstones: tombstones, fingerprinter: fingerprinter,
                       hasher: values.hasher, checkPlaceholders: false, scratch: scratch, scratchCapacity: scratchCapacity)
    }

    /// ``prepare(_:into:)`` from explicit inputs, reading nothing else: a batch's second thread
    /// runs it on copies of the engine's settings taken when the batch started (``RecordFeeder``).
    /// With `checkPlaceholders` every value's placeholder flag is decided here (as hash-only mode
    /// always does), so the add need not test new values itself.
    static func prepare(
        _ identifiers: UnsafeBufferPointer<RawIdentifier>, into pending: PendingValues,
        kinds: borrowing KindRegistry, tombstones: borrowing Set<Fingerprint>, fingerprinter: borrowing ValueFingerprinter,
        hasher: KeyHasher, checkPlaceholders: Bool, scratch: UnsafeMutablePointer<UInt8>, scratchCapacity: Int
    ) {
        pending.reset()
        let keyed = fingerprinter.isKeyed
        pending.placeholdersChecked = keyed || checkPlaceholders
        for id in identifiers {
            let kind = id.kind.rawValue
            let rule = kinds[Int(kind)].rule
            guard case .valid(var n) = kinds.normalizer.normalize(id.value, rule: rule, into: scratch) else {
                pending.invalid += 1
                continue
            }
            var placeholder = false
            if keyed || !tombstones.isEmpty {
                let fp = fingerprinter.fingerprint(scratch, n, kind: kind)
                if !tombstones.isEmpty, tombstones.contains(fp) {
                    pending.erased += 1
                    continue
                }
                if keyed {
                    // The placeholder test needs the value; after this line only its fingerprint exists.
                    placeholder = kinds.placeholders.isPlaceholder(kind: kind, rule: rule, UnsafeRawBufferPointer(start: scratch, count: n))
                    fp.store(into: scratch)
                    n = Fingerprint.byteCount
                }
            }
            let bytes = UnsafeRawBufferPointer(start: scratch, count: n)
            let h = hasher.hash(scratch, n, tag: kind)
            if checkPlaceholders, !keyed {
                // The guard hashes as the value table does (one hasher per engine): reuse the hash.
                placeholder = kinds.placeholders.isPlaceholder(kind: kind, rule: rule, bytes, hash: h)
            }
            pending.append(kind: kind, placeholder: placeholder, bytes, hash: h)
        }
        if keyed { scratch.update(repeating: 0, count: scratchCapacity) }
    }

    /// Interns the values of `pending` into `valueSet` (empty on entry): ascending, distinct.
    func internValues(_ pending: PendingValues, into valueSet: inout [UInt32]) throws(IDRError) {
        for i in 0..<pending.count {
            let (kind, placeholder, bytes) = pending[i]
            valueSet.append(try internValue(kind: kind, bytes, placeholder: pending.placeholdersChecked ? placeholder : nil,
                                            hash: pending.hash(i)))
        }
        valueSet.sort()
        var kept = 0
        for i in valueSet.indices where i == 0 || valueSet[i] != valueSet[kept - 1] {
            valueSet[kept] = valueSet[i]
            kept += 1
        }
        valueSet.removeLast(valueSet.count - kept)
    }

    /// The hash of a record key in the record table.
    @inline(__always)
    func keyHash(_ key: UnsafeRawBufferPointer) -> UInt64 { records.hasher.hash(key.baseAddress, key.count, tag: 0) }

    /// Appends a prepared value to `pending` with its hash in the value table (log replay).
    @inline(__always)
    func appendPending(_ pending: PendingValues, kind: UInt32, placeholder: Bool, _ bytes: UnsafeRawBufferPointer) {
        pending.append(kind: kind, placeholder: placeholder, bytes, hash: values.hasher.hash(bytes.baseAddress, bytes.count, tag: kind))
    }

    /// Applies the add whose values ``prepare(_:into:)`` (or a log replay) left in `pending`;
    /// `keyHash` is the key's hash in the record table.
    func addPrepared(key: UnsafeRawBufferPointer, keyHash: UInt64, _ pending: PendingValues, logging: Bool) throws(IDRError) -> UInt64 {
        let limits = configuration.limits
        let existing = records.find(tag: 0, key.baseAddress, key.count, hash: keyHash)
        if existing == nil || !recordAlive[Int(existing!)], recordCount >= limits.maxRecords {
            throw IDRError(.limitExceeded, "maxRecords (\(limits.maxRecords)) reached")
        }
        // Write-ahead: the add is in the log before it changes anything.
        if logging { try logAdd(key: key, pending) }
        // The value set is built in a buffer kept across adds: no allocation per add.
        var valueSet = valueScratch
        valueScratch = []
        defer { valueSet.removeAll(keepingCapacity: true); valueScratch = valueSet }
        try internValues(pending, into: &valueSet)

        let (index, inserted) = try records.intern(tag: 0, key.baseAddress, key.count, hash: keyHash)
        invalidValueCount += pending.invalid
        erasedValueCount += pending.erased
        let r = Int(index)
        if inserted { appendRecordSlots() }
        if recordAlive[r] {
            if values(ofRecord: r) == valueSet { return currentEntity(ofRecord: r) }
            // Upsert: the record keeps its age; its old identifiers go, the new ones come.
            rewrite([(r, valueSet)])
        } else {
            beginEvents(record: r)
            writeCut = nil
            sequence += 1
            attach(record: r, values: valueSet, seq: sequence)
            endEvents()
        }
        return currentEntity(ofRecord: r)
    }

    /// Gives live records new identifier sets in one step (an upsert; an erase across every
    /// holder of a value). The partition goes straight from before to after, and IDs follow the
    /// documented rule on that net change: no intermediate entity is created, so no ID is issued
    /// that the outside never saw.
    ///
    /// Only values the records held or now hold can change status (a value's status depends
    /// on its own records' identifiers), so those are re-evaluated; the records of every value
    /// that linked before or links now seed the recomputation, which reaches every piece of
    /// every entity involved.
    func rewrite(_ changes: [(record: Int, values: [UInt32])]) {
        guard let first = changes.first else { return }
        beginEvents(record: first.record)
        var touched: [UInt32] = []
        var seeds: [UInt32] = []
        var dropped: UInt32? = nil
        var added: UInt32? = nil
        for (r, newSet) in changes {
            seeds.append(UInt32(r))
            unlinkRecord(r) { v in
                if dropped == nil, links(Int(v)), !newSet.contains(v) { dropped = v }
                touched.append(v)
            }
            for v in newSet {
                if added == nil, links(Int(v)), !touched.contains(v) { added = v }
                touched.append(v)
            }
            linkRecord(r, values: newSet)
        }
        touched.sort()
        var becameGeneric: UInt32? = nil
        var relinked: UInt32? = nil
        var previous = Engine.none
        for v in touched where v != previous {
            previous = v
            let i = Int(v)
            let linkedBefore = links(i)
            if !valueIsPlaceholder[i] {
                let generic = isGenericNow(i)
                if generic != valueGeneric[i] {
                    valueGeneric[i] = generic
                    genericValueCount += generic ? 1 : -1
                    if generic {
                        setValueSlot(i, Engine.none)
                        becameGeneric = becameGeneric ?? v
                    } else {
                        relinked = relinked ?? v
                    }
                }
            }
            if linkedBefore || links(i) { forEachRecord(of: i) { seeds.append($0) } }
        }
        // A split is cut by a value that became generic or one a record no longer carries; a
        // merge is bridged by a value that links again or one a record now carries.
        writeCut = becameGeneric ?? dropped
        recompute(seeds: seeds, detached: [], via: relinked ?? added)
        endEvents()
    }

    /// Adds a record given as Swift strings (upsert); returns its entity ID.
    @discardableResult
    public func add(key: String, identifiers: [Identifier]) throws(IDRError) -> UInt64 {
        try withRawRecord(key: key, identifiers: identifiers) { (k, _, ids) throws(IDRError) in
            try add(recordKey: k, identifiers: ids)
        }
    }

    /// Removes the record with this key; its entity splits if it held it together.
    ///
    /// - Returns: whether the record was in the engine.
    /// - Throws: `io` when the engine has a log and the removal cannot be written to it (the
    ///   record then stays).
    @discardableResult
    public func remove(key: String) throws(IDRError) -> Bool {
        var key = key
        let result: Result<Bool, IDRError> = key.withUTF8 { k in
            Result { () throws(IDRError) -> Bool in try remove(recordKey: UnsafeRawBufferPointer(k)) }
        }
        return try result.get()
    }

    /// Removes the record with this key (UTF-8 bytes); returns whether it was in the engine.
    @discardableResult
    public func remove(recordKey key: UnsafeRawBufferPointer) throws(IDRError) -> Bool {
        guard let r = records.find(tag: 0, key.baseAddress, key.count), recordAlive[Int(r)] else { return false }
        try logRemove(key: key)
        beginEvents(record: Int(r))
        writeCut = nil
        detach(record: Int(r))
        endEvents()
        return true
    }

    /// Registers a custom kind (see ``Resolver/registerKind(named:rule:genericThreshold:entityLimit:distinguishesCustomers:)``;
    /// a kind registered on a live engine has no entity limit: give limits in the configuration).
    public func registerKind(
        named name: String, rule: NormalizationRule, genericThreshold: Int? = nil, distinguishesCustomers: Bool = true
    ) throws(IDRError) -> IdentifierKind {
        let known = kinds.kind(named: name)
        let kind = try kinds.register(named: name, rule: rule, genericThreshold: genericThreshold, entityLimit: nil,
                                      distinguishesCustomers: distinguishesCustomers)
        if known == nil {
            try logKind(name: name, rule: rule, genericThreshold: genericThreshold, distinguishes: distinguishesCustomers)
        }
        return kind
    }

    /// The kind with this name (built-in column name or registered custom name).
    public func kind(named name: String) -> IdentifierKind? { kinds.kind(named: name) }

    /// The name of a kind (`email`, …, a custom name, or its number if unregistered).
    public func kindName(_ kind: IdentifierKind) -> String { kinds.info(kind)?.name ?? String(kind.rawValue) }

    func currentEntity(ofRecord r: Int) -> UInt64 {
        entityID[Int(rootEntity[Int(uf.find(UInt32(r)))])]
    }

    /// Brings new record `r` to life with the identifiers `values` and links it.
    private func attach(record r: Int, values valueSet: [UInt32], seq: UInt64) {
        recordAlive[r] = true
        recordCount += 1
        uf.reset(UInt32(r))
        recordSeq[r] = seq
        linkRecord(r, values: valueSet)
        // The generic rule is monotone under adds: only this record's values can flip, and only
        // from linking to generic.
        var flipped: [Int] = []
        for v in valueSet where links(Int(v)) && isGenericNow(Int(v)) {
            valueGeneric[Int(v)] = true
            setValueSlot(Int(v), Engine.none)
            genericValueCount += 1
            flipped.append(Int(v))
        }
        // With limits a record that shares a linking value can change which links its
        // component refuses: the component is resolved again (Engine+Limits). One that shares
        // none is a component of its own, as without limits.
        if flipped.isEmpty, !entityLimitsOn || valueSet.allSatisfy({ !links(Int($0)) || valueDegree[Int($0)] == 1 }) {
            joinComponents(record: r)
        } else {
            var seeds: [UInt32] = [UInt32(r)]
            for v in flipped { forEachRecord(of: v) { seeds.append($0) } }
            rootEntity[r] = Engine.none
            // The value that became generic cut what it held; the record's linking values bridge.
            if let v = flipped.first { writeCut = UInt32(v) }
            let bridge = valueSet.first { links(Int($0)) }
            recompute(seeds: seeds, detached: [], via: bridge)
        }
    }

    /// Unlinks a live record's identifiers, takes it out and re-splits what it held together.
    private func detach(record r: Int) {
        note(.removed(slot: rootEntity[Int(uf.find(UInt32(r)))]))
        // Records that shared a linking value with r: every piece of r's old entity holds one.
        var seeds: [UInt32] = []
        var relinked: UInt32? = nil
        forEachNode(ofRecord: r) { node in
            let v = Int(occValue[Int(node)])
            let wasLinking = links(v)
            unlink(node)
            if wasLinking {
                forEachRecord(of: v) { seeds.append($0) }
            } else if valueGeneric[v], !isGenericNow(v) {
                // Fewer records can make a generic value linkable again: its records join.
                valueGeneric[v] = false
                genericValueCount -= 1
                relinked = relinked ?? UInt32(v)
                forEachRecord(of: v) { seeds.append($0) }
            }
        }
        recordHead[r] = Engine.none
        recordAlive[r] = false
        recordCount -= 1
        recompute(seeds: seeds, detached: [UInt32(r)], via: relinked)
    }

    /// Interns a value (normalized bytes, or a fingerprint in hash-only mode), growing the
    /// per-value arrays for a new one. `placeholder` is the value's flag when it was decided
    /// while preparing (always in hash-only mode, where the bytes can no longer be tested);
    /// `nil` tests a new value here.
    func internValue(kind: UInt32, _ bytes: UnsafeRawBufferPointer, placeholder: Bool?, hash: UInt64) throws(IDRError) -> UInt32 {
        let (v, inserted) = try values.intern(tag: kind, bytes.baseAddress, bytes.count, hash: hash)
        if inserted {
            let isPlaceholder = placeholder
                ?? kinds.placeholders.isPlaceholder(kind: kind, rule: kinds[Int(kind)].rule, bytes, hash: hash)
            valueIsPlaceholder.append(isPlaceholder)
            valueGeneric.append(false)
            valueDegree.append(0)
            valueHead.append(Engine.none)
            valueSlot.append(Engine.none)
        }
        return v
    }

    /// Grows the per-record arrays for a record just interned (not alive, a singleton).
    func appendRecordSlots() {
        recordAlive.append(false)
        recordSeq.append(0)
        recordHead.append(Engine.none)
        uf.append()
        rootEntity.append(Engine.none)
    }
}
