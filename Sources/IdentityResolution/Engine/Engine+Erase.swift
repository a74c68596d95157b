extension Engine {
    /// Erases an identifier value (GDPR): removes it from every record that carries it, re-splits
    /// what it held together, and forgets its bytes. With ``ResolverConfiguration/erasureTombstones``
    /// (the default) the engine keeps its 128-bit fingerprint, so later adds carrying the value
    /// drop it (counted in ``EngineStatistics/erasedValues``) instead of linking through it.
    ///
    /// Events name the erased value by its fingerprint. On an engine opened from a path the call
    /// ends with ``save()``: the log, which holds the value, is replaced by a snapshot that does not.
    /// An invalid value is never held, so erasing one changes nothing (and keeps no tombstone).
    ///
    /// - Returns: the number of records that carried the value.
    /// - Throws: `unknownKind`; `io` if the final save fails (the engine has erased the value, but
    ///   the files still hold it until a ``save()`` succeeds).
    @discardableResult
    public func erase(_ kind: IdentifierKind, _ value: String) throws(IDRError) -> Int {
        var value = value
        let result: Result<Int, IDRError> = value.withUTF8 { bytes in
            Result { () throws(IDRError) -> Int in try erase(kind, UnsafeRawBufferPointer(bytes)) }
        }
        return try result.get()
    }

    /// ``erase(_:_:)`` with the value as UTF-8 bytes.
    @discardableResult
    public func erase(_ kind: IdentifierKind, _ value: UnsafeRawBufferPointer) throws(IDRError) -> Int {
        let k = kind.rawValue
        let rule = try kinds.registeredRule(kind)
        guard value.count <= configuration.limits.maxValueLength + 256,
              case .valid(var n) = kinds.normalizer.normalize(value, rule: rule, into: scratch)
        else { return 0 }
        let fp = fingerprinter.fingerprint(scratch, n, kind: k)
        if fingerprinter.isKeyed {
            scratch.update(repeating: 0, count: n)
            fp.store(into: scratch)
            n = Fingerprint.byteCount
        }
        return try eraseStored(kind: k, UnsafeRawBufferPointer(start: scratch, count: n), fingerprint: fp)
    }

    /// Erases a value in its stored form (normalized, or its fingerprint in hash-only mode) whose
    /// fingerprint is `fp`: the part of ``erase(_:_:)`` after normalizing, which a mirror's
    /// change feed replays (``ChangeFeed``).
    func eraseStored(kind k: UInt32, _ stored: UnsafeRawBufferPointer, fingerprint fp: Fingerprint) throws(IDRError) -> Int {
        feed?.appendErasure(kind: k, stored, fingerprint: fp)
        let found = values.find(tag: k, stored.baseAddress, stored.count)
        // The value's bytes are not kept: from here on only its fingerprint is.
        if stored.baseAddress == UnsafeRawPointer(scratch) { scratch.update(repeating: 0, count: stored.count) }
        if configuration.erasureTombstones { tombstones.insert(fp) }
        erasures &+= 1
        var holders: [UInt32] = []
        if let v = found {
            forEachRecord(of: Int(v)) { holders.append($0) }
            // Key order, not list order: the events name the same triggering record whatever
            // the history.
            holders.sort { records.bytesLess(Int($0), Int($1)) }
            erasing = (v, fp.text)
            // One step for all holders: the partition goes from before to after the erasure.
            rewrite(holders.map { r in (Int(r), values(ofRecord: Int(r)).filter { $0 != v }) })
            erasing = nil
            values.retire(Int(v))
            valueIsPlaceholder[Int(v)] = false
        }
        if storage != nil { try save() }
        return holders.count
    }
}
