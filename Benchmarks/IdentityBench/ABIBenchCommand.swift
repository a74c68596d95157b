#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import IdentityFiles
import IdentityResolution

/// `idr-bench abi`: the online engine through the C ABI (the real libidr.so, loaded with
/// dlopen) against the Swift API, on the same records, in one run.
struct ABIBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abi",
        abstract: "Benchmark batch add and lookup through libidr.so against the Swift API.",
        discussion: "Loads the records of a CSV (as written by generate) into columns in memory, then times each path over several rounds on fresh engines."
    )

    @Argument(help: "Input CSV (record_id,source,email,phone,loyalty_id,device_id,pos_card).")
    var input: String

    @Option(help: "Path to libidr.so (make lib builds .build/release/libidr.so).")
    var library: String = ".build/release/libidr.so"

    @Option(help: "Rounds per path.")
    var rounds = 3

    @Option(help: "Lookups per round.")
    var lookups = 1_000_000

    func run() throws {
        try refuseDebugBuild("abi")
        try reportingErrors("abi") { try bench() }
    }

    // C signatures of the functions used (idr_status is a C int).
    typealias Create = @convention(c) (UnsafeRawPointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    typealias Free = @convention(c) (OpaquePointer?) -> Void
    typealias AddColumns = @convention(c) (
        OpaquePointer?, Int, UnsafePointer<CChar>?, Int, UnsafePointer<UInt64>?, Int, UnsafePointer<UInt32>?,
        UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?, UnsafePointer<UnsafePointer<UInt64>?>?,
        UnsafeMutablePointer<UInt64>?, UnsafeMutablePointer<Int>?) -> Int32
    typealias Lookup = @convention(c) (OpaquePointer?, UInt32, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<UInt64>?) -> Int32

    private func symbol<T>(_ handle: UnsafeMutableRawPointer, _ name: String, as: T.Type) throws(IDRError) -> T {
        guard let p = dlsym(handle, name) else { throw IDRError(.io, "\(library) has no symbol \(name)") }
        return unsafeBitCast(p, to: T.self)
    }

    private func bench() throws(IDRError) {
        guard let handle = dlopen(library, RTLD_NOW | RTLD_LOCAL) else {
            throw IDRError(.io, "cannot load \(library): \(String(cString: dlerror()))")
        }
        let create = try symbol(handle, "idr_engine_create", as: Create.self)
        let free = try symbol(handle, "idr_engine_free", as: Free.self)
        let addColumns = try symbol(handle, "idr_engine_add_columns", as: AddColumns.self)
        let lookup = try symbol(handle, "idr_engine_lookup", as: Lookup.self)

        let data = try Columns(path: input)
        let n = data.count
        printError("idr-bench abi: \(grouped(n)) records, \(data.kinds.count) identifier columns, \(rounds) rounds")
        // The same lookup probes for both paths: emails of records spread over the file.
        let emailColumn = data.kinds.firstIndex(of: .email)!
        var probes: [Int] = []
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        while probes.count < lookups {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let r = Int((x >> 33) % UInt64(n))
            if data.value(emailColumn, r).count > 0 { probes.append(r) }
        }
        // Probe values back to back, so the timed loops read them sequentially and measure the
        // engine, not the harness's own cache misses.
        var probeBytes: [UInt8] = []
        var probeEnds: [Int] = [0]
        for r in probes {
            probeBytes.append(contentsOf: data.value(emailColumn, r))
            probeEnds.append(probeBytes.count)
        }
        let clock = ContinuousClock()
        var swiftAdd: [Double] = [], cAdd: [Double] = [], swiftLookup: [Double] = [], cLookup: [Double] = []
        var sink: UInt64 = 0
        for _ in 0..<rounds {
            // Swift API: one add per record.
            let engine = try Engine()
            var t0 = clock.now
            sink &+= try data.addAll(to: engine)
            swiftAdd.append(seconds(clock.now - t0))
            t0 = clock.now
            probeBytes.withUnsafeBytes { all in
                for i in 0..<probes.count {
                    let v = UnsafeRawBufferPointer(rebasing: all[probeEnds[i]..<probeEnds[i + 1]])
                    sink &+= (try? engine.lookup(.email, v)).flatMap { $0 } ?? 0
                }
            }
            swiftLookup.append(seconds(clock.now - t0))

            // C ABI: batches of 65,536 records through idr_engine_add_columns.
            var e: OpaquePointer?
            guard create(nil, &e) == 0 else { throw IDRError(.io, "idr_engine_create failed") }
            t0 = clock.now
            let rawKinds = data.kinds.map(\.rawValue)
            let columnData: [UnsafePointer<CChar>?] = data.data.map { UnsafePointer($0.baseAddress) }
            let columnLengths = data.data.map(\.count)
            var status: Int32 = 0
            var start = 0
            while start < n, status == 0 {
                let count = min(65_536, n - start)
                let columnOffsets: [UnsafePointer<UInt64>?] = data.offsets.map { UnsafePointer($0.baseAddress! + start) }
                status = addColumns(e, count, data.keys.baseAddress, data.keys.count, data.keyOffsets.baseAddress! + start,
                                    rawKinds.count, rawKinds, columnData, columnLengths, columnOffsets, nil, nil)
                start += count
            }
            guard status == 0 else { throw IDRError(.io, "idr_engine_add_columns failed with \(status)") }
            cAdd.append(seconds(clock.now - t0))
            t0 = clock.now
            probeBytes.withUnsafeBytes { all in
                let base = all.baseAddress!.assumingMemoryBound(to: CChar.self)
                for i in 0..<probes.count {
                    var out: UInt64 = 0
                    _ = lookup(e, 1, base + probeEnds[i], probeEnds[i + 1] - probeEnds[i], &out)
                    sink &+= out
                }
            }
            cLookup.append(seconds(clock.now - t0))
            free(e)
        }
        func report(_ name: String, _ t: [Double], per: Int, unit: String) -> String {
            let s = t.sorted()
            let min = s[0], median = s[s.count / 2]
            return "\(name): min \(fixed(min, 3)) s, median \(fixed(median, 3)) s, \(grouped(Int(Double(per) / min))) \(unit)/s, \(fixed(min * 1e9 / Double(per), 1)) ns each"
        }
        print(report("add    Swift API       ", swiftAdd, per: n, unit: "records"))
        print(report("add    C ABI (columns) ", cAdd, per: n, unit: "records"))
        print("add    C ABI / Swift: \(fixed(cAdd.min()! / swiftAdd.min()!, 3)) (time ratio, min over rounds)")
        print(report("lookup Swift API       ", swiftLookup, per: probes.count, unit: "lookups"))
        print(report("lookup C ABI           ", cLookup, per: probes.count, unit: "lookups"))
        if sink == 42 { print("") }  // keep the results alive
    }
}

/// Records of a CSV as columns in memory: keys and one buffer + offsets per identifier column,
/// in memory this object owns (so C pointers into it stay valid while it lives). Immutable once
/// read, so batch calls may read it from a second thread.
final class Columns: @unchecked Sendable {
    let kinds: [IdentifierKind]
    let count: Int
    let keys: UnsafeMutableBufferPointer<CChar>
    let keyOffsets: UnsafeMutableBufferPointer<UInt64>
    let data: [UnsafeMutableBufferPointer<CChar>]
    let offsets: [UnsafeMutableBufferPointer<UInt64>]

    init(path: String) throws(IDRError) {
        var csv = CSVReader(input: try InputFile(path: path))
        guard try csv.next() else { throw IDRError(.corruptData, "\(path) is empty") }
        let header = (0..<csv.fieldCount).map { csv.field($0) }
        guard let keyColumn = header.firstIndex(of: "record_id") else { throw IDRError(.corruptData, "no record_id column") }
        let columns = header.indices.compactMap { c in IdentifierKind(builtInName: header[c]).map { (c, $0) } }
        guard columns.contains(where: { $0.1 == .email }) else { throw IDRError(.corruptData, "no email column") }
        var keyBytes: [CChar] = []
        var keyEnds: [UInt64] = [0]
        var bytes = [[CChar]](repeating: [], count: columns.count)
        var ends = [[UInt64]](repeating: [0], count: columns.count)
        while try csv.next() {
            let row = csv.currentRow
            guard row.count == header.count else { throw IDRError(.corruptData, "line \(csv.rowLine): wrong field count") }
            keyBytes.append(contentsOf: row[keyColumn].bindMemory(to: CChar.self))
            keyEnds.append(UInt64(keyBytes.count))
            for (i, (c, _)) in columns.enumerated() {
                bytes[i].append(contentsOf: row[c].bindMemory(to: CChar.self))
                ends[i].append(UInt64(bytes[i].count))
            }
        }
        func owned<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(a.count, 1))
            _ = b.initialize(from: a)
            return b
        }
        kinds = columns.map(\.1)
        count = keyEnds.count - 1
        keys = owned(keyBytes)
        keyOffsets = owned(keyEnds)
        data = bytes.map(owned)
        offsets = ends.map(owned)
    }

    deinit {
        keys.deallocate()
        keyOffsets.deallocate()
        data.forEach { $0.deallocate() }
        offsets.forEach { $0.deallocate() }
    }

    /// Adds every record (or those in `range`), one `Engine.add` per record, or through `shared`
    /// when given: one ``SharedEngine/add(recordKey:identifiers:)`` per record with `batch` 1,
    /// else one write per `batch` records, each a batch call; returns the sum of the entity IDs (a sink, so the work cannot be
    /// optimized away).
    func addAll(to engine: Engine, range: Range<Int>? = nil, shared: SharedEngine? = nil, batch: Int = 1) throws(IDRError) -> UInt64 {
        var sink: UInt64 = 0
        let all = range ?? 0..<count
        try withUnsafeTemporaryAllocation(of: RawIdentifier.self, capacity: max(kinds.count, 1)) { (ids) throws(IDRError) in
            var start = all.lowerBound
            while start < all.upperBound {
                let end = min(start + max(batch, 1), all.upperBound)
                if let shared, batch <= 1 {
                    // A service taking records one at a time, as idr_engine_add does: the add's
                    // reads run before the exclusive lock (SharedEngine.add).
                    let m = fill(start, ids)
                    sink &+= try shared.add(recordKey: m.key, identifiers: UnsafeBufferPointer(rebasing: ids[0..<m.identifierCount]))
                } else if let shared {
                    // One write per `batch` records, through the batch call (with a read mirror
                    // idr_engine_add_columns takes one write per 1024 of its pipeline's steps).
                    let first = start
                    sink &+= try shared.write { (e) throws(IDRError) -> UInt64 in
                        var s: UInt64 = 0
                        try e.add(count: end - first, identifierCapacity: kinds.count,
                                  record: { i, ids in fill(first + i, ids) }, entity: { _, id in s &+= id })
                        return s
                    }
                } else {
                    sink &+= try addRecords(start..<end, to: engine, ids)
                }
                start = end
            }
        }
        return sink
    }

    /// Adds every record through the engine's batch call, `batch` records per call: with
    /// `threads` 2 the concurrent form (``Engine/add(count:identifierCapacity:concurrentRecord:entity:)``),
    /// else ``Engine/add(count:identifierCapacity:record:entity:)``.
    func addAllBatched(to engine: Engine, batch: Int, threads: Int = 1) throws(IDRError) -> UInt64 {
        var sink: UInt64 = 0
        var start = 0
        while start < count {
            let end = min(start + max(batch, 1), count)
            let first = start
            let record: ConcurrentRecordSource = { i, ids in self.fill(first + i, ids) }
            if threads >= 2 {
                try engine.add(count: end - start, identifierCapacity: kinds.count, concurrentRecord: record, entity: { _, id in sink &+= id })
            } else {
                try engine.add(count: end - start, identifierCapacity: kinds.count, record: record, entity: { _, id in sink &+= id })
            }
            start = end
        }
        return sink
    }

    /// Writes record `r`'s non-empty identifiers into `ids`; its key and how many.
    private func fill(_ r: Int, _ ids: UnsafeMutableBufferPointer<RawIdentifier>) -> (key: UnsafeRawBufferPointer, identifierCount: Int) {
        var m = 0
        for c in kinds.indices {
            let v = value(c, r)
            if v.count > 0 { ids[m] = RawIdentifier(kind: kinds[c], value: v); m += 1 }
        }
        return (key(r), m)
    }

    private func addRecords(_ records: Range<Int>, to engine: Engine, _ ids: UnsafeMutableBufferPointer<RawIdentifier>) throws(IDRError) -> UInt64 {
        var sink: UInt64 = 0
        for r in records {
            var m = 0
            for c in kinds.indices {
                let v = value(c, r)
                if v.count > 0 { ids[m] = RawIdentifier(kind: kinds[c], value: v); m += 1 }
            }
            sink &+= try engine.add(recordKey: key(r), identifiers: UnsafeBufferPointer(rebasing: ids[0..<m]))
        }
        return sink
    }

    /// Number of non-empty identifier values (what an engine reserves for).
    var identifierCount: Int {
        offsets.reduce(0) { total, ends in total + (0..<count).reduce(0) { $0 + (ends[$1 + 1] > ends[$1] ? 1 : 0) } }
    }

    func key(_ r: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: keys.baseAddress! + Int(keyOffsets[r]), count: Int(keyOffsets[r + 1] - keyOffsets[r]))
    }

    func value(_ c: Int, _ r: Int) -> UnsafeRawBufferPointer {
        let o = offsets[c]
        return UnsafeRawBufferPointer(start: data[c].baseAddress! + Int(o[r]), count: Int(o[r + 1] - o[r]))
    }
}
