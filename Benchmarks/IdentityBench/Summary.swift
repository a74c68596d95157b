import IdentityResolution

/// The end-of-run summary of `resolve`: text for people, JSON for `--stats`.
struct Summary {
    var input: String
    var rows: Int
    var skippedRows = 0
    var resolution: Resolution
    var ignoredColumns: [String]
    var resolverKinds: [(IdentifierKind, String)]
    /// total, parse + normalize + hash, link, write
    var seconds: (total: Double, ingest: Double, link: Double, write: Double)
    var peakRSS: Int

    var recordsPerSecond: Double { seconds.total > 0 ? Double(rows) / seconds.total : 0 }

    var text: String {
        let s = resolution.statistics
        var lines: [String] = []
        lines.append("idr-bench resolve \(input): \(grouped(rows)) rows\(skippedRows > 0 ? " (\(grouped(skippedRows)) bad rows skipped)" : ""), \(grouped(s.records)) records"
            + " (\(grouped(s.repeatedKeyAdds)) rows repeated a record_id), \(grouped(s.entities)) entities, largest \(grouped(s.largestEntity))")
        var invalid: [String] = []
        for k in s.kinds {
            for (reason, count) in k.invalid { invalid.append("\(k.name).\(reason) \(grouped(count))") }
        }
        lines.append("  identifiers \(grouped(s.identifiers)) valid; invalid \(grouped(s.invalid))"
            + (invalid.isEmpty ? "" : " (\(invalid.joined(separator: ", ")))"))
        lines.append("  placeholders \(grouped(s.placeholderHits)); generic values \(grouped(s.genericValues)); refused links \(grouped(s.refusedLinks))")
        if let f = resolution.fuzzy { lines.append(contentsOf: fuzzyText(f)) }
        if !ignoredColumns.isEmpty { lines.append("  ignored columns: \(ignoredColumns.joined(separator: ", "))") }
        lines.append("  \(fixed(seconds.total, 3)) s (ingest \(fixed(seconds.ingest, 3)) s, link \(fixed(seconds.link, 3)) s, write \(fixed(seconds.write, 3)) s),"
            + " \(grouped(Int(recordsPerSecond))) records/s, peak RSS \(grouped(peakRSS >> 20)) MiB")
        return lines.joined(separator: "\n")
    }

    /// Generic values and refused links are listed up to this many each (their counts are exact).
    static let listLimit = 1000

    var json: String {
        let s = resolution.statistics
        var o: [String] = []
        o.append("\"input\": \(jsonString(input))")
        o.append("\"rows\": \(rows)")
        o.append("\"skipped_rows\": \(skippedRows)")
        o.append("\"records\": \(s.records)")
        o.append("\"repeated_record_id_rows\": \(s.repeatedKeyAdds)")
        o.append("\"entities\": \(s.entities)")
        o.append("\"largest_entity\": \(s.largestEntity)")
        o.append("\"identifiers\": \(s.identifiers)")
        o.append("\"invalid\": \(s.invalid)")
        o.append("\"placeholders\": \(s.placeholderHits)")
        o.append("\"generic_values\": \(s.genericValues)")
        o.append("\"refused_links\": \(s.refusedLinks)")
        let kinds = s.kinds.map { k in
            let invalid = k.invalid.map { "\(jsonString($0.reason.description)): \($0.count)" }.joined(separator: ", ")
            return "{\"kind\": \(jsonString(k.name)), \"id\": \(k.kind.rawValue), \"identifiers\": \(k.identifiers), "
                + "\"distinct_values\": \(k.distinctValues), \"invalid\": {\(invalid)}, "
                + "\"placeholders\": \(k.placeholderHits), \"generic_values\": \(k.genericValues)}"
        }
        o.append("\"kinds\": [\n    \(kinds.joined(separator: ",\n    "))]")
        let histogram = s.sizeHistogram.map { "{\"min\": \($0.lower), \"max\": \($0.upper), \"entities\": \($0.count)}" }
        o.append("\"entity_size_histogram\": [\(histogram.joined(separator: ", "))]")
        let names = Dictionary(uniqueKeysWithValues: resolverKinds.map { ($0.0, $0.1) })
        let generic = resolution.genericValues.prefix(Summary.listLimit).map { g in
            "{\"kind\": \(jsonString(names[g.kind] ?? g.kind.description)), \"value\": \(jsonString(g.value)), "
                + "\"records\": \(g.records), \"customers\": \(g.customers), \"threshold\": \(g.threshold)}"
        }
        o.append("\"generic_value_list\": [\(generic.isEmpty ? "" : "\n    " + generic.joined(separator: ",\n    "))]")
        let refused = resolution.refusedLinks.prefix(Summary.listLimit).map { r in
            "{\"record\": \(jsonString(r.recordKey)), \"other_record\": \(jsonString(r.otherRecordKey)), "
                + "\"via_kind\": \(jsonString(names[r.viaKind] ?? r.viaKind.description)), \"via_value\": \(jsonString(r.viaValue)), "
                + "\"limited_kind\": \(jsonString(names[r.limitedKind] ?? r.limitedKind.description)), \"limit\": \(r.limit)}"
        }
        o.append("\"refused_link_list\": [\(refused.isEmpty ? "" : "\n    " + refused.joined(separator: ",\n    "))]")
        if let f = resolution.fuzzy { o.append("\"fuzzy\": \(fuzzyJSON(f))") }
        o.append("\"ignored_columns\": [\(ignoredColumns.map(jsonString).joined(separator: ", "))]")
        o.append("\"seconds\": {\"total\": \(fixed(seconds.total, 4)), \"ingest\": \(fixed(seconds.ingest, 4)), "
            + "\"link\": \(fixed(seconds.link, 4)), \"write\": \(fixed(seconds.write, 4))}")
        o.append("\"records_per_second\": \(Int(recordsPerSecond))")
        o.append("\"peak_rss_bytes\": \(peakRSS)")
        return "{\n  " + o.joined(separator: ",\n  ") + "\n}\n"
    }

    private func fuzzyText(_ f: FuzzyStatistics) -> [String] {
        var lines: [String] = []
        let attrs = f.attributes.map { a in
            "\(a.name) \(grouped(a.identifiers))" + (a.invalidTotal > 0 ? " (\(grouped(a.invalidTotal)) invalid)" : "")
                + (a.placeholderHits > 0 ? " (\(grouped(a.placeholderHits)) placeholders)" : "")
        }
        lines.append("  fuzzy: \(grouped(f.recordsWithAttributes)) records with attributes: \(attrs.joined(separator: ", "))")
        lines.append("    compared \(grouped(f.comparedPairs)) candidate pairs (\(grouped(f.randomPairs)) random pairs for u), "
            + "\(grouped(f.links)) links, \(grouped(f.merges)) merges, match rate \(fixed(f.matchRate, 4)), "
            + "EM \(f.iterations) iterations\(f.converged ? "" : " (not converged)")")
        lines.append("    blocking: " + f.blockingKeys.map { k in
            "\(k.key) \(grouped(k.blocks)) blocks/\(grouped(k.pairs)) pairs" + (k.oversizedBlocks > 0 ? "/\(k.oversizedBlocks) oversized" : "")
        }.joined(separator: "; "))
        if let big = f.oversizedBlocks.first {
            lines.append("    \(grouped(f.oversizedBlockCount)) oversized blocks skipped (cap \(f.effectiveMaxBlockSize)), largest \(big.key) (\(grouped(big.size)) records)")
        }
        lines.append("    \(fixed(f.blockingSeconds, 3)) s blocking, \(fixed(f.comparingSeconds, 3)) s comparing, \(fixed(f.scoringSeconds, 3)) s scoring")
        return lines
    }

    private func fuzzyJSON(_ f: FuzzyStatistics) -> String {
        var o: [String] = []
        o.append("\"records_with_attributes\": \(f.recordsWithAttributes)")
        let attrs = f.attributes.map { a in
            let invalid = a.invalid.map { "\(jsonString($0.reason.description)): \($0.count)" }.joined(separator: ", ")
            return "{\"attribute\": \(jsonString(a.name)), \"values\": \(a.identifiers), \"invalid\": {\(invalid)}, \"placeholders\": \(a.placeholderHits)}"
        }
        o.append("\"attributes\": [\(attrs.joined(separator: ", "))]")
        let keys = f.blockingKeys.map { k in
            "{\"key\": \(jsonString(k.key)), \"records\": \(k.records), \"blocks\": \(k.blocks), \"oversized_blocks\": \(k.oversizedBlocks), \"pairs\": \(k.pairs)}"
        }
        o.append("\"blocking_keys\": [\(keys.joined(separator: ", "))]")
        o.append("\"oversized_blocks\": \(f.oversizedBlockCount)")
        o.append("\"effective_max_block_size\": \(f.effectiveMaxBlockSize)")
        o.append("\"largest_oversized_blocks\": [\(f.oversizedBlocks.map { "{\"key\": \(jsonString($0.key)), \"size\": \($0.size)}" }.joined(separator: ", "))]")
        o.append("\"compared_pairs\": \(f.comparedPairs)")
        o.append("\"random_pairs\": \(f.randomPairs)")
        o.append("\"links\": \(f.links)")
        o.append("\"merges\": \(f.merges)")
        o.append("\"refused_links\": \(f.refusedLinks)")
        o.append("\"match_rate\": \(f.matchRate)")
        o.append("\"em_iterations\": \(f.iterations)")
        o.append("\"em_converged\": \(f.converged)")
        let params = f.parameters.map { p in
            "{\"comparison\": \(jsonString(p.comparison)), \"m\": [\(p.m.map { "\($0)" }.joined(separator: ", "))], \"u\": [\(p.u.map { "\($0)" }.joined(separator: ", "))]}"
        }
        o.append("\"parameters\": [\(params.joined(separator: ", "))]")
        o.append("\"seconds\": {\"blocking\": \(fixed(f.blockingSeconds, 4)), \"comparing\": \(fixed(f.comparingSeconds, 4)), \"scoring\": \(fixed(f.scoringSeconds, 4))}")
        return "{" + o.joined(separator: ", ") + "}"
    }
}
