import CIDR
import IdentityResolution

/// Bytes that stay put for a result object's lifetime.
private final class Arena {
    private var blocks: [UnsafeMutableRawPointer] = []

    /// A NUL-terminated copy of `s`.
    func string(_ s: String) -> (UnsafePointer<CChar>, Int) {
        let n = s.utf8.count
        let p = UnsafeMutableRawPointer.allocate(byteCount: n + 1, alignment: 1)
        blocks.append(p)
        var s = s
        s.withUTF8 { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: n) }
        p.storeBytes(of: 0, toByteOffset: n, as: UInt8.self)
        return (UnsafePointer(p.assumingMemoryBound(to: CChar.self)), n)
    }

    func ids(_ a: [UInt64]) -> UnsafePointer<UInt64> {
        let p = UnsafeMutablePointer<UInt64>.allocate(capacity: max(a.count, 1))
        blocks.append(UnsafeMutableRawPointer(p))
        p.initialize(from: a, count: a.count)
        return UnsafePointer(p)
    }

    deinit { blocks.forEach { $0.deallocate() } }
}

/// What an `idr_events *` points to.
final class EventList {
    let events: [idr_event]
    private let arena: Arena

    init(_ list: [EntityEvent]) {
        let arena = Arena()
        var out: [idr_event] = []
        for e in list {
            var c = idr_event()
            func setRecord(_ r: String) { (c.record_key, c.record_key_len) = arena.string(r) }
            func setIdentifier(_ i: EventIdentifier?) {
                guard let i else { return }
                c.identifier_kind = i.kind.rawValue
                let (p, n) = arena.string(i.value)
                c.identifier = p
                c.identifier_len = n
            }
            switch e {
            case .created(let entity, let record):
                c.type = UInt32(IDR_EVENT_CREATED.rawValue); c.entity = entity; setRecord(record)
            case .merged(let from, let into, let record, let via):
                c.type = UInt32(IDR_EVENT_MERGED.rawValue); c.entity = into; c.other = from; setRecord(record); setIdentifier(via)
            case .split(let from, let parts, let record, let cut):
                c.type = UInt32(IDR_EVENT_SPLIT.rawValue); c.entity = from; setRecord(record); setIdentifier(cut)
                c.parts = arena.ids(parts); c.part_count = parts.count
            case .removed(let record, let entity, let gone):
                c.type = UInt32(IDR_EVENT_REMOVED.rawValue); c.entity = entity; c.other = gone ? 1 : 0; setRecord(record)
            }
            out.append(c)
        }
        self.arena = arena
        events = out
    }

    static func from(_ p: OpaquePointer?) -> EventList? {
        p.map { Unmanaged<EventList>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }
}

@c @implementation
public func idr_engine_drain_events(_ engine: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out else { return fail(engine, .invalidArgument, "engine or out is NULL") }
    let events = handle.write { $0.drainEvents() }
    out.pointee = OpaquePointer(Unmanaged.passRetained(EventList(events)).toOpaque())
    return succeed()
}

@c @implementation
public func idr_events_count(_ events: OpaquePointer?) -> Int { EventList.from(events)?.events.count ?? 0 }

@c @implementation
public func idr_events_get(_ events: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<idr_event>?) -> idr_status {
    guard let list = EventList.from(events), let out, index >= 0, index < list.events.count else {
        return fail(nil, .invalidArgument, "events or out is NULL, or index is out of range")
    }
    out.pointee = list.events[index]
    return succeed()
}

@c @implementation
public func idr_events_free(_ events: OpaquePointer?) {
    guard let events else { return }
    Unmanaged<EventList>.fromOpaque(UnsafeRawPointer(events)).release()
}

/// What an `idr_text *` points to.
final class TextResult {
    let data: UnsafePointer<CChar>
    let count: Int
    private let arena: Arena

    init(_ s: String) {
        let arena = Arena()
        (data, count) = arena.string(s)
        self.arena = arena
    }

    static func from(_ p: OpaquePointer?) -> TextResult? {
        p.map { Unmanaged<TextResult>.fromOpaque(UnsafeRawPointer($0)).takeUnretainedValue() }
    }
}

private func json(_ s: String) -> String { jsonQuoted(s) }

private func json(_ i: EventIdentifier, _ e: Engine) -> String {
    "{\"kind\": \(json(e.kindName(i.kind))), \"value\": \(json(i.value))}"
}

private func json(_ path: [EvidenceStep], _ e: Engine) -> String {
    "[" + path.map { s in
        "{\"record\": \(json(s.record))" + (s.via.map { ", \"via\": \(json($0, e))" } ?? "") + "}"
    }.joined(separator: ", ") + "]"
}

private func textResult(_ s: String, _ out: UnsafeMutablePointer<OpaquePointer?>) -> idr_status {
    out.pointee = OpaquePointer(Unmanaged.passRetained(TextResult(s)).toOpaque())
    return succeed()
}

@c @implementation
public func idr_engine_why(
    _ engine: OpaquePointer?, _ record_a: UnsafePointer<CChar>?, _ record_a_len: Int,
    _ record_b: UnsafePointer<CChar>?, _ record_b_len: Int, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out else { return fail(engine, .invalidArgument, "engine or out is NULL") }
    guard let a = bytes(record_a, record_a_len), let b = bytes(record_b, record_b_len) else {
        return fail(engine, .invalidArgument, "a record key is NULL or its length is too large")
    }
    let ka = String(decoding: a, as: UTF8.self), kb = String(decoding: b, as: UTF8.self)
    let result = handle.read { e in
        Result { () throws(IDRError) -> String in
            switch try e.why(ka, kb) {
            case .joined(let path):
                return "{\"joined\": true, \"path\": \(json(path, e))}"
            case .refused(let by, let identifier, let path):
                return "{\"joined\": false, \"refused_by\": \(json(by.rawValue)), \"identifier\": \(json(identifier, e)), \"path\": \(json(path, e))}"
            case .overLimit(let kind, let limit, let identifier, let path):
                return "{\"joined\": false, \"refused_by\": \"entity_limit\", \"limited_kind\": \(json(e.kindName(kind))), \"limit\": \(limit), \"identifier\": \(json(identifier, e)), \"path\": \(json(path, e))}"
            case .noSharedEvidence:
                return "{\"joined\": false, \"reason\": \"no shared evidence\"}"
            }
        }
    }
    switch result {
    case .success(let text): return textResult(text, out)
    case .failure(let error): return fail(engine, error)
    }
}

@c @implementation
public func idr_engine_how(_ engine: OpaquePointer?, _ entity: UInt64, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> idr_status {
    guard let handle = EngineHandle.from(engine), let out else { return fail(engine, .invalidArgument, "engine or out is NULL") }
    let result = handle.read { e in
        Result { () throws(IDRError) -> String in
            let a = try e.how(entity)
            let links = a.links.map { l in
                "{\"kind\": \(json(e.kindName(l.identifier.kind))), \"value\": \(json(l.identifier.value)), \"records\": [\(l.records.map(json).joined(separator: ", "))]}"
            }
            return "{\"entity\": \(a.entity), \"records\": [\(a.records.map(json).joined(separator: ", "))], \"links\": [\(links.joined(separator: ", "))]}"
        }
    }
    switch result {
    case .success(let text): return textResult(text, out)
    case .failure(let error): return fail(engine, error)
    }
}

private let emptyText: StaticString = ""

@c @implementation
public func idr_text_data(_ text: OpaquePointer?, _ out_len: UnsafeMutablePointer<Int>?) -> UnsafePointer<CChar>? {
    guard let t = TextResult.from(text) else {
        out_len?.pointee = 0
        return UnsafeRawPointer(emptyText.utf8Start).assumingMemoryBound(to: CChar.self)
    }
    out_len?.pointee = t.count
    return t.data
}

@c @implementation
public func idr_text_free(_ text: OpaquePointer?) {
    guard let text else { return }
    Unmanaged<TextResult>.fromOpaque(UnsafeRawPointer(text)).release()
}
