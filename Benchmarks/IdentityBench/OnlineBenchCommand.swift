#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import IdentityFiles
import IdentityResolution
import Synchronization

/// `idr-bench online`: the online engine's add throughput, lookup latency, save and load.
struct OnlineBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "online",
        abstract: "Benchmark the online engine: adds/s, lookup p50/p99, snapshot save/load speed and size.",
        discussion: "Loads a CSV written by generate into memory (not timed), adds every record to a fresh engine, times lookups one by one, saves and loads a snapshot and times the same lookups in the loaded engine. Lookups are timed on one thread with no concurrent writer; --readers adds a phase with reader threads beside a writer, then without it."
    )

    @Argument(help: "Input CSV.")
    var input: String

    @Option(help: "Lookups to time.")
    var lookups = 200_000

    @Option(help: "Snapshot path (default: a temporary file).")
    var snapshot: String?

    @Flag(help: "Hash-only mode (a fixed benchmark secret): values kept as fingerprints only.")
    var hashOnly = false

    @Option(help: "Reader threads for the concurrent phase: lookups timed while a writer adds the second half of the records through a SharedEngine, then --lookups each with the writer done (0 skips the phase).")
    var readers = 1

    @Flag(help: "Concurrent phase with a read mirror (SharedEngine.mirrorReads()): readers never wait for the writer; twice the memory, each write done twice.")
    var mirror = false

    @Option(help: "Records per write in the concurrent phase: 1, one SharedEngine.add per record (as idr_engine_add, and idr_engine_add_columns without a mirror, take one write per record); N > 1, one batch call of N records per write (idr_engine_add_columns with a mirror: 1024).")
    var writeBatch = 1

    @Option(help: "Records per batch call (Engine.add(count:...), the pipeline idr_engine_add_columns uses); 0: one add call per record.")
    var batch = 0

    @Option(help: "Threads of a batch call: 2 prepares records on a second thread (Engine.add(count:identifierCapacity:concurrentRecord:entity:), as idr_engine_add_columns does), 1 on the adding thread.")
    var batchThreads = 2

    @Option(help: "Only time loading this existing snapshot (the input CSV is not read): rounds, min and median.")
    var loadOnly: String?

    @Option(help: "Rounds for --load-only.")
    var rounds = 3

    @Option(help: "Configuration JSON (as resolve --config), e.g. with entity_limits.")
    var config: String?

    private static let benchSecret = Array("idr-bench online hash-only secret".utf8)

    func run() throws {
        try refuseDebugBuild("online")
        try reportingErrors("online") {
            if let loadOnly { try timeLoads(loadOnly) } else { try bench() }
        }
    }

    private func bench() throws(IDRError) {
        let data = try Columns(path: input)
        let n = data.count
        let clock = ContinuousClock()
        var configuration = try config.map { (p) throws(IDRError) in try ConfigFile.load(path: p) } ?? ResolverConfiguration()
        if hashOnly { configuration.hashOnlySecret = Self.benchSecret }
        let rssBefore = currentRSSBytes()
        let engine = try Engine(configuration: configuration)
        let identifiers = data.identifierCount
        var t0 = clock.now
        engine.reserveCapacity(records: n, identifiers: identifiers)
        let reserveSeconds = seconds(clock.now - t0)
        let sink = batch > 0 ? try data.addAllBatched(to: engine, batch: batch, threads: batchThreads) : try data.addAll(to: engine)
        let addSeconds = seconds(clock.now - t0)
        let engineBytes = currentRSSBytes() - rssBefore
        print("mode: \(hashOnly ? "hash-only" : "normal")\(configuration.entityLimits.isEmpty ? "" : ", per-entity limits")")
        print("add: \(grouped(n)) records in \(fixed(addSeconds, 3)) s, \(grouped(Int(Double(n) / addSeconds))) records/s (\(batch > 0 ? "batch calls of \(grouped(batch)) records, \(batchThreads) thread\(batchThreads == 1 ? "" : "s")" : "one add per record"))")
        print("  of which reserveCapacity (tables sized and their memory faulted in): \(fixed(reserveSeconds, 3)) s")
        print("engine memory (RSS growth during the adds): \(grouped(engineBytes >> 20)) MiB, \(fixed(Double(engineBytes) / Double(max(n, 1)), 1)) bytes/record")

        let email = data.kinds.firstIndex(of: .email)!
        print("lookup (single thread, \(grouped(lookups)) timed calls): \(timeLookups(engine, data, email))")

        // Snapshot save and load.
        let path = snapshot ?? "/tmp/idr-bench-online-\(getpid()).idr"
        defer { if snapshot == nil { unlink(path) } }
        t0 = clock.now
        try engine.save(to: path)
        let saveSeconds = seconds(clock.now - t0)
        var st = stat()
        stat(path, &st)
        let size = Double(st.st_size)
        t0 = clock.now
        let loaded = try Engine.load(from: path, secret: configuration.hashOnlySecret)
        let loadSeconds = seconds(clock.now - t0)
        print("snapshot: \(grouped(Int(size))) bytes, \(fixed(size / Double(max(n, 1)), 1)) bytes/record; save \(fixed(saveSeconds, 3)) s "
            + "(\(fixed(size / saveSeconds / 1e6, 1)) MB/s), load \(fixed(loadSeconds, 3)) s (\(fixed(size / loadSeconds / 1e6, 1)) MB/s)")
        guard loaded.entityCount == engine.entityCount else { throw IDRError(.corruptData, "loaded engine differs") }
        print("lookup in the loaded engine (same calls): \(timeLookups(loaded, data, email))")
        if sink == 42 { print("") }
        if readers > 0 { try concurrentPhase(data, configuration: configuration) }
        print("peak RSS \(grouped(peakRSSBytes() >> 20)) MiB")
    }

    /// Times `lookups` calls one at a time, over the emails of random records (the same ones
    /// for every engine), and gives p50, p99 and p99.9.
    private func timeLookups(_ engine: Engine, _ data: Columns, _ email: Int) -> String {
        let lookups = self.lookups
        let latencies = timedLookups(data, email, records: data.count, seed: 88172645463325252, capacity: lookups,
                                     while: { $0 < lookups }) { v in (try? engine.lookup(.email, v)).flatMap { $0 } ?? 0 }
        return percentiles(latencies)
    }

    /// Loads the snapshot at `path` `rounds` times and reports the min and median.
    private func timeLoads(_ path: String) throws(IDRError) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw IDRError(.io, "cannot stat \(path)") }
        let clock = ContinuousClock()
        var times: [Double] = []
        var records = 0
        for _ in 0..<max(rounds, 1) {
            let t0 = clock.now
            let engine = try Engine.load(from: path, secret: hashOnly ? Self.benchSecret : nil)
            times.append(seconds(clock.now - t0))
            print("round \(times.count): \(fixed(times.last!, 3)) s")
            records = engine.recordCount
        }
        times.sort()
        let size = Double(st.st_size)
        print("load of \(grouped(records)) records, \(grouped(Int(size))) bytes (\(fixed(size / Double(max(records, 1)), 1)) bytes/record): "
            + "min \(fixed(times[0], 3)) s (\(fixed(size / times[0] / 1e6, 1)) MB/s), median \(fixed(times[times.count / 2], 3)) s over \(times.count) rounds")
        print("peak RSS \(grouped(peakRSSBytes() >> 20)) MiB")
    }

    /// Lookups from `readers` threads while one writer adds, all through a `SharedEngine` (the
    /// C ABI's locking): reader latency includes waiting for the writer's lock. Then the same
    /// readers again, `lookups` each, with the writer done.
    private func concurrentPhase(_ data: Columns, configuration: ResolverConfiguration) throws(IDRError) {
        let n = data.count
        let half = n / 2
        let engine = try Engine(configuration: configuration)
        engine.reserveCapacity(records: n, identifiers: data.identifierCount)
        _ = try data.addAll(to: engine, range: 0..<half)
        let shared = SharedEngine(engine)
        if mirror {
            let t = ContinuousClock().now
            try shared.mirrorReads()
            print("mirror of \(grouped(half)) records built in \(fixed(seconds(ContinuousClock().now - t), 3)) s")
        }
        let stop = StopFlag()
        let email = data.kinds.firstIndex(of: .email)!
        let context = Unchecked(data)
        let threads = (0..<readers).map { t in
            spawnThread {
                timedLookups(context.value, email, records: half, seed: 0x9E37_79B9_7F4A_7C15 &+ UInt64(t) &* 7919,
                             capacity: 1 << 22, while: { _ in !stop.isSet }) { v in shared.read { (try? $0.lookup(.email, v)).flatMap { $0 } ?? 0 } }
            }
        }
        let clock = ContinuousClock()
        let t0 = clock.now
        _ = try data.addAll(to: engine, range: half..<n, shared: shared, batch: writeBatch)
        let writeSeconds = seconds(clock.now - t0)
        stop.set()
        var latencies = threads.flatMap { joinThread($0) }
        guard !latencies.isEmpty else { return }
        print("concurrent (\(readers) reader thread\(readers == 1 ? "" : "s"), 1 writer taking the lock per \(writeBatch) adds, SharedEngine\(mirror ? " with a read mirror" : "")): writer \(grouped(Int(Double(n - half) / writeSeconds))) adds/s; "
            + "\(grouped(latencies.count)) lookups, \(percentiles(latencies))")

        // The same readers once the writer is done: what their lock and each other cost.
        let perReader = lookups
        let quiet = (0..<readers).map { t in
            spawnThread {
                timedLookups(context.value, email, records: n, seed: 0x2545_F491_4F6C_DD1D &+ UInt64(t) &* 7919,
                             capacity: perReader, while: { $0 < perReader }) { v in shared.read { (try? $0.lookup(.email, v)).flatMap { $0 } ?? 0 } }
            }
        }
        latencies = quiet.flatMap { joinThread($0) }
        guard !latencies.isEmpty else { return }
        print("concurrent readers without a writer (\(readers) thread\(readers == 1 ? "" : "s"), \(grouped(perReader)) lookups each, SharedEngine\(mirror ? " with a read mirror" : "")): "
            + percentiles(latencies))
    }
}

/// Times `lookup` on the emails of random records among the first `records` (a xorshift
/// stream from `seed`), one call at a time while `going(callsSoFar)` holds: the latencies in
/// nanoseconds. Each value's bytes are read before its call, as a service has them in cache after
/// parsing the request: the timed call measures the engine, not a miss on the benchmark's input.
private func timedLookups(_ data: Columns, _ email: Int, records: Int, seed: UInt64, capacity: Int,
                          while going: (Int) -> Bool, _ lookup: (UnsafeRawBufferPointer) -> UInt64) -> [Double] {
    let clock = ContinuousClock()
    var x = seed
    var latencies: [Double] = []
    latencies.reserveCapacity(capacity)
    var sink: UInt64 = 0
    while going(latencies.count) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        let v = data.value(email, Int(x % UInt64(records)))
        if v.count == 0 { continue }
        for byte in v { sink &+= UInt64(byte) }
        let start = clock.now
        sink &+= lookup(v)
        latencies.append(seconds(clock.now - start) * 1e9)
    }
    if sink == 42 { print("") }
    return latencies
}

/// "p50 … ns, p99 … ns, p99.9 … ns" of `latencies` (any order, not empty).
private func percentiles(_ latencies: [Double]) -> String {
    let sorted = latencies.sorted()
    func p(_ q: Double) -> String { fixed(sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))], 0) }
    return "p50 \(p(0.50)) ns, p99 \(p(0.99)) ns, p99.9 \(p(0.999)) ns"
}

/// A value handed to another thread whose owner guarantees the access is safe (here: the
/// columns are only read after they are built).
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A flag the writer raises to stop the readers.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}

/// A pthread running `body`; ``joinThread(_:)`` returns its latencies.
private final class ThreadBox: @unchecked Sendable {
    let body: @Sendable () -> [Double]
    var result: [Double] = []
    init(_ body: @escaping @Sendable () -> [Double]) { self.body = body }
}

private func spawnThread(_ body: @escaping @Sendable () -> [Double]) -> (pthread_t, ThreadBox) {
    let box = ThreadBox(body)
    var thread = pthread_t()
    let context = Unmanaged.passRetained(box).toOpaque()
    let rc = pthread_create(&thread, nil, { raw in
        let box = Unmanaged<ThreadBox>.fromOpaque(raw!).takeRetainedValue()
        box.result = box.body()
        return nil
    }, context)
    precondition(rc == 0, "pthread_create failed")
    return (thread, box)
}

private func joinThread(_ t: (pthread_t, ThreadBox)) -> [Double] {
    pthread_join(t.0, nil)
    return t.1.result
}
