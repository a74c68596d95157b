/// Everything that changes how records are normalized, guarded and linked.
///
/// The defaults are the documented ones (README, "Normalization" and "Guards"). A configuration
/// is checked by ``validate()`` when a ``Resolver`` is created.
public struct ResolverConfiguration: Sendable {
    /// Country calling code prefixed to national phone numbers (1–999). Default 1 (NANP).
    public var defaultCountryCode: Int = 1
    /// Which leading national digit is a trunk prefix to drop. Default `.automatic`.
    public var phoneTrunkPrefix: TrunkPrefix = .automatic
    /// Drop a `+tag` from every email's local part (`ann+shop@x.com` → `ann@x.com`). Default off.
    public var emailDropPlusTag = false
    /// Drop dots in Gmail local parts and treat `googlemail.com` as `gmail.com`. Default off.
    public var emailGmailDots = false

    /// Use the built-in placeholder lists and patterns (README, "Placeholders"). Default on.
    public var builtInPlaceholders = true
    /// Extra placeholder values, written raw: they are normalized by their kind's rule.
    public var placeholderValues: [Identifier] = []
    /// Extra placeholder glob patterns (`*`, `?`), matched against normalized values; they are
    /// case-mapped like the kind's values (lowercase for emails and device IDs, uppercase for tokens).
    public var placeholderPatterns: [Identifier] = []

    /// Apply the generic-value guard. Default on.
    public var genericGuard = true
    /// Per built-in kind, the threshold `T`: a value is generic (links nothing) when more than
    /// `T` records carry it and they hold more than `T` distinct values of one distinguishing
    /// kind. 0 turns the guard off for that kind.
    public var genericThresholds: [IdentifierKind: Int] = ResolverConfiguration.defaultGenericThresholds
    /// The kinds whose distinct values the generic guard counts as different customers: a person
    /// rarely has more than one or two of each. Device IDs and card tokens are left out by default
    /// because one person collects many. Custom kinds choose with
    /// ``CustomKind/distinguishesCustomers``.
    public var distinguishingKinds: [IdentifierKind] = [.email, .phone, .loyaltyID]
    /// The generic threshold of custom kinds registered without one. Default 10.
    public var customGenericThreshold = 10

    /// Optional per-entity limits: at most N distinct values of a kind in one entity. Off by
    /// default (empty). Links that would exceed a limit are refused and reported.
    public var entityLimits: [IdentifierKind: Int] = [:]
    /// The order in which kinds link when entity limits are on; earlier kinds win. Kinds not
    /// listed follow in numeric order.
    public var linkPriority: [IdentifierKind] = [.loyaltyID, .email, .phone, .posCard, .deviceID]

    /// Hash-only mode (online engine only): when set, the engine keeps no raw or normalized
    /// identifier value, in memory beyond a call or on disk, only a 128-bit fingerprint of each
    /// normalized value keyed with this secret (16–4096 bytes). Lookups still work; explanations,
    /// events and ``Engine/identifiers(ofKey:)`` show fingerprints (`#` and 32 hex digits).
    /// A state saved in this mode loads only with the same secret. Default nil (values kept).
    public var hashOnlySecret: [UInt8]? = nil
    /// Whether ``Engine/erase(_:_:)`` keeps a fingerprint (tombstone) of the erased value, so that
    /// later adds carrying it drop it instead of linking through it. Default on.
    public var erasureTombstones = true

    /// Fuzzy matching of person attributes (bulk resolver only); see ``FuzzyMatching``.
    public var fuzzy = FuzzyMatching()

    /// Custom kinds registered, in this order, when the resolver is created.
    public var customKinds: [CustomKind] = []
    /// Size limits on input.
    public var limits = Limits()

    /// The defaults: email 10, phone 1, loyalty ID 2, device ID 4, POS card 4 (README, "Generic values").
    public static let defaultGenericThresholds: [IdentifierKind: Int] = [
        .email: 10, .phone: 1, .loyaltyID: 2, .deviceID: 4, .posCard: 4,
    ]

    /// The default configuration.
    public init() {}

    /// How the national trunk prefix of phone numbers is recognised.
    public enum TrunkPrefix: Sendable, Equatable {
        /// Country code 1: a leading `1` on an 11-digit national number; otherwise a leading `0`.
        case automatic
        /// No trunk prefix (e.g. Italy, where the leading 0 is part of the number).
        case none
        /// This digit, whenever it leads a national number.
        case digit(UInt8)
    }

    /// A custom identifier kind, e.g. `crm_id`.
    public struct CustomKind: Sendable, Equatable {
        /// Lowercase ASCII letters, digits and `_`, 1–64 bytes, not a built-in name.
        public var name: String
        /// How its values are normalized.
        public var rule: NormalizationRule
        /// Its generic threshold; `nil` uses ``ResolverConfiguration/customGenericThreshold``.
        public var genericThreshold: Int?
        /// Its per-entity limit; `nil` means none.
        public var entityLimit: Int?
        /// Whether its values tell customers apart for the generic guard (see
        /// ``ResolverConfiguration/distinguishingKinds``). Default true.
        public var distinguishesCustomers: Bool

        /// Creates a custom kind description.
        public init(name: String, rule: NormalizationRule, genericThreshold: Int? = nil, entityLimit: Int? = nil,
                    distinguishesCustomers: Bool = true) {
            self.name = name
            self.rule = rule
            self.genericThreshold = genericThreshold
            self.entityLimit = entityLimit
            self.distinguishesCustomers = distinguishesCustomers
        }
    }

    /// Input size limits. Exceeding one fails the call with `limitExceeded`, except a too-long
    /// identifier value, which is dropped and counted as invalid (`too_long`) like any bad value.
    public struct Limits: Sendable, Equatable {
        /// Longest record key in bytes. Default 1024.
        public var maxRecordKeyLength = 1024
        /// Longest identifier value in bytes, after trimming. Default 1024.
        public var maxValueLength = 1024
        /// Most identifiers in one add call. Default 256.
        public var maxIdentifiersPerRecord = 256
        /// Most distinct records. Default 1,000,000,000 (indices are `UInt32`).
        public var maxRecords = 1_000_000_000
        /// Most custom kinds. Default 1000.
        public var maxCustomKinds = 1000
        /// The defaults.
        public init() {}
    }

    /// The largest generic threshold or entity limit accepted.
    public static let maxThreshold = 1_000_000_000

    /// Checks every field's domain.
    public func validate() throws(IDRError) {
        guard (1...999).contains(defaultCountryCode) else {
            throw IDRError(.invalidArgument, "defaultCountryCode must be 1...999, got \(defaultCountryCode)")
        }
        if case .digit(let d) = phoneTrunkPrefix, d > 9 {
            throw IDRError(.invalidArgument, "phoneTrunkPrefix digit must be 0...9, got \(d)")
        }
        let range = 0...ResolverConfiguration.maxThreshold
        for (kind, t) in genericThresholds where !range.contains(t) {
            throw IDRError(.invalidArgument, "generic threshold of \(kind) must be 0...\(range.upperBound), got \(t)")
        }
        guard range.contains(customGenericThreshold) else {
            throw IDRError(.invalidArgument, "customGenericThreshold must be 0...\(range.upperBound)")
        }
        for (kind, l) in entityLimits where !(1...ResolverConfiguration.maxThreshold).contains(l) {
            throw IDRError(.invalidArgument, "entity limit of \(kind) must be 1...\(range.upperBound), got \(l)")
        }
        let l = limits
        guard (1...65_536).contains(l.maxRecordKeyLength), (1...1_048_576).contains(l.maxValueLength),
              (1...65_536).contains(l.maxIdentifiersPerRecord), (1...4_000_000_000).contains(l.maxRecords),
              (0...100_000).contains(l.maxCustomKinds)
        else {
            throw IDRError(.invalidArgument, "a limit is out of range (see ResolverConfiguration.Limits)")
        }
        if let secret = hashOnlySecret, !(16...4096).contains(secret.count) {
            throw IDRError(.invalidArgument, "hashOnlySecret must be 16...4096 bytes, got \(secret.count)")
        }
        try fuzzy.validate()
        for c in customKinds {
            if let t = c.genericThreshold, !range.contains(t) {
                throw IDRError(.invalidArgument, "generic threshold of \(c.name) must be 0...\(range.upperBound)")
            }
            if let l = c.entityLimit, !(1...ResolverConfiguration.maxThreshold).contains(l) {
                throw IDRError(.invalidArgument, "entity limit of \(c.name) must be 1...\(range.upperBound)")
            }
        }
    }
}
