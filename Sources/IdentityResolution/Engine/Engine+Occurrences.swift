extension Engine {
    // A record's occurrence nodes form a chain (`recordHead`, `occSibling`) in ascending value
    // order, inside the same node arrays as the values' lists: no array per record, so adding a
    // record allocates nothing of its own and a snapshot can store the chains as flat arrays.

    /// Calls `body` with each occurrence node of record `r`, in ascending value order. `body`
    /// may unlink the node it is given (not others).
    @inline(__always)
    func forEachNode(ofRecord r: Int, _ body: (UInt32) -> Void) {
        var node = recordHead[r]
        while node != Engine.none {
            let next = occSibling[Int(node)]
            body(node)
            node = next
        }
    }

    /// The values record `r` holds, ascending.
    func values(ofRecord r: Int) -> [UInt32] {
        var out: [UInt32] = []
        forEachNode(ofRecord: r) { out.append(occValue[Int($0)]) }
        return out
    }

    /// Gives record `r` (with no nodes) one node per value of `values` (ascending, distinct).
    func linkRecord(_ r: Int, values: [UInt32]) {
        var last = Engine.none
        for v in values {
            let node = linkOccurrence(record: UInt32(r), value: v)
            if last == Engine.none { recordHead[r] = node } else { occSibling[Int(last)] = node }
            last = node
        }
    }

    /// Takes every node of record `r` out of its value's list; `body` sees each value first.
    func unlinkRecord(_ r: Int, _ body: (UInt32) -> Void = { _ in }) {
        forEachNode(ofRecord: r) { node in
            body(occValue[Int(node)])
            unlink(node)
        }
        recordHead[r] = Engine.none
    }

    /// Puts an occurrence node at the head of `v`'s record list (its record chain is the
    /// caller's: ``linkRecord(_:values:)``).
    func linkOccurrence(record r: UInt32, value v: UInt32) -> UInt32 {
        let node: UInt32
        if let free = freeOccurrences.popLast() {
            node = free
            occRecord[Int(node)] = r
            occValue[Int(node)] = v
        } else {
            node = UInt32(occRecord.count)
            occRecord.append(r); occValue.append(v); occNext.append(Engine.none); occPrev.append(Engine.none)
            occSibling.append(Engine.none)
        }
        occSibling[Int(node)] = Engine.none
        let head = valueHead[Int(v)]
        occNext[Int(node)] = head
        occPrev[Int(node)] = Engine.none
        if head != Engine.none { occPrev[Int(head)] = node }
        valueHead[Int(v)] = node
        valueDegree[Int(v)] += 1
        return node
    }

    /// Takes `node` out of its value's list and frees it.
    func unlink(_ node: UInt32) {
        let v = Int(occValue[Int(node)])
        let next = occNext[Int(node)], prev = occPrev[Int(node)]
        if prev != Engine.none { occNext[Int(prev)] = next } else { valueHead[v] = next }
        if next != Engine.none { occPrev[Int(next)] = prev }
        valueDegree[v] -= 1
        if valueDegree[v] == 0 { setValueSlot(v, Engine.none) }
        freeOccurrences.append(node)
    }

    /// Calls `body` with each record holding `v`.
    @inline(__always)
    func forEachRecord(of v: Int, _ body: (UInt32) -> Void) {
        var o = valueHead[v]
        while o != Engine.none {
            body(occRecord[Int(o)])
            o = occNext[Int(o)]
        }
    }
}
