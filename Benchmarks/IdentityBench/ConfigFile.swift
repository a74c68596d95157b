import FoundationEssentials
import IdentityResolution

/// The `--config FILE` JSON document. Every key is optional; unknown keys are errors.
///
/// ```json
/// {
///   "default_country_code": 1,
///   "phone_trunk_prefix": "auto",
///   "email": { "drop_plus_tag": false, "gmail_dots": false },
///   "placeholders": { "builtin": true, "values": { "email": ["store@shop.com"] },
///                     "patterns": { "email": ["*@staff.shop.com"] } },
///   "generic": { "enabled": true, "thresholds": { "email": 10, "phone": 1 },
///                "distinguishing_kinds": ["email", "phone", "loyalty_id"] },
///   "entity_limits": { "loyalty_id": 1 },
///   "link_priority": ["loyalty_id", "email", "phone", "pos_card", "device_id"],
///   "custom_kinds": [ { "name": "crm_id", "rule": "token", "distinguishes_customers": true } ],
///   "limits": { "max_record_key_length": 1024, "max_value_length": 1024,
///               "max_identifiers_per_record": 256, "max_records": 1000000000, "max_custom_kinds": 1000 },
///   "fuzzy": { "enabled": true, "threshold": 0.99, "date_order": "dmy", "nicknames": true,
///              "extra_nicknames": { "bobby": "robert" }, "placeholders": true,
///              "blocking_keys": ["last_name~phonetic+zip", "first_name~prefix1+dob"],
///              "max_block_size": 200, "max_pairs_per_record": 100, "random_pairs": 1000000, "estimate": true, "max_iterations": 100,
///              "term_frequency": true, "require_personal_evidence": true,
///              "first_name_veto": true }
/// }
/// ```
struct ConfigFile: Decodable {
    var default_country_code: Int?
    var phone_trunk_prefix: String?
    var email: EmailRules?
    var placeholders: Placeholders?
    var generic: Generic?
    var entity_limits: [String: Int]?
    var link_priority: [String]?
    var custom_kinds: [Custom]?
    var limits: Limits?
    var fuzzy: Fuzzy?

    struct EmailRules: Decodable { var drop_plus_tag: Bool?; var gmail_dots: Bool? }
    struct Placeholders: Decodable { var builtin: Bool?; var values: [String: [String]]?; var patterns: [String: [String]]? }
    struct Generic: Decodable { var enabled: Bool?; var thresholds: [String: Int]?; var distinguishing_kinds: [String]? }
    struct Custom: Decodable {
        var name: String; var rule: String?; var generic_threshold: Int?; var entity_limit: Int?; var distinguishes_customers: Bool?
    }
    struct Fuzzy: Decodable {
        var enabled: Bool?; var threshold: Double?; var date_order: String?; var nicknames: Bool?
        var extra_nicknames: [String: String]?; var placeholders: Bool?; var blocking_keys: [String]?
        var max_block_size: Int?; var random_pairs: Int?; var estimate: Bool?; var max_iterations: Int?
        var term_frequency: Bool?; var require_personal_evidence: Bool?; var first_name_veto: Bool?
        var max_pairs_per_record: Int?
    }
    struct Limits: Decodable {
        var max_record_key_length: Int?; var max_value_length: Int?; var max_identifiers_per_record: Int?
        var max_records: Int?; var max_custom_kinds: Int?
    }

    static let knownKeys: [String: Set<String>] = [
        "": ["default_country_code", "phone_trunk_prefix", "email", "placeholders", "generic", "entity_limits",
             "link_priority", "custom_kinds", "limits", "fuzzy"],
        "fuzzy": ["enabled", "threshold", "date_order", "nicknames", "extra_nicknames", "placeholders", "blocking_keys",
                  "max_block_size", "random_pairs", "estimate", "max_iterations", "term_frequency", "require_personal_evidence", "first_name_veto", "max_pairs_per_record"],
        "email": ["drop_plus_tag", "gmail_dots"],
        "placeholders": ["builtin", "values", "patterns"],
        "generic": ["enabled", "thresholds", "distinguishing_kinds"],
        "custom_kinds": ["name", "rule", "generic_threshold", "entity_limit", "distinguishes_customers"],
        "limits": ["max_record_key_length", "max_value_length", "max_identifiers_per_record", "max_records", "max_custom_kinds"],
    ]

    /// Reads and checks a config file; also returns the custom kinds it declares by name.
    static func load(path: String) throws(IDRError) -> ResolverConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(filePath: path))
        } catch {
            throw IDRError(.io, "cannot read config \(path): \(error)")
        }
        let file: ConfigFile
        do {
            try checkKeys(data)
            file = try JSONDecoder().decode(ConfigFile.self, from: data)
        } catch let e as IDRError {
            throw IDRError(e.code, "config \(path): \(e.message)")
        } catch {
            throw IDRError(.invalidArgument, "config \(path): \(describe(error))")
        }
        return try file.configuration(path: path)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c),
             DecodingError.keyNotFound(_, let c), DecodingError.dataCorrupted(let c):
            let at = c.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return "\(c.debugDescription)\(at.isEmpty ? "" : " at \(at)")"
        default:
            return "\(error)"
        }
    }

    /// Rejects keys the format does not define (a typo must not be silently ignored).
    private static func checkKeys(_ data: Data) throws {
        let any = try JSONDecoder().decode(AnyJSON.self, from: data)
        guard case .object(let top) = any else { throw IDRError(.invalidArgument, "the top level must be an object") }
        for (key, value) in top {
            guard knownKeys[""]!.contains(key) else { throw IDRError(.invalidArgument, "unknown key \"\(key)\"") }
            if let allowed = knownKeys[key] {
                let objects: [[String: AnyJSON]]
                switch value {
                case .object(let o): objects = [o]
                case .array(let a): objects = a.compactMap { if case .object(let o) = $0 { o } else { nil } }
                default: objects = []
                }
                for o in objects {
                    for k in o.keys where !allowed.contains(k) {
                        throw IDRError(.invalidArgument, "unknown key \"\(key).\(k)\"")
                    }
                }
            }
        }
    }

    func configuration(path: String) throws(IDRError) -> ResolverConfiguration {
        var c = ResolverConfiguration()
        let custom = (custom_kinds ?? []).map(\.name)
        func kind(_ name: String) throws(IDRError) -> IdentifierKind? {
            if let k = IdentifierKind(builtInName: name) { return k }
            if custom.contains(name) { return nil }
            throw IDRError(.invalidArgument, "config \(path): unknown kind \"\(name)\" (declare it in custom_kinds)")
        }
        if let v = default_country_code { c.defaultCountryCode = v }
        switch phone_trunk_prefix {
        case nil, "auto": break
        case "none": c.phoneTrunkPrefix = .none
        case let s? where s.count == 1 && s.first!.isASCII && s.first!.isNumber:
            c.phoneTrunkPrefix = .digit(UInt8(s)!)
        case let s?:
            throw IDRError(.invalidArgument, "config \(path): phone_trunk_prefix must be \"auto\", \"none\" or one digit, got \"\(s)\"")
        }
        if let e = email {
            c.emailDropPlusTag = e.drop_plus_tag ?? false
            c.emailGmailDots = e.gmail_dots ?? false
        }
        var customThresholds: [String: Int] = [:]
        var customLimits: [String: Int] = [:]
        if let g = generic {
            c.genericGuard = g.enabled ?? true
            for (name, t) in g.thresholds ?? [:] {
                if let k = try kind(name) { c.genericThresholds[k] = t } else { customThresholds[name] = t }
            }
            if let names = g.distinguishing_kinds {
                c.distinguishingKinds = []
                for name in names {
                    guard let k = try kind(name) else {
                        throw IDRError(.invalidArgument, "config \(path): custom kind \(name) is set with custom_kinds[].distinguishes_customers")
                    }
                    c.distinguishingKinds.append(k)
                }
            }
        }
        for (name, l) in entity_limits ?? [:] {
            if let k = try kind(name) { c.entityLimits[k] = l } else { customLimits[name] = l }
        }
        for k in custom_kinds ?? [] {
            let ruleName = k.rule ?? "exact"
            guard let rule = NormalizationRule(name: ruleName) else {
                throw IDRError(.invalidArgument, "config \(path): unknown rule \"\(ruleName)\" for \(k.name) (email, phone, device_id, token, lowercase, exact)")
            }
            c.customKinds.append(.init(name: k.name, rule: rule,
                                       genericThreshold: k.generic_threshold ?? customThresholds[k.name],
                                       entityLimit: k.entity_limit ?? customLimits[k.name],
                                       distinguishesCustomers: k.distinguishes_customers ?? true))
        }
        if let p = placeholders {
            c.builtInPlaceholders = p.builtin ?? true
            // Custom kinds get their numbers when registered; they follow built-ins in order.
            func customKind(_ name: String) -> IdentifierKind {
                IdentifierKind(rawValue: IdentifierKind.firstCustomRawValue + UInt32(custom.firstIndex(of: name)!))
            }
            for (name, list) in (p.values ?? [:]).sorted(by: { $0.key < $1.key }) {
                let k = try kind(name) ?? customKind(name)
                c.placeholderValues += list.map { Identifier(k, $0) }
            }
            for (name, list) in (p.patterns ?? [:]).sorted(by: { $0.key < $1.key }) {
                let k = try kind(name) ?? customKind(name)
                c.placeholderPatterns += list.map { Identifier(k, $0) }
            }
        }
        if let order = link_priority {
            var kinds: [IdentifierKind] = []
            for name in order {
                kinds.append(try kind(name) ?? IdentifierKind(rawValue: IdentifierKind.firstCustomRawValue + UInt32(custom.firstIndex(of: name)!)))
            }
            c.linkPriority = kinds
        }
        if let l = limits {
            if let v = l.max_record_key_length { c.limits.maxRecordKeyLength = v }
            if let v = l.max_value_length { c.limits.maxValueLength = v }
            if let v = l.max_identifiers_per_record { c.limits.maxIdentifiersPerRecord = v }
            if let v = l.max_records { c.limits.maxRecords = v }
            if let v = l.max_custom_kinds { c.limits.maxCustomKinds = v }
        }
        if let f = fuzzy {
            if let v = f.enabled { c.fuzzy.enabled = v }
            if let v = f.threshold { c.fuzzy.threshold = v }
            switch f.date_order {
            case nil, "dmy": break
            case "mdy": c.fuzzy.dateOrder = .monthFirst
            case let s?: throw IDRError(.invalidArgument, "config \(path): fuzzy.date_order must be \"dmy\" or \"mdy\", got \"\(s)\"")
            }
            if let v = f.nicknames { c.fuzzy.builtInNicknames = v }
            c.fuzzy.nicknames = (f.extra_nicknames ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if let v = f.placeholders { c.fuzzy.builtInPlaceholders = v }
            if let keys = f.blocking_keys {
                c.fuzzy.blockingKeys = []
                for k in keys {
                    do { c.fuzzy.blockingKeys.append(try BlockingKey(parsing: k)) } catch {
                        throw IDRError(error.code, "config \(path): \(error.message)")
                    }
                }
            }
            if let v = f.max_block_size { c.fuzzy.maxBlockSize = v }
            if let v = f.random_pairs { c.fuzzy.randomPairs = v }
            if let v = f.estimate { c.fuzzy.estimateParameters = v }
            if let v = f.max_iterations { c.fuzzy.maxIterations = v }
            if let v = f.term_frequency { c.fuzzy.termFrequencyAdjustment = v }
            if let v = f.require_personal_evidence { c.fuzzy.requirePersonalEvidence = v }
            if let v = f.first_name_veto { c.fuzzy.firstNameVeto = v }
            if let v = f.max_pairs_per_record { c.fuzzy.maxPairsPerRecord = v }
        }
        do {
            try c.validate()
        } catch {
            throw IDRError(error.code, "config \(path): \(error.message)")
        }
        return c
    }
}

/// Any JSON value, for the unknown-key check.
enum AnyJSON: Decodable {
    case object([String: AnyJSON]), array([AnyJSON]), scalar

    init(from decoder: Decoder) throws {
        if let o = try? decoder.container(keyedBy: DynamicKey.self) {
            var d: [String: AnyJSON] = [:]
            for k in o.allKeys { d[k.stringValue] = try o.decode(AnyJSON.self, forKey: k) }
            self = .object(d)
        } else if var a = try? decoder.unkeyedContainer() {
            var items: [AnyJSON] = []
            while !a.isAtEnd { items.append(try a.decode(AnyJSON.self)) }
            self = .array(items)
        } else {
            self = .scalar
        }
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
