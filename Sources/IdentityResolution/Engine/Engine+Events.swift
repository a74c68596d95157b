extension Engine {
    /// Whether ``drainEvents()`` collects events (off by default, so an engine whose owner
    /// never drains does not grow a queue). ``eventHandler`` is called either way.
    public var collectsEvents: Bool {
        get { collectEvents }
        set { collectEvents = newValue }
    }

    /// The events recorded since the last call, oldest first; empties the queue.
    public func drainEvents() -> [EntityEvent] {
        defer { eventQueue.removeAll() }
        return eventQueue
    }

    var wantsEvents: Bool { collectEvents || eventHandler != nil }

    /// Starts a write whose events are attributed to record `r`.
    func beginEvents(record r: Int) {
        // Only when there is something to remove: on an empty array the call still rebuilt the
        // buffer and released the old one on every add (callgrind, online batch add).
        if !rawEvents.isEmpty { rawEvents.removeAll(keepingCapacity: true) }
        slotsBeforeWrite = entityID.count
        eventRecord = r
    }

    /// Reduces the write's raw events to its net effect and delivers them.
    func endEvents() {
        guard wantsEvents, !rawEvents.isEmpty else { return }
        let record = records.string(at: eventRecord)
        func final(_ slot: UInt32) -> UInt32 {
            var s = slot
            while slotForward[Int(s)] != Engine.none { s = slotForward[Int(s)] }
            return s
        }
        func isNew(_ slot: UInt32) -> Bool { Int(slot) >= slotsBeforeWrite }
        func identifier(_ v: UInt32?) -> EventIdentifier? {
            v.map { EventIdentifier(kind: IdentifierKind(rawValue: values.tag(Int($0))), value: valueText(Int($0))) }
        }
        var out: [EntityEvent] = []
        for event in rawEvents {
            switch event {
            case .created(let slot):
                if entityAlive[Int(slot)] { out.append(.created(entity: entityID[Int(slot)], record: record)) }
            case .merged(let from, let into, let via):
                // An entity born and absorbed within one write never existed for the outside.
                guard !isNew(from) else { continue }
                out.append(.merged(from: entityID[Int(from)], into: entityID[Int(final(into))], record: record, via: identifier(via)))
            case .split(let from, let parts, let cut):
                var seen: [UInt32] = []
                for p in parts {
                    let f = final(p)
                    if entityAlive[Int(f)], !seen.contains(f) { seen.append(f) }
                }
                guard seen.count > 1 else { continue }
                out.append(.split(from: entityID[Int(from)], parts: seen.map { entityID[Int($0)] }, record: record, cut: identifier(cut)))
            case .removed(let slot):
                let gone = !entityAlive[Int(slot)] && slotForward[Int(slot)] == Engine.none
                out.append(.removed(record: record, entity: entityID[Int(slot)], entityGone: gone))
            }
        }
        rawEvents.removeAll(keepingCapacity: true)
        for e in out {
            eventHandler?(e)
            if collectEvents { eventQueue.append(e) }
        }
    }

    @inline(__always)
    func note(_ event: RawEvent) {
        if wantsEvents { rawEvents.append(event) }
    }
}
