extension Resolver {
    /// Registers a custom identifier kind, or returns the existing one of that name.
    ///
    /// - Parameters:
    ///   - name: lowercase ASCII letters, digits and `_`, 1–64 bytes; not a built-in name.
    ///   - genericThreshold: `nil` uses ``ResolverConfiguration/customGenericThreshold``; 0 disables.
    ///   - entityLimit: at most this many distinct values per entity; `nil` for none.
    ///   - distinguishesCustomers: whether its values tell customers apart for the generic guard.
    /// - Throws: `invalidArgument` for a bad name, a name registered with other settings or bad
    ///   numbers; `limitExceeded` past ``ResolverConfiguration/Limits/maxCustomKinds``.
    public func registerKind(
        named name: String, rule: NormalizationRule, genericThreshold: Int? = nil, entityLimit: Int? = nil,
        distinguishesCustomers: Bool = true
    ) throws(IDRError) -> IdentifierKind {
        let kind = try kinds.register(named: name, rule: rule, genericThreshold: genericThreshold,
                                      entityLimit: entityLimit, distinguishesCustomers: distinguishesCustomers)
        counters.grow(to: kinds.count)
        return kind
    }

    /// The kind with this name (built-in column name or registered custom name).
    public func kind(named name: String) -> IdentifierKind? { kinds.kind(named: name) }

    /// The name of a registered kind (`email`, …, or the custom name).
    public func name(of kind: IdentifierKind) -> String? { kinds.info(kind)?.name }

    /// The normalization rule of a registered kind.
    public func rule(of kind: IdentifierKind) -> NormalizationRule? { kinds.info(kind)?.rule }

    /// Every registered kind in numeric order.
    public var registeredKinds: [IdentifierKind] { kinds.registered }

    /// Normalizes `value` by `kind`'s rule, as the resolver would before hashing.
    ///
    /// - Throws: `unknownKind` if the kind is not registered.
    public func normalize(_ value: String, kind: IdentifierKind) throws(IDRError) -> Result<String, InvalidReasonError> {
        normalizer.normalize(value, rule: try kinds.registeredRule(kind))
    }
}
