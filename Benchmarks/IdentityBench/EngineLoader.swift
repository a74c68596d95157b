import IdentityFiles
import IdentityResolution

/// Applies a CSV or JSON Lines file to an online ``Engine``, row by row (each row upserts its
/// record; rows repeating a `record_id` within the file are united, with what this file already
/// gave the record, not with what a saved state held). Used by `resolve --state` and `explain`.
struct EngineLoader {
    var input: String
    var format: ResolveCommand.Format
    var idColumns: [String]
    var onError: ResolveCommand.OnError

    /// The column names of a JSON Lines input: `record_id`, `source`, the built-in kinds and the
    /// `--id-column` names (the bulk path uses the same list).
    static func jsonLinesColumns(_ idColumns: [String]) -> [String] {
        let names = ["record_id", "source"] + IdentifierKind.builtIn.map { $0.builtInName! }
            + IdentifierKind.attributes.map { $0.attributeName! }
            + idColumns.compactMap { $0.split(separator: ":", maxSplits: 1).first.map(String.init) }
        var unique: [String] = []
        for n in names where !unique.contains(n.lowercased()) { unique.append(n.lowercased()) }
        return unique
    }

    /// Applies every row; returns the record key of each row applied, in order, and the number
    /// of bad rows skipped (with `--on-error skip`).
    func apply(to engine: Engine, configuration: ResolverConfiguration) throws(IDRError) -> (keys: [String], skipped: Int) {
        func noteAttributes(_ layout: ColumnLayout) {
            let names = layout.identifiers.filter { $0.kind.isAttribute }.map { $0.kind.attributeName! }
            if !names.isEmpty {
                printError("note: attribute columns ignored (\(names.joined(separator: ", "))): the online engine (--state) does not match attributes yet")
            }
        }
        let resolver = try Resolver(configuration: configuration)  // kind registry for --id-column
        let file = try InputFile(path: input)
        var skipped = SkippedRows(input: input, policy: onError)
        var keys: [String] = []
        var seen: Set<String> = []
        func registerCustomKinds() throws(IDRError) {
            for kind in resolver.registeredKinds where !kind.isBuiltIn {
                _ = try engine.registerKind(named: resolver.name(of: kind)!, rule: resolver.rule(of: kind)!)
            }
        }
        func addRow(_ row: CSVRow, line: Int, _ layout: ColumnLayout) throws(IDRError) {
            do throws(IDRError) {
                guard row.count == layout.width else {
                    throw IDRError(.corruptData, "expected \(layout.width) fields, found \(row.count)")
                }
                let key = String(decoding: row[layout.recordID], as: UTF8.self)
                var ids: [Identifier] = []
                // The online engine does not match attributes; `apply` reported them as ignored.
                for (column, kind) in layout.identifiers where row[column].count > 0 && !kind.isAttribute {
                    ids.append(Identifier(engine.kind(named: resolver.name(of: kind)!)!, String(decoding: row[column], as: UTF8.self)))
                }
                if !seen.insert(key).inserted { ids = (engine.identifiers(ofKey: key) ?? []) + ids }
                try engine.add(key: key, identifiers: ids)
                keys.append(key)
            } catch {
                try skipped.record(line: line, error)
            }
        }
        switch format {
        case .csv:
            var csv = CSVReader(input: file)
            guard try csv.next() else { throw IDRError(.corruptData, "\(input) is empty: a header row is required") }
            let layout = try ColumnLayout(header: (0..<csv.fieldCount).map { csv.field($0) }, mappings: idColumns, resolver: resolver)
            noteAttributes(layout)
            try registerCustomKinds()
            while true {
                do throws(IDRError) {
                    guard try csv.next() else { break }
                } catch {
                    try skipped.record(line: csv.rowLine, error)
                    try csv.skipToNextLine()
                    continue
                }
                try addRow(csv.currentRow, line: csv.rowLine, layout)
            }
        case .jsonl:
            let columns = EngineLoader.jsonLinesColumns(idColumns)
            let layout = try ColumnLayout(header: columns, mappings: idColumns, resolver: resolver)
            try registerCustomKinds()
            var jsonl = JSONLinesReader(input: file, columns: columns)
            while true {
                do throws(IDRError) {
                    guard try jsonl.next() else { break }
                } catch {
                    if error.code == .io { throw error }
                    try skipped.record(line: jsonl.rowLine, error)
                    continue
                }
                try addRow(jsonl.currentRow, line: jsonl.rowLine, layout)
            }
        }
        return (keys, skipped.count)
    }
}
