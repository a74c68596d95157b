/// Sections 5, 6 and 3 of a version-3 snapshot: the engine's tables as flat arrays, so that a
/// load is mostly copies and linear checks instead of re-normalizing, re-hashing and re-linking
/// every record (version 2 loaded 10M records in 43 s).
///
/// Dead entries are left out: a removed record's key and a value no record holds any more
/// (an erased one included) are not written. When nothing is left out, the hash slots of the
/// two intern tables are written as they are; otherwise they are rebuilt at load.
extension Engine {
    /// Writes sections 5 (records), 6 (values and occurrences) and 3 (entities).
    func writeTables(_ w: inout ByteWriter, section: (inout ByteWriter, UInt32, (inout ByteWriter) -> Void) -> Void) {
        let allRecordsLive = recordCount == records.count
        var heldValues = 0
        for v in 0..<values.count where valueDegree[v] > 0 { heldValues += 1 }
        let allValuesHeld = heldValues == values.count
        // New value numbers: the rank among held values (order kept, so chains stay ascending).
        let valueNumber = allValuesHeld ? [] : keptRanks(count: values.count) { valueDegree[$0] > 0 }
        section(&w, 5) { p in
            let table = allRecordsLive ? records : records.compacted { recordAlive[$0] }
            table.write(to: &p, withSlots: allRecordsLive)
            var seq: [UInt64] = [], slot: [UInt32] = [], nodeEnd: [UInt32] = []
            seq.reserveCapacity(recordCount); slot.reserveCapacity(recordCount); nodeEnd.reserveCapacity(recordCount)
            var nodes: UInt32 = 0
            for r in 0..<records.count where recordAlive[r] {
                seq.append(recordSeq[r])
                slot.append(rootEntity[Int(uf.root(of: UInt32(r)))])
                forEachNode(ofRecord: r) { _ in nodes += 1 }
                nodeEnd.append(nodes)
            }
            p.array(seq)
            p.array(slot)
            p.array(nodeEnd)
            let (link, depth) = spanningForest(allRecordsLive: allRecordsLive)
            p.array(link)
            p.array(depth)
        }
        section(&w, 6) { p in
            let table = allValuesHeld ? values : values.compacted { valueDegree[$0] > 0 }
            table.write(to: &p, withSlots: allValuesHeld)
            var flags: [UInt8] = [], slot: [UInt32] = []
            flags.reserveCapacity(heldValues); slot.reserveCapacity(heldValues)
            for v in 0..<values.count where valueDegree[v] > 0 {
                flags.append((valueIsPlaceholder[v] ? 1 : 0) | (valueGeneric[v] ? 2 : 0))
                slot.append(valueSlot[v])
            }
            p.array(flags)
            p.array(slot)
            var nodes: [UInt32] = []
            nodes.reserveCapacity(occRecord.count - freeOccurrences.count)
            for r in 0..<records.count where recordAlive[r] {
                forEachNode(ofRecord: r) { node in
                    let v = occValue[Int(node)]
                    nodes.append(allValuesHeld ? v : valueNumber[Int(v)])
                }
            }
            p.array(nodes)
        }
        section(&w, 3) { p in
            p.u64(sequence)
            p.u64(UInt64(invalidValueCount))
            p.array(entityID)
            p.array(entityCreated)
            p.array(entityAlive.map { $0 ? UInt8(1) : 0 })
            p.array(slotForward)
            p.array(slotOfID.keys)
            p.array(slotOfID.slots)
        }
    }

    /// A spanning tree of every entity, in the snapshot's record numbers (live records in index
    /// order): each record's `link` is the record it is reached from through a shared linking
    /// value (`none` for the tree's root) and `depth` its distance from the root. The loader
    /// checks this certificate in one pass instead of recomputing the partition with a
    /// union-find (10M records: 1.5 s of random accesses).
    func spanningForest(allRecordsLive: Bool) -> (link: [UInt32], depth: [UInt32]) {
        let number = allRecordsLive ? [] : keptRanks(count: records.count) { recordAlive[$0] }
        var link = [UInt32](repeating: Engine.none, count: records.count)
        var depth = [UInt32](repeating: 0, count: records.count)
        var visited = [Bool](repeating: false, count: records.count)
        // The tree that last went through each value: with per-entity limits a value's records
        // can lie in several entities, and each of their trees may go through it.
        var valueSeen = [UInt32](repeating: Engine.none, count: values.count)
        var queue: [UInt32] = []
        for start in 0..<records.count where recordAlive[start] && !visited[start] {
            visited[start] = true
            queue.removeAll(keepingCapacity: true)
            queue.append(UInt32(start))
            let root = uf.root(of: UInt32(start))
            var i = 0
            while i < queue.count {
                let x = Int(queue[i])
                i += 1
                forEachNode(ofRecord: x) { node in
                    let v = Int(occValue[Int(node)])
                    guard links(v), valueSeen[v] != UInt32(start) else { return }
                    valueSeen[v] = UInt32(start)
                    forEachRecord(of: v) { y in
                        guard !visited[Int(y)], !entityLimitsOn || uf.root(of: y) == root else { return }
                        visited[Int(y)] = true
                        link[Int(y)] = UInt32(x)
                        depth[Int(y)] = depth[x] + 1
                        queue.append(y)
                    }
                }
            }
        }
        guard !allRecordsLive else { return (link, depth) }
        var liveLink: [UInt32] = [], liveDepth: [UInt32] = []
        liveLink.reserveCapacity(recordCount); liveDepth.reserveCapacity(recordCount)
        for r in 0..<records.count where recordAlive[r] {
            liveLink.append(link[r] == Engine.none ? Engine.none : number[Int(link[r])])
            liveDepth.append(depth[r])
        }
        return (liveLink, liveDepth)
    }

    /// Reads the entity ID table (the end of section 3) and checks it: a valid table holding
    /// each slot's ID exactly once.
    static func readIDTable(_ er: inout ByteReader, ids: Column<UInt64>) throws(IDRError) -> IDTable {
        let slotCount = ids.count
        let idKeys = try er.array(of: UInt64.self)
        let idSlots = try er.array(of: UInt32.self, count: idKeys.count)
        guard er.remaining == 0 else { throw er.corrupt("trailing bytes") }
        guard let table = IDTable(keys: idKeys, slots: idSlots, slotCount: slotCount), table.count == slotCount else {
            throw er.corrupt("a bad entity ID table")
        }
        var seen = IndexMarks(count: slotCount)
        for i in idKeys.indices where idKeys[i] != 0 {
            let s = Int(idSlots[i])
            guard ids[s] == idKeys[i], seen.markOnce(s) else { throw er.corrupt("a bad entity ID table") }
        }
        return table
    }

    /// Installs sections 5, 6 and 3 into this fresh engine, checking everything an operation
    /// relies on: indices in range, ascending distinct values per record, forwards to older
    /// slots, every live entity holding records and every record in a live entity, the ID table
    /// holding each slot's ID once. The partition and the values' statuses (placeholder,
    /// generic) are taken as stored: the checksums guard them against damage.
    func restoreTables(records rr: inout ByteReader, values vr: inout ByteReader, entities er: inout ByteReader) throws(IDRError) {
        // The records section is copied out of the mapping on another core while this one
        // reads the entities and copies the values section (and the ID table is checked on a
        // third thread): at 10M records, one after the other on this core, the copies took
        // 2.2 s of a 4.2 s load with fresh host memory, mostly the kernel zeroing new pages,
        // while the other core waited (perf, `online --load-only`). The values' node list
        // needs the records' count of nodes, so it is read after the records. Errors are
        // reported in section order (entities, records, values), as when one core read them all.
        let limits = configuration.limits
        struct RecordSection {
            let table: InternTable
            let seq: Column<UInt64>
            let recordSlot: [UInt32], nodeEnd: [UInt32], link: [UInt32], depth: [UInt32]
        }
        final class Records: @unchecked Sendable {
            // Unchecked: written by the task, read after it is joined.
            var result: Result<RecordSection, IDRError>?
            var reader: ByteReader
            init(_ reader: ByteReader) { self.reader = reader }
        }
        let recordRead = Records(rr)
        let recordHasher = records.hasher
        let recordTask = SideTask {
            recordRead.result = Result { () throws(IDRError) -> RecordSection in
                let table = try InternTable.read(from: &recordRead.reader, hasher: recordHasher, maxLength: limits.maxRecordKeyLength) { $0 == 0 }
                let n = table.count
                guard n <= limits.maxRecords else { throw recordRead.reader.corrupt("more records than max_records") }
                let seq = try recordRead.reader.column(of: UInt64.self, count: n)
                let recordSlot = try recordRead.reader.array(of: UInt32.self, count: n)
                let nodeEnd = try recordRead.reader.array(of: UInt32.self, count: n)
                let link = try recordRead.reader.array(of: UInt32.self, count: n)
                let depth = try recordRead.reader.array(of: UInt32.self, count: n)
                guard recordRead.reader.remaining == 0 else { throw recordRead.reader.corrupt("trailing bytes") }
                return RecordSection(table: table, seq: seq, recordSlot: recordSlot, nodeEnd: nodeEnd, link: link, depth: depth)
            }
        }
        defer { recordTask.join() }

        // Entities first: the other sections point into them.
        let storedSequence = try er.u64()
        let invalid = try er.u64()
        let ids = try er.column(of: UInt64.self)
        let slotCount = ids.count
        guard slotCount < Int(UInt32.max) else { throw er.corrupt("too many entities") }
        let created = try er.column(of: UInt64.self, count: slotCount)
        let aliveBytes = try er.array(of: UInt8.self, count: slotCount)
        let forward = try er.column(of: UInt32.self, count: slotCount)
        var maxSeq: UInt64 = 0
        for s in 0..<slotCount {
            guard ids[s] != 0, aliveBytes[s] <= 1 else { throw er.corrupt("a bad entity slot") }
            // A merge's survivor is the older entity, so forwards point to lower slots: no cycles.
            guard forward[s] == Engine.none ? true : (forward[s] < UInt32(s) && aliveBytes[s] == 0) else {
                throw er.corrupt("a bad entity forward")
            }
            // Slots are numbered in creation order; merges keep the older entity and forward
            // the newer one to it, which is what keeps forwards pointing backwards.
            guard s == 0 || created[s] > created[s - 1] else { throw er.corrupt("entity slots out of creation order") }
            maxSeq = max(maxSeq, created[s])
        }
        // The ID table is checked on a third thread while the records and values are read.
        final class Table: @unchecked Sendable { var result: Result<IDTable, IDRError>? }
        let idTable = Table()
        var idReader = er
        let idIDs = ids
        let idTask = SideTask {
            idTable.result = Result { () throws(IDRError) -> IDTable in
                try Engine.readIDTable(&idReader, ids: idIDs)
            }
        }
        defer { idTask.join() }

        // Values (their node list below, once the records are in).
        let kinds = self.kinds
        let valuesRead = Result { () throws(IDRError) -> (InternTable, [UInt8], Column<UInt32>) in
            let valueTable = try InternTable.read(from: &vr, hasher: values.hasher, maxLength: maxStoredValueLength) { t in
                Int(t) < kinds.count && kinds[Int(t)].registered
            }
            let m = valueTable.count
            return (valueTable, try vr.array(of: UInt8.self, count: m), try vr.column(of: UInt32.self, count: m))
        }
        recordTask.join()
        rr = recordRead.reader
        let section = try recordRead.result!.get()
        let (valueTable, flags, storedValueSlot) = try valuesRead.get()
        let recordTable = section.table, seq = section.seq, recordSlot = section.recordSlot
        let nodeEnd = section.nodeEnd, link = section.link, depth = section.depth
        let n = recordTable.count, m = valueTable.count
        let nodeValue = try vr.column(of: UInt32.self, count: Int(nodeEnd.last ?? 0))
        guard vr.remaining == 0 else { throw vr.corrupt("trailing bytes") }
        // The lookup hints (not stored: they follow from the value table and the values'
        // entity slots) are gathered by a third thread while the checks below run: a pass of
        // scattered reads that would otherwise add to the load's time.
        final class Hints: @unchecked Sendable { var words: [UInt64] = [] }
        let hints = Hints()
        let hintTask = SideTask { [valueTable] in
            hints.words = storedValueSlot.withUnsafeBufferPointer { valueTable.makeHints(values: $0) }
        }
        defer { hintTask.join() }
        // Filled while the ID table may still be checked.
        let nodeCount = nodeValue.count
        let head = Column<UInt32>(repeating: Engine.none, count: n)
        let sibling = Column<UInt32>(repeating: Engine.none, count: nodeCount)
        let owner = Column<UInt32>(repeating: 0, count: nodeCount)
        idTask.join()
        let table = try idTable.result!.get()
        for v in 0..<m {
            guard flags[v] <= 2, storedValueSlot[v] == Engine.none || (Int(storedValueSlot[v]) < slotCount && flags[v] == 0) else {
                throw vr.corrupt("a bad value")
            }
        }

        // Occurrence nodes, numbered in record order: record r holds nodes start ..< nodeEnd[r].
        let maxIdentifiers = limits.maxIdentifiersPerRecord
        let badRecord: Int? = nodeEnd.withUnsafeBufferPointer { nodeEnd in
            nodeValue.withUnsafeBufferPointer { nodeValue in
                head.withUnsafeMutableBufferPointer { head in
                    sibling.withUnsafeMutableBufferPointer { sibling in
                        owner.withUnsafeMutableBufferPointer { owner in
                            var start = 0
                            for r in 0..<n {
                                let end = Int(nodeEnd[r])
                                guard end >= start, end <= nodeCount, end - start <= maxIdentifiers else { return r }
                                if end > start { head[r] = UInt32(start) }
                                var previous = -1
                                for k in start..<end {
                                    let v = Int(nodeValue[k])
                                    guard v < m, v > previous else { return r }
                                    previous = v
                                    owner[k] = UInt32(r)
                                    if k + 1 < end { sibling[k] = UInt32(k + 1) }
                                }
                                start = end
                            }
                            return nil
                        }
                    }
                }
            }
        }
        if let badRecord { throw rr.corrupt("record \(badRecord) holds a bad count or list of values") }
        for r in 0..<n { maxSeq = max(maxSeq, seq[r]) }
        guard storedSequence >= maxSeq else { throw er.corrupt("the sequence is behind the records") }
        // The partition must be exactly the components of the links: writes rely on it (a
        // tampered file that put two components in one entity trapped a later remove, found by
        // the robustness test). Closure — a linking value's records share one entity — is checked
        // on this core in the pass that builds the values' lists; meanwhile the second core
        // anchors every entity at its tree's root (the union-find, which needs only links and
        // slots). Connection — each entity's records form its stored spanning tree — is then
        // checked on both cores, in blocks each claims as it gets there: the lists take longer
        // than the anchors (their four columns are fresh memory), and with a fixed half each
        // this core finished 0.4 s after the other at 10M records (perf, fresh host memory).
        // Side by side, each with its random reads fetched ahead, the lists and the anchors
        // took 0.4 s where they had taken 1.2 s one after the other (`idr-bench online --load-only`).
        final class SideWork: @unchecked Sendable {
            var anchors: Result<Anchors, LoadProblem>?
        }
        let limited = entityLimitsOn
        let side = SideWork()
        let trees = SpanningTreeCheck(records: n)
        let valueHead = Column<UInt32>(), degree = Column<UInt32>(), next = Column<UInt32>(), prev = Column<UInt32>()
        var problem: String? = nil
        SideThread.run({
            side.anchors = Engine.anchorEntities(link: link, recordSlot: recordSlot, alive: aliveBytes)
            trees.run(link: link, depth: depth, recordSlot: recordSlot, nodeEnd: nodeEnd, nodeValue: nodeValue, flags: flags)
        }, alongside: {
            let split = Engine.buildValueLists(nodeValue: nodeValue, owner: owner, recordSlot: recordSlot, flags: flags,
                                               head: valueHead, degree: degree, next: next, prev: prev)
            // With per-entity limits a linking value may be held in several entities; the
            // spanning trees still prove that each entity lies inside one link component, which
            // is what writes rely on.
            if split, !limited { problem = "linked records are in different entities"; return }
            trees.run(link: link, depth: depth, recordSlot: recordSlot, nodeEnd: nodeEnd, nodeValue: nodeValue, flags: flags)
        })
        if let problem { throw rr.corrupt(problem) }
        let anchored: Anchors
        switch side.anchors! {
        case .success(let a): anchored = a
        case .failure(let p): throw rr.corrupt(p.message)
        }
        if let problem = trees.problem { throw rr.corrupt(problem) }
        let anchor = anchored.anchor, rootEntity = anchored.rootEntity
        var live = 0
        for s in 0..<slotCount where aliveBytes[s] == 1 {
            guard anchor[s] != Engine.none else { throw er.corrupt("a live entity without records") }
            live += 1
        }

        // Install.
        records = recordTable
        values = valueTable
        hintTask.join()
        // Taken out of the box first: a second reference would make the first hint update
        // copy the whole array.
        let hintWords = hints.words
        hints.words = []
        values.installHints(hintWords)
        // Columns built here are swapped in whole: no copy of the big tables.
        recordAlive.swapContents(with: Column(repeating: true, count: n))
        recordSeq.swapContents(with: seq)
        recordHead.swapContents(with: head)
        uf = UnionFind(parent: anchored.parent, size: anchored.size)
        self.rootEntity.swapContents(with: rootEntity)
        recordCount = n
        occRecord.swapContents(with: owner)
        occValue.swapContents(with: nodeValue)
        occNext.swapContents(with: next)
        occPrev.swapContents(with: prev)
        occSibling.swapContents(with: sibling)
        freeOccurrences.removeAll()
        valueIsPlaceholder.swapContents(with: Column(count: m) { out in for v in 0..<m { out[v] = flags[v] & 1 != 0 } })
        valueGeneric.swapContents(with: Column(count: m) { out in for v in 0..<m { out[v] = flags[v] & 2 != 0 } })
        genericValueCount = flags.reduce(0) { $0 + Int($1 >> 1) }
        valueDegree.swapContents(with: degree)
        self.valueHead.swapContents(with: valueHead)
        valueSlot.swapContents(with: storedValueSlot)
        entityID.swapContents(with: ids)
        entityCreated.swapContents(with: created)
        entityAlive.swapContents(with: Column(aliveBytes.lazy.map { $0 == 1 }))
        slotForward.swapContents(with: forward)
        entityAnchor.swapContents(with: anchor)
        slotOfID = table
        liveEntities = live
        sequence = storedSequence
        invalidValueCount = Int(clamping: invalid)
    }
}
