extension Resolver {
    /// Registers a custom identifier kind, or returns the existing one of that name.
    ///
    /// - Parameters:
    ///   - name: lowercase ASCII letters, digits and `_`, 1–64 bytes; not a built-in name.
    ///   - genericThreshold: `nil` uses ``ResolverConfiguration/customGenericThreshold``; 0 disables.
    ///   - entityLimit: at most this many distinct values per entity; `nil` for none.
    /// - Throws: `invalidArgument` for a bad name, a name registered with other settings or bad
    ///   numbers; `limitExceeded` past ``ResolverConfiguration/Limits/maxCustomKinds``.
    ///   - distinguishesCustomers: whether its values tell customers apart for the generic guard.
    public func registerKind(
        named name: String, rule: NormalizationRule, genericThreshold: Int? = nil, entityLimit: Int? = nil,
        distinguishesCustomers: Bool = true
    ) throws(IDRError) -> IdentifierKind {
        let utf8 = Array(name.utf8)
        guard (1...64).contains(utf8.count),
              utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F })
        else {
            throw IDRError(.invalidArgument, "kind name \"\(name)\" must be 1-64 bytes of a-z, 0-9 and _")
        }
        guard IdentifierKind(builtInName: name) == nil, name != "record_id", name != "source" else {
            throw IDRError(.invalidArgument, "kind name \"\(name)\" is reserved")
        }
        let threshold = genericThreshold ?? configuration.customGenericThreshold
        let limit = entityLimit ?? 0
        guard threshold >= 0, limit >= 0 else {
            throw IDRError(.invalidArgument, "generic threshold and entity limit of \(name) must not be negative")
        }
        if let existing = kind(named: name) {
            let info = kinds[Int(existing.rawValue)]
            guard info.rule == rule, info.genericThreshold == threshold, info.entityLimit == limit,
                  info.distinguishesCustomers == distinguishesCustomers
            else {
                throw IDRError(.invalidArgument, "kind \"\(name)\" is already registered with other settings")
            }
            return existing
        }
        let customCount = kinds.count - Int(IdentifierKind.firstCustomRawValue)
        guard customCount < configuration.limits.maxCustomKinds else {
            throw IDRError(.limitExceeded, "maxCustomKinds (\(configuration.limits.maxCustomKinds)) reached")
        }
        let kind = IdentifierKind(rawValue: UInt32(kinds.count))
        kinds.append(KindInfo(registered: true, rule: rule, name: name, genericThreshold: threshold, entityLimit: limit,
                              distinguishesCustomers: distinguishesCustomers))
        counters.grow(to: kinds.count)
        try placeholders.addKind(kind.rawValue, rule: rule, normalizer: normalizer)
        return kind
    }

    /// The kind with this name (built-in column name or registered custom name).
    public func kind(named name: String) -> IdentifierKind? {
        if let builtIn = IdentifierKind(builtInName: name) { return builtIn }
        for i in Int(IdentifierKind.firstCustomRawValue)..<kinds.count where kinds[i].name == name {
            return IdentifierKind(rawValue: UInt32(i))
        }
        return nil
    }

    /// The name of a registered kind (`email`, …, or the custom name).
    public func name(of kind: IdentifierKind) -> String? {
        let k = Int(kind.rawValue)
        return k < kinds.count && kinds[k].registered ? kinds[k].name : nil
    }

    /// The normalization rule of a registered kind.
    public func rule(of kind: IdentifierKind) -> NormalizationRule? {
        let k = Int(kind.rawValue)
        return k < kinds.count && kinds[k].registered ? kinds[k].rule : nil
    }

    /// Every registered kind in numeric order.
    public var registeredKinds: [IdentifierKind] {
        kinds.indices.filter { kinds[$0].registered }.map { IdentifierKind(rawValue: UInt32($0)) }
    }

    /// Normalizes `value` by `kind`'s rule, as the resolver would before hashing.
    ///
    /// - Throws: `unknownKind` if the kind is not registered.
    public func normalize(_ value: String, kind: IdentifierKind) throws(IDRError) -> Result<String, InvalidReasonError> {
        guard let rule = rule(of: kind) else {
            throw IDRError(.unknownKind, "identifier kind \(kind.rawValue) is not registered")
        }
        return normalizer.normalize(value, rule: rule)
    }
}
