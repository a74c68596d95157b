extension Engine {
    /// Starts a traversal: afterwards `recordStamp[x] == epoch` marks visited records.
    private func nextEpoch() {
        if recordStamp.count < records.count { recordStamp.append(repeating: 0, count: records.count - recordStamp.count) }
        if valueStamp.count < values.count { valueStamp.append(repeating: 0, count: values.count - valueStamp.count) }
        if epoch == UInt32.max {
            for i in recordStamp.indices { recordStamp[i] = 0 }
            for i in valueStamp.indices { valueStamp[i] = 0 }
            epoch = 0
        }
        epoch += 1
    }

    /// Breadth-first through linking values from `start` within the current epoch; appends the
    /// linking values met to `linkingValues`.
    private func collect(from start: UInt32, values linkingValues: inout [UInt32]) -> [UInt32] {
        var out: [UInt32] = [start]
        recordStamp[Int(start)] = epoch
        var i = 0
        while i < out.count {
            let x = Int(out[i])
            i += 1
            forEachNode(ofRecord: x) { node in
                let v = Int(occValue[Int(node)])
                guard links(v), valueStamp[v] != epoch else { return }
                valueStamp[v] = epoch
                linkingValues.append(UInt32(v))
                forEachRecord(of: v) { y in
                    if recordStamp[Int(y)] != epoch {
                        recordStamp[Int(y)] = epoch
                        out.append(y)
                    }
                }
            }
        }
        return out
    }

    /// Fast path of an add: `r` (a fresh singleton, or after an upsert alone in its own
    /// entity; none of its values changed status) joins the entities of its linking values.
    func joinComponents(record r: Int) {
        var nodes = 0
        forEachNode(ofRecord: r) { _ in nodes += 1 }
        // Entities met, with their root and the value that reached each (none for the record's
        // own): on the stack, since an add must not allocate.
        withUnsafeTemporaryAllocation(of: Met.self, capacity: nodes + 1) { found in
            var count = 0
            let own = uf.find(UInt32(r))
            if rootEntity[Int(own)] != Engine.none {
                found[0] = Met(root: own, bridge: Engine.none, slot: rootEntity[Int(own)])
                count = 1
            }
            forEachNode(ofRecord: r) { node in
                let v = Int(occValue[Int(node)])
                // Another record holds the value (no record holds a value twice).
                guard links(v), valueDegree[v] > 1 else { return }
                let met = entity(ofLinkingValue: v, besides: r)
                if met.root != own, !found[0..<count].contains(where: { $0.root == met.root }) {
                    found[count] = Met(root: met.root, bridge: UInt32(v), slot: met.slot)
                    count += 1
                }
            }
            join(record: r, own: own, UnsafeMutableBufferPointer(rebasing: found[0..<count]))
        }
    }

    /// An entity an add met: its union-find root, the value that reached it, its slot.
    private struct Met {
        var root: UInt32
        var bridge: UInt32
        var slot: UInt32
    }

    /// The entity and root of linking value `v`'s records other than `r` (it has some).
    ///
    /// A linking value's records are all in one entity, which its slot names (through the
    /// forwards of absorbed entities), and an entity's anchor is its root: reads the batch
    /// pipeline fetched ahead (``fetchLists(_:)``). Finding the root from one of the records
    /// instead walks its parent pointers, a memory wait per step at 10M records. Debug builds
    /// check that both ways agree (the property tests run every add through it).
    @inline(__always)
    private func entity(ofLinkingValue v: Int, besides r: Int) -> (root: UInt32, slot: UInt32) {
        var slot = valueSlot[v]
        guard slot != Engine.none else {
            // Never expected (debug builds stop here); release builds take the slow way.
            assertionFailure("linking value \(v) held by other records has no entity slot")
            let root = rootOfOtherRecord(holding: v, besides: r) ?? uf.find(UInt32(r))
            return (root, rootEntity[Int(root)])
        }
        while slotForward[Int(slot)] != Engine.none { slot = slotForward[Int(slot)] }
        let root = entityAnchor[Int(slot)]
        assert(root == rootOfOtherRecord(holding: v, besides: r) && rootEntity[Int(root)] == slot,
               "value \(v): slot \(slot)'s anchor \(root) is not its records' root")
        return (root, slot)
    }

    /// The root of the first record other than `r` in `v`'s list, if any.
    private func rootOfOtherRecord(holding v: Int, besides r: Int) -> UInt32? {
        var o = valueHead[v]
        while o != Engine.none, occRecord[Int(o)] == UInt32(r) { o = occNext[Int(o)] }
        return o == Engine.none ? nil : uf.find(occRecord[Int(o)])
    }

    /// Joins record `r` (whose set is `own`) with the entities of `found`, each reached by its
    /// bridge.
    private func join(record r: Int, own: UInt32, _ found: UnsafeMutableBufferPointer<Met>) {
        if found.count == 1, found[0].root == own {
            // Alone in the entity it kept: nothing to join, only its values to point at it.
            setSlot(found[0].slot, forLinkingValuesOf: r)
            return
        }
        guard !found.isEmpty else {
            let slot = newEntity(createdBy: r)
            rootEntity[r] = slot
            entityAnchor[Int(slot)] = UInt32(r)
            setSlot(slot, forLinkingValuesOf: r)
            note(.created(slot: slot))
            return
        }
        var survivor = found[0].slot
        for f in found.dropFirst() where entityCreated[Int(f.slot)] < entityCreated[Int(survivor)] {
            survivor = f.slot
        }
        for f in found where f.slot != survivor {
            absorb(f.slot, into: survivor)
            // The record's own entity joins through whichever identifier reached the survivor.
            let via = f.bridge != Engine.none ? f.bridge : found.first { $0.bridge != Engine.none }?.bridge
            note(.merged(from: f.slot, into: survivor, via: via))
        }
        var root = own
        for f in found where f.root != own { root = uf.union(root, f.root) ?? uf.find(root) }
        rootEntity[Int(root)] = survivor
        entityAnchor[Int(survivor)] = root
        // Values of the absorbed entities reach `survivor` through the slot forwards.
        setSlot(survivor, forLinkingValuesOf: r)
    }

    /// Points value `v` at entity `slot` (or ``Engine/none``), and its lookup hint with it
    /// (``InternTable+Hints``; a value that stops linking keeps its stale hint, which
    /// lookups never trust).
    @inline(__always)
    func setValueSlot(_ v: Int, _ slot: UInt32) {
        // Most calls change nothing (a record joining the entity its values already name):
        // those skip the hint, whose update hashes the value again.
        guard valueSlot[v] != slot else { return }
        valueSlot[v] = slot
        if slot != Engine.none { values.setHint(entry: v, slot) }
    }

    /// The first value that links but whose lookup hint names another entity slot or other
    /// bytes, or `nil`: every write keeps the hints exact (tests check this after each step;
    /// a stale hint would not change an answer, only slow the lookup down).
    package func firstStaleLookupHint() -> Int? {
        for v in 0..<values.count where valueSlot[v] != Engine.none {
            guard let hint = values.hint(ofEntry: v), hint.value == valueSlot[v], hint.start == values.start(v) else { return v }
        }
        return nil
    }

    private func setSlot(_ slot: UInt32, forLinkingValuesOf r: Int) {
        forEachNode(ofRecord: r) { node in
            let v = Int(occValue[Int(node)])
            if links(v) { setValueSlot(v, slot) }
        }
    }

    /// Rebuilds the entities around `seeds` after statuses or records changed, and gives each
    /// resulting piece its ID. `detached` are records that just left (already unlinked).
    ///
    /// Every record of every entity touched is reached from a seed (a split piece always
    /// holds a seed: the record or value that held it to the rest), so resetting exactly the
    /// records reached leaves no stale parent pointer behind. With per-entity limits the link
    /// components reached are split again into their limited parts (Engine+Limits); an entity
    /// lies inside one link component, so the same argument holds.
    func recompute(seeds: [UInt32], detached: [UInt32], via bridge: UInt32? = nil) {
        nextEpoch()
        var pieces: [[UInt32]] = []
        var pieceValues: [[UInt32]] = []
        for s in seeds where recordAlive[Int(s)] && recordStamp[Int(s)] != epoch {
            var linkingValues: [UInt32] = []
            pieces.append(collect(from: s, values: &linkingValues))
            pieceValues.append(linkingValues)
        }
        // With limits the pieces are the limited parts of those link components.
        var componentValues: [UInt32] = []
        if entityLimitsOn {
            var parts: [[UInt32]] = []
            for (p, piece) in pieces.enumerated() {
                parts += limitedParts(of: piece, values: pieceValues[p])
                componentValues += pieceValues[p]
            }
            pieces = parts
            pieceValues = []
        }
        // Old entity of every record involved, read before any reset.
        var oldSlot: [[UInt32]] = pieces.map { piece in piece.map { rootEntity[Int(uf.find($0))] } }
        let detachedSlots = detached.map { rootEntity[Int(uf.find($0))] }
        for piece in pieces { for x in piece { uf.reset(x) } }
        for x in detached {
            uf.reset(x)
            rootEntity[Int(x)] = Engine.none
        }
        for piece in pieces {
            for x in piece.dropFirst() { uf.union(piece[0], x) }
        }
        // The oldest record of each old entity decides which piece keeps its ID.
        var oldest: [UInt32: (seq: UInt64, piece: Int)] = [:]
        for (p, piece) in pieces.enumerated() {
            for (i, x) in piece.enumerated() {
                let slot = oldSlot[p][i]
                guard slot != Engine.none else { continue }
                let seq = recordSeq[Int(x)]
                if let o = oldest[slot], o.seq <= seq { continue }
                oldest[slot] = (seq, p)
            }
        }
        var kept = [[UInt32]](repeating: [], count: pieces.count)
        // Slot order (creation order), not dictionary order: events come out deterministic.
        for slot in oldest.keys.sorted() { kept[oldest[slot]!.piece].append(slot) }
        var pieceSlot = [UInt32](repeating: Engine.none, count: pieces.count)
        // Pieces that keep an ID first; then the new ones, created in the order of their oldest
        // records (a documented order: creation order decides which ID survives a later merge).
        let oldestSeq = pieces.map { piece in piece.map { recordSeq[Int($0)] }.min()! }
        let order = pieces.indices.sorted { a, b in
            kept[a].isEmpty != kept[b].isEmpty ? !kept[a].isEmpty : (kept[a].isEmpty ? oldestSeq[a] < oldestSeq[b] : a < b)
        }
        for p in order {
            let piece = pieces[p]
            let slot: UInt32
            if kept[p].isEmpty {
                let first = piece.min { recordSeq[Int($0)] < recordSeq[Int($1)] }!
                slot = newEntity(createdBy: Int(first))
                // A piece none of whose records had an entity is new; otherwise it is a split part.
                if oldSlot[p].allSatisfy({ $0 == Engine.none }) { note(.created(slot: slot)) }
            } else {
                slot = kept[p].min { entityCreated[Int($0)] < entityCreated[Int($1)] }!
                for other in kept[p] where other != slot {
                    absorb(other, into: slot)
                    note(.merged(from: other, into: slot, via: bridge))
                }
            }
            pieceSlot[p] = slot
            let root = uf.find(piece[0])
            rootEntity[Int(root)] = slot
            entityAnchor[Int(slot)] = root
            if !entityLimitsOn { for v in pieceValues[p] { setValueSlot(Int(v), slot) } }
        }
        if entityLimitsOn { setLimitedSlots(componentValues) }
        if wantsEvents {
            // An old entity whose records now lie in several pieces split; its own piece first.
            for slot in oldest.keys.sorted() {
                var parts: [UInt32] = [pieceSlot[oldest[slot]!.piece]]
                for (p, slots) in oldSlot.enumerated() where slots.contains(slot) && !parts.contains(pieceSlot[p]) {
                    parts.append(pieceSlot[p])
                }
                // The other parts in creation order, not in the order the traversal met them
                // (which follows the value lists, laid out differently after a snapshot load).
                parts[1...].sort()
                if parts.count > 1 { note(.split(from: slot, parts: parts, cut: writeCut)) }
            }
        }
        oldSlot.removeAll()
        // An entity none of whose records remain is gone (no redirect).
        for slot in detachedSlots where slot != Engine.none && oldest[slot] == nil && entityAlive[Int(slot)] {
            entityAlive[Int(slot)] = false
            liveEntities -= 1
        }
    }

    /// A new entity created by record `r`: ID = XXH3-64 of its key, re-seeded while taken.
    func newEntity(createdBy r: Int) -> UInt32 {
        var seed: UInt64 = 0
        var id: UInt64
        // The bytes first, then the hash: nothing changes the table in between.
        let key = records.unsafeBytes(at: r)
        repeat {
            id = XXH3.hash64(key, seed: seed)
            seed += 1
        } while id == 0 || slotOfID[id] != nil
        let slot = UInt32(entityID.count)
        sequence += 1
        entityID.append(id)
        slotForward.append(Engine.none)
        entityCreated.append(sequence)
        entityAlive.append(true)
        entityAnchor.append(UInt32(r))
        slotOfID.insert(id, slot: slot)
        liveEntities += 1
        return slot
    }

    /// Retires `slot`, redirecting its ID to `survivor`'s.
    func absorb(_ slot: UInt32, into survivor: UInt32) {
        guard entityAlive[Int(slot)] else { return }
        // Slots are numbered in creation order and the survivor is the oldest entity: forwards
        // point backwards, so no chain can loop (snapshot loading relies on it).
        assert(survivor < slot)
        entityAlive[Int(slot)] = false
        slotForward[Int(slot)] = survivor
        liveEntities -= 1
    }
}
