/// The identifier kinds of one resolver or engine: built-ins, registered custom kinds, their
/// rules, thresholds and limits, and the placeholder guard built for them.
package struct KindRegistry: Sendable {
    /// Per-kind settings, indexed by the kind's raw value.
    package struct KindInfo: Sendable {
        var registered = false
        var rule = NormalizationRule.exact
        var name = ""
        var genericThreshold = 0
        var entityLimit = 0
        var distinguishesCustomers = false
    }

    package private(set) var infos: [KindInfo]
    package private(set) var placeholders: PlaceholderGuard
    package let normalizer: Normalizer
    private let configuration: ResolverConfiguration

    /// Registers the built-ins and the configuration's custom kinds; builds the placeholder guard.
    package init(configuration c: ResolverConfiguration, hasher: KeyHasher) throws(IDRError) {
        try c.validate()
        configuration = c
        normalizer = Normalizer(configuration: c)
        infos = Array(repeating: KindInfo(), count: Int(IdentifierKind.firstCustomRawValue))
        for kind in IdentifierKind.builtIn {
            infos[Int(kind.rawValue)] = KindInfo(
                registered: true, rule: NormalizationRule.builtIn(for: kind)!, name: kind.builtInName!,
                genericThreshold: c.genericThresholds[kind] ?? ResolverConfiguration.defaultGenericThresholds[kind]!,
                entityLimit: c.entityLimits[kind] ?? 0, distinguishesCustomers: c.distinguishingKinds.contains(kind))
        }
        placeholders = PlaceholderGuard(hasher: hasher)
        for custom in c.customKinds {
            _ = try register(named: custom.name, rule: custom.rule, genericThreshold: custom.genericThreshold,
                             entityLimit: custom.entityLimit, distinguishesCustomers: custom.distinguishesCustomers)
        }
        // User placeholders may name custom kinds: build the guard once every kind is known.
        placeholders = try PlaceholderGuard(kinds: registered.map { ($0.rawValue, infos[Int($0.rawValue)].rule) },
                                            configuration: c, normalizer: normalizer, hasher: hasher)
    }

    /// Number of kind slots (the largest raw value + 1).
    package var count: Int { infos.count }
    /// Kind slot indices.
    package var indices: Range<Int> { infos.indices }
    /// Settings of the kind with raw value `k` (check `registered`).
    @inline(__always)
    package subscript(_ k: Int) -> KindInfo { infos[k] }

    /// Whether any registered kind has a per-entity limit.
    package var entityLimitsActive: Bool { infos.contains { $0.registered && $0.entityLimit > 0 } }

    /// Every registered kind in numeric order.
    package var registered: [IdentifierKind] {
        infos.indices.filter { infos[$0].registered }.map { IdentifierKind(rawValue: UInt32($0)) }
    }

    /// See ``Resolver/registerKind(named:rule:genericThreshold:entityLimit:distinguishesCustomers:)``.
    package mutating func register(
        named name: String, rule: NormalizationRule, genericThreshold: Int?, entityLimit: Int?,
        distinguishesCustomers: Bool
    ) throws(IDRError) -> IdentifierKind {
        let utf8 = Array(name.utf8)
        guard (1...64).contains(utf8.count),
              utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F })
        else {
            throw IDRError(.invalidArgument, "kind name \"\(name)\" must be 1-64 bytes of a-z, 0-9 and _")
        }
        guard IdentifierKind(builtInName: name) == nil, IdentifierKind(attributeName: name) == nil, name != "record_id", name != "source" else {
            throw IDRError(.invalidArgument, "kind name \"\(name)\" is reserved")
        }
        let threshold = genericThreshold ?? configuration.customGenericThreshold
        let limit = entityLimit ?? 0
        let range = 0...ResolverConfiguration.maxThreshold
        guard range.contains(threshold), range.contains(limit) else {
            throw IDRError(.invalidArgument, "generic threshold and entity limit of \(name) must be 0...\(range.upperBound)")
        }
        if let existing = kind(named: name) {
            let info = infos[Int(existing.rawValue)]
            guard info.rule == rule, info.genericThreshold == threshold, info.entityLimit == limit,
                  info.distinguishesCustomers == distinguishesCustomers
            else {
                throw IDRError(.invalidArgument, "kind \"\(name)\" is already registered with other settings")
            }
            return existing
        }
        let customCount = infos.count - Int(IdentifierKind.firstCustomRawValue)
        guard customCount < configuration.limits.maxCustomKinds else {
            throw IDRError(.limitExceeded, "maxCustomKinds (\(configuration.limits.maxCustomKinds)) reached")
        }
        let kind = IdentifierKind(rawValue: UInt32(infos.count))
        infos.append(KindInfo(registered: true, rule: rule, name: name, genericThreshold: threshold, entityLimit: limit,
                              distinguishesCustomers: distinguishesCustomers))
        try placeholders.addKind(kind.rawValue, rule: rule, normalizer: normalizer)
        return kind
    }

    /// The kind with this name (built-in column name or registered custom name).
    package func kind(named name: String) -> IdentifierKind? {
        if let builtIn = IdentifierKind(builtInName: name) ?? IdentifierKind(attributeName: name) { return builtIn }
        for i in Int(IdentifierKind.firstCustomRawValue)..<infos.count where infos[i].name == name {
            return IdentifierKind(rawValue: UInt32(i))
        }
        return nil
    }

    /// The rule of a registered kind.
    ///
    /// - Throws: `unknownKind` if the kind is not registered.
    @inline(__always)
    package func registeredRule(_ kind: IdentifierKind) throws(IDRError) -> NormalizationRule {
        guard let info = info(kind) else {
            throw IDRError(.unknownKind, "identifier kind \(kind.rawValue) is not registered")
        }
        return info.rule
    }

    /// The settings of a registered kind, or `nil`.
    @inline(__always)
    package func info(_ kind: IdentifierKind) -> KindInfo? {
        let k = Int(kind.rawValue)
        return k < infos.count && infos[k].registered ? infos[k] : nil
    }
}
