#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import IdentityFiles
import IdentityResolution

/// `idr-bench resolve INPUT.csv --out OUT.csv`: one entity ID per input row.
struct ResolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Resolve a CSV of customer records into entities.",
        discussion: """
            The input has a header. Recognized columns: record_id (required), source, email, phone, \
            loyalty_id, device_id, pos_card, and the attributes first_name, last_name, dob, zip, \
            address, city (fuzzy matching; see --config "fuzzy"). Other columns are ignored unless \
            mapped with --id-column. \
            Output: record_id,entity_id, one line per input row, in input order. Rows repeating a \
            record_id are one record whose identifiers are united.
            """
    )

    @Argument(help: "Input CSV file ('-' for standard input).")
    var input: String

    @Option(help: "Output CSV file ('-' for standard output).")
    var out: String

    @Option(help: "Input and output format: csv (RFC 4180, a header row) or jsonl (one JSON object per line, the same field names).")
    var format: Format = .csv

    enum Format: String, ExpressibleByArgument { case csv, jsonl }

    @Option(help: "JSON configuration file (guards, limits, custom kinds, provider rules).")
    var config: String?

    @Option(help: "Write the summary as JSON to this file.")
    var stats: String?

    @Option(name: .customLong("id-column"), help: ArgumentHelp(
        "Map a column to a kind: NAME:KIND, KIND a built-in kind or a custom kind name (created on the fly, rule 'exact' unless the config declares it).",
        valueName: "NAME:KIND"))
    var idColumns: [String] = []

    @Option(help: ArgumentHelp("Also write one row per entity: entity_id, size, and each kind's distinct normalized values joined by |.", valueName: "FILE"))
    var entities: String?

    @Option(help: ArgumentHelp("Also write the fuzzy links, one row per linked pair: record_a, record_b, probability, weight and the comparison levels (the evidence of each attribute link), sorted by record keys.", valueName: "FILE"))
    var links: String?

    @Option(name: .customLong("on-error"), help: "What a bad row does: fail (stop, write nothing) or skip (report it with its line, count it, go on).")
    var onError: OnError = .fail

    enum OnError: String, ExpressibleByArgument { case fail, skip }

    @Option(help: ArgumentHelp(
        "Keep entity IDs across runs: load the engine state from FILE (created if missing), apply the input to it incrementally (each row upserts its record), write the mapping with the state's stable IDs and save the state.",
        valueName: "FILE"))
    var state: String?

    @Option(name: .customLong("hash-only-secret-file"), help: ArgumentHelp(
        "With --state: keep the state in hash-only mode (no identifier value in memory or on disk, only keyed fingerprints), keyed with the bytes of FILE (16-4096 bytes; one trailing newline is ignored). A hash-only state needs the same file every run.",
        valueName: "FILE"))
    var hashOnlySecretFile: String?

    @Option(help: ArgumentHelp("Threads for ingest: 1 parses and adds on one thread; 2 (the default on a machine with 2 cores or more) parses, decompresses, normalizes and hashes on a second thread while the first adds in input order. The output is identical either way; more than 2 uses 2.", valueName: "N"))
    var threads: Int = ResolveCommand.defaultThreads

    /// Two threads when the machine has two cores.
    static var defaultThreads: Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 ? 2 : 1 }

    @Flag(help: "No summary on standard error.")
    var quiet = false

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1...64") }
    }

    func run() throws {
        try reportingErrors("resolve") { try resolve() }
    }

    private func resolve() throws(IDRError) {
        if let state { return try resolveIncrementally(statePath: state) }
        guard hashOnlySecretFile == nil else { throw IDRError(.invalidArgument, "--hash-only-secret-file needs --state") }
        MallocTuning.keepFreedMemory()
        let clock = ContinuousClock()
        let start = clock.now
        let configuration = try config.map { (p) throws(IDRError) in try ConfigFile.load(path: p) } ?? ResolverConfiguration()
        let resolver = try Resolver(configuration: configuration)
        let loaded = try BulkLoader(input: input, format: format, idColumns: idColumns, onError: onError, progress: !quiet,
                                    threads: threads).load(into: resolver)
        let (rowRecords, skipped, ignored) = (loaded.rows, loaded.skipped, loaded.ignored)
        let parsed = clock.now
        // Nothing after this looks records or values up by their bytes, except the optional
        // entity and link files, which would rebuild the index. Freed, its 256 MiB at 10M
        // records are reused by the link stage's tables (MallocTuning).
        resolver.releaseIndex()
        let resolution = resolver.resolve()
        let resolved = clock.now
        let output = try OutputFile(path: out)
        // A local: `format` is a property wrapper, too slow to read twice per row (measured
        // ~70 ms per 1M rows).
        let csvOutput = format == .csv
        if csvOutput {
            try output.write("record_id,entity_id\n")
            try MappingWriter.writeCSV(output, rows: rowRecords, keys: resolver.records, ids: resolution.entityIDs, threads: threads)
        } else {
            for record in rowRecords {
                try output.write("{\"record_id\": \(jsonString(resolver.recordKey(at: Int(record)))), \"entity_id\": ")
                try output.write(decimal: resolution.entityID(ofRecord: Int(record)))
                try output.write(byte: 0x7D)
                try output.write(byte: 0x0A)
            }
        }
        try output.commit()
        if let entities { try writeEntities(entities, resolver: resolver, resolution: resolution) }
        if let links { try writeFuzzyLinks(links, resolver: resolver, resolution: resolution) }
        let end = clock.now
        let summary = Summary(
            input: input, rows: rowRecords.count, skippedRows: skipped, resolution: resolution, ignoredColumns: ignored,
            resolverKinds: resolver.registeredKinds.map { ($0, resolver.name(of: $0)!) },
            seconds: (seconds(end - start), seconds(parsed - start), seconds(resolved - parsed), seconds(end - resolved)),
            peakRSS: peakRSSBytes())
        if !quiet { printError(summary.text) }
        if let stats {
            let f = try OutputFile(path: stats)
            try f.write(summary.json)
            try f.commit()
        }
    }
}

/// Which CSV column feeds what.
struct ColumnLayout {
    var width: Int
    var recordID: Int
    var source: Int?
    var identifiers: [(column: Int, kind: IdentifierKind)] = []
    var ignored: [String] = []

    /// Fills `scratch` (room for every mapped column) with the row's non-empty identifier and
    /// attribute fields, in column order; returns how many.
    @inline(__always)
    func identifiers(of row: CSVRow, into scratch: UnsafeMutablePointer<RawIdentifier>) -> Int {
        var n = 0
        for (column, kind) in identifiers {
            let value = row[column]
            if value.count > 0 {
                scratch[n] = RawIdentifier(kind: kind, value: value)
                n += 1
            }
        }
        return n
    }

    init(header raw: [String], mappings: [String], resolver: Resolver) throws(IDRError) {
        let header = raw.map { name in
            String(name.unicodeScalars.filter { !$0.properties.isWhitespace }).lowercased()
        }
        width = header.count
        var seen: Set<String> = []
        for name in header {
            guard !name.isEmpty else { throw IDRError(.corruptData, "header has an empty column name") }
            guard seen.insert(name).inserted else { throw IDRError(.corruptData, "header repeats column \"\(name)\"") }
        }
        guard let id = header.firstIndex(of: "record_id") else {
            // Show a short, printable excerpt: a binary file must not flood the terminal.
            let shown = String(header.joined(separator: ",").unicodeScalars.prefix(120)
                .map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" })
            throw IDRError(.corruptData, "header has no record_id column (header starts: \(shown))")
        }
        recordID = id
        source = header.firstIndex(of: "source")
        var mapped: [Int: IdentifierKind] = [:]
        for m in mappings {
            let parts = m.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw IDRError(.invalidArgument, "--id-column \(m): expected NAME:KIND")
            }
            guard let column = header.firstIndex(of: parts[0].lowercased()) else {
                throw IDRError(.invalidArgument, "--id-column \(m): no column \"\(parts[0])\" in the header")
            }
            if let kind = resolver.kind(named: parts[1]) {
                mapped[column] = kind
            } else {
                mapped[column] = try resolver.registerKind(named: parts[1], rule: .exact)
            }
        }
        for (column, name) in header.enumerated() where column != recordID && column != source {
            if let kind = mapped[column] ?? IdentifierKind(builtInName: name) ?? IdentifierKind(attributeName: name) {
                identifiers.append((column, kind))
            } else {
                ignored.append(raw[column])
            }
        }
    }
}

extension ResolveCommand {
    /// `--state`: the online engine, its stable IDs, and a saved state.
    private func resolveIncrementally(statePath: String) throws(IDRError) {
        guard entities == nil, stats == nil, links == nil else {
            throw IDRError(.invalidArgument, "--entities, --links and --stats are not available with --state yet")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let configuration = try config.map { (p) throws(IDRError) in try ConfigFile.load(path: p) } ?? ResolverConfiguration()
        var engineConfiguration = configuration
        if let hashOnlySecretFile {
            guard var secret = try FileIO.read(hashOnlySecretFile) else {
                throw IDRError(.io, "cannot open \(hashOnlySecretFile): no such file")
            }
            if secret.last == 0x0A { secret.removeLast() }
            engineConfiguration.hashOnlySecret = secret
        }
        let engine = try Engine.open(path: statePath, configuration: engineConfiguration)
        let before = engine.recordCount
        let loader = EngineLoader(input: input, format: format, idColumns: idColumns, onError: onError)
        let (rowKeys, skipped) = try loader.apply(to: engine, configuration: configuration)
        let applied = clock.now
        let output = try OutputFile(path: out)
        let csvOutput = format == .csv
        if csvOutput { try output.write("record_id,entity_id\n") }
        for key in rowKeys {
            if csvOutput {
                try output.writeCSVField(key)
                try output.write(byte: 0x2C)
            } else {
                try output.write("{\"record_id\": \(jsonString(key)), \"entity_id\": ")
            }
            try output.write(decimal: engine.entityID(ofKey: key) ?? 0)
            if !csvOutput { try output.write(byte: 0x7D) }
            try output.write(byte: 0x0A)
        }
        try output.commit()
        try engine.save()
        let end = clock.now
        if !quiet {
            printError("idr-bench resolve \(input) --state \(statePath): \(grouped(rowKeys.count)) rows applied"
                + (skipped > 0 ? " (\(grouped(skipped)) bad rows skipped)" : "") + "; state had "
                + "\(grouped(before)) records, now \(grouped(engine.recordCount)) in \(grouped(engine.entityCount)) entities")
            printError("  \(fixed(seconds(end - start), 3)) s (apply \(fixed(seconds(applied - start), 3)) s, write and save \(fixed(seconds(end - applied), 3)) s)")
        }
    }
}

/// Bad rows: fail at the first, or report and count each (the first 20 listed on stderr).
struct SkippedRows {
    let input: String
    let policy: ResolveCommand.OnError
    private(set) var count = 0

    init(input: String, policy: ResolveCommand.OnError) {
        self.input = input
        self.policy = policy
    }

    mutating func record(line: Int, _ error: IDRError) throws(IDRError) {
        // The CSV reader's own messages already name the line.
        let message = error.message.hasPrefix("line ") ? "\(input) \(error.message)" : "\(input) line \(line): \(error.message)"
        guard policy == .skip else { throw IDRError(error.code, message) }
        count += 1
        if count <= 20 { printError("idr-bench resolve: skipped \(message)") }
        if count == 21 { printError("idr-bench resolve: more rows skipped; the summary counts them all") }
    }
}

extension ResolveCommand {
    /// `--entities`: entity_id,size,<kind>… with values joined by `|`.
    func writeEntities(_ path: String, resolver: Resolver, resolution: Resolution) throws(IDRError) {
        let kinds = resolver.registeredKinds
        let file = try OutputFile(path: path)
        try file.write((["entity_id", "size"] + kinds.map { resolver.name(of: $0)! }).joined(separator: ",") + "\n")
        var field: [UInt8] = []
        try resolver.forEachEntity(of: resolution) { (entity, size, values) throws(IDRError) in
            try file.write(decimal: entity)
            try file.write(byte: 0x2C)
            try file.write(decimal: UInt64(size))
            var i = 0
            for kind in kinds {
                field.removeAll(keepingCapacity: true)
                while i < values.count, values[i].kind == kind {
                    if !field.isEmpty { field.append(0x7C) }
                    field.append(contentsOf: values[i].value)
                    i += 1
                }
                try file.write(byte: 0x2C)
                let r: Result<Void, IDRError> = field.withUnsafeBytes { b in Result { () throws(IDRError) in try file.writeCSVField(b) } }
                try r.get()
            }
            try file.write(byte: 0x0A)
        }
        try file.commit()
    }
}

extension ResolveCommand {
    /// `--links`: every fuzzy link with its evidence, sorted by the two record keys (the smaller
    /// first in each row), so the file does not depend on the input order.
    func writeFuzzyLinks(_ path: String, resolver: Resolver, resolution: Resolution) throws(IDRError) {
        let file = try OutputFile(path: path)
        try file.write("record_a,record_b,probability,weight,levels\n")
        var rows = resolution.fuzzyLinks.map { l in
            let a = resolver.recordKey(at: l.recordA), b = resolver.recordKey(at: l.recordB)
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? (a, b, l) : (b, a, l)
        }
        rows.sort { x, y in x.0 != y.0 ? x.0.utf8.lexicographicallyPrecedes(y.0.utf8) : x.1.utf8.lexicographicallyPrecedes(y.1.utf8) }
        for (a, b, l) in rows {
            try file.write("\(csvField(a)),\(csvField(b)),\(fixed(l.probability, 6)),\(fixed(l.weight, 3)),\(l.levelsDescription)\n")
        }
        try file.commit()
    }
}
