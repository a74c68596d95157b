import ArgumentParser
import IdentityFiles
import IdentityResolution

/// `idr-bench explain INPUT.csv --why A B` or `--how KEY`: evidence behind the resolution.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain why two records are (or are not) one customer, or how an entity holds together.",
        discussion: "Loads the CSV into the online engine (same columns, options and --id-column as resolve; rows repeating a record_id are united) and prints the answer. A file with attribute columns (first_name, last_name, dob, zip, address, city) is resolved in bulk instead, so the answer shows fuzzy links with their probability and comparison levels."
    )

    @Argument(help: "Input CSV file.")
    var input: String

    @Option(help: "JSON configuration file.")
    var config: String?

    @Option(name: .customLong("id-column"), help: ArgumentHelp("Map a column to a kind: NAME:KIND.", valueName: "NAME:KIND"))
    var idColumns: [String] = []

    @Option(name: .customLong("why"), parsing: .upToNextOption, help: ArgumentHelp("Two record IDs.", valueName: "RECORD"))
    var why: [String] = []

    @Option(help: "A record ID: show its entity's records and links.")
    var how: String?

    func validate() throws {
        guard (why.count == 2) != (how != nil) else {
            throw ValidationError("give either --why RECORD RECORD or --how RECORD")
        }
    }

    func run() throws {
        try reportingErrors("explain") { try explain() }
    }

    private func explain() throws(IDRError) {
        var configuration = try config.map { (p) throws(IDRError) in try ConfigFile.load(path: p) } ?? ResolverConfiguration()
        let resolver = try Resolver(configuration: configuration)
        _ = try BulkLoader(input: input, format: .csv, idColumns: idColumns, onError: .fail, progress: false).load(into: resolver)
        if resolver.attributes.isActive { return try explainBulk(resolver) }
        configuration.entityLimits = [:]  // not available online; explanations follow the online engine
        let engine = try Engine(configuration: configuration)
        _ = try EngineLoader(input: input, format: .csv, idColumns: idColumns, onError: .fail).apply(to: engine, configuration: configuration)
        if why.count == 2 {
            print(render(try engine.why(why[0], why[1]), engine))
        } else if let how {
            guard let entity = engine.entityID(ofKey: how) else { throw IDRError(.notFound, "no record \"\(how)\"") }
            let anatomy = try engine.how(entity)
            print("entity \(anatomy.entity): \(anatomy.records.count) records")
            for r in anatomy.records { print("  \(r)") }
            print("links:")
            for link in anatomy.links {
                print("  \(engine.kindName(link.identifier.kind)) \(link.identifier.value): \(link.records.joined(separator: ", "))")
            }
        }
    }

    /// Files with attributes: the bulk resolution, whose fuzzy links the online engine lacks.
    private func explainBulk(_ resolver: Resolver) throws(IDRError) {
        let resolution = resolver.resolve()
        func name(_ k: IdentifierKind) -> String { resolver.name(of: k) ?? k.description }
        func evidence(_ e: BulkEvidence) -> String {
            switch e {
            case .identifier(let id): "--[\(name(id.kind)) \(id.value)]--> "
            case .attributes(let p, let w, let levels): "~~[attributes p=\(fixed(p, 6)) w=\(fixed(w, 1)): \(levels)]~~> "
            }
        }
        if why.count == 2 {
            switch try resolver.why(why[0], why[1], in: resolution) {
            case .joined(let path):
                print("joined: " + path.map { s in (s.via.map(evidence) ?? "") + s.record }.joined(separator: " "))
            case .notJoined(let comparison?):
                let reason = comparison.refusedBy.map { ", refused by \($0)" }
                    ?? (comparison.linkable ? ", linkable but not compared (no shared blocking key)" : ", below the threshold \(resolver.configuration.fuzzy.threshold)")
                print("not joined: attributes p=\(fixed(comparison.probability, 6)) w=\(fixed(comparison.weight, 1)) (\(comparison.levels))\(reason)")
            case .notJoined(nil):
                print("not joined: no shared evidence")
            }
        } else if let how {
            let anatomy = try resolver.how(how, in: resolution)
            print("entity \(anatomy.entity): \(anatomy.records.count) records")
            for r in anatomy.records { print("  \(r)") }
            print("links:")
            for (id, records) in anatomy.identifiers { print("  \(name(id.kind)) \(id.value): \(records.joined(separator: ", "))") }
            for (a, b, p) in anatomy.fuzzyLinks { print("  attributes p=\(fixed(p, 6)): \(a), \(b)") }
        }
    }

    private func render(_ answer: WhyAnswer, _ engine: Engine) -> String {
        func chain(_ path: [EvidenceStep]) -> String {
            path.map { s in (s.via.map { "--[\(engine.kindName($0.kind)) \($0.value)]--> " } ?? "") + s.record }.joined(separator: " ")
        }
        switch answer {
        case .joined(let path):
            return "joined: \(chain(path))"
        case .refused(let by, let identifier, let path):
            return "not joined: \(engine.kindName(identifier.kind)) \(identifier.value) is \(by == .placeholder ? "a placeholder" : "generic") and links nothing\n  \(chain(path))"
        case .overLimit(let kind, let limit, let identifier, let path):
            return "not joined: linking through \(engine.kindName(identifier.kind)) \(identifier.value) would give one entity more than \(limit) \(engine.kindName(kind)) value\(limit == 1 ? "" : "s") (entity limit)\n  \(chain(path))"
        case .noSharedEvidence:
            return "not joined: no shared evidence"
        }
    }
}
