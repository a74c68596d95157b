/// The kind of an identifier: which normalization rule, guards and limits apply to its values.
///
/// Raw values equal the C ABI's `IDR_KIND_*` constants. Built-in kinds are 1–5; custom kinds,
/// registered by name on a ``Resolver``, are numbered from ``firstCustomRawValue`` upward in
/// registration order. Kinds 6–11 are the person attributes of fuzzy matching
/// (``IdentifierKind/firstName`` …), 12–15 are reserved.
public struct IdentifierKind: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The numeric kind (`IDR_KIND_*` in C).
    public var rawValue: UInt32
    /// Wraps a numeric kind. Whether it exists is checked where it is used.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// An email address (`IDR_KIND_EMAIL`).
    public static let email = IdentifierKind(rawValue: 1)
    /// A phone number, normalized to E.164 (`IDR_KIND_PHONE`).
    public static let phone = IdentifierKind(rawValue: 2)
    /// A loyalty-programme member ID (`IDR_KIND_LOYALTY_ID`).
    public static let loyaltyID = IdentifierKind(rawValue: 3)
    /// An app install or advertising ID (`IDR_KIND_DEVICE_ID`).
    public static let deviceID = IdentifierKind(rawValue: 4)
    /// A payment-card token seen at a store till (`IDR_KIND_POS_CARD`).
    public static let posCard = IdentifierKind(rawValue: 5)

    /// The built-in kinds in numeric order.
    public static let builtIn: [IdentifierKind] = [.email, .phone, .loyaltyID, .deviceID, .posCard]
    /// The raw value of the first custom kind; 6–11 are attributes, 12–15 reserved.
    public static let firstCustomRawValue: UInt32 = 16

    /// Whether this is one of the five built-in kinds.
    public var isBuiltIn: Bool { rawValue >= 1 && rawValue <= 5 }

    /// The built-in kind's column name (`email`, `phone`, `loyalty_id`, `device_id`, `pos_card`),
    /// or `nil` for a custom kind (whose name lives on the resolver that registered it).
    public var builtInName: String? {
        switch rawValue {
        case 1: "email"
        case 2: "phone"
        case 3: "loyalty_id"
        case 4: "device_id"
        case 5: "pos_card"
        default: nil
        }
    }

    /// The built-in kind with this column name, if any.
    public init?(builtInName name: String) {
        switch name {
        case "email": self = .email
        case "phone": self = .phone
        case "loyalty_id": self = .loyaltyID
        case "device_id": self = .deviceID
        case "pos_card": self = .posCard
        default: return nil
        }
    }

    /// Orders kinds by raw value.
    public static func < (a: IdentifierKind, b: IdentifierKind) -> Bool { a.rawValue < b.rawValue }

    /// The built-in or attribute name, or `kind#N` for a custom kind.
    public var description: String { builtInName ?? attributeName ?? "kind#\(rawValue)" }
}

/// An identifier given as a Swift string: a kind and its raw (not yet normalized) value.
public struct Identifier: Hashable, Sendable {
    /// Which kind of identifier this is.
    public var kind: IdentifierKind
    /// The value as received; normalization happens inside the resolver.
    public var value: String

    /// Creates an identifier.
    public init(_ kind: IdentifierKind, _ value: String) {
        self.kind = kind
        self.value = value
    }
}
