/// How values of a kind are normalized before they are hashed and compared.
///
/// Every rule first trims ASCII whitespace at both ends, rejects invalid UTF-8 and rejects
/// control characters (bytes 0x00–0x1F and 0x7F) left inside. Case mapping is ASCII-only:
/// bytes outside ASCII are kept as they are (no Unicode tables in the core).
public enum NormalizationRule: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Lowercase; exactly one `@`, a non-empty local part, a domain with a dot, no whitespace.
    /// Provider rules (`+tag`, Gmail dots) are configured in ``ResolverConfiguration``.
    case email = 1
    /// Digits only, as E.164 (`+` and 7–15 digits); see ``ResolverConfiguration/defaultCountryCode``.
    case phone = 2
    /// Lowercase; UUID-shaped values in canonical 8-4-4-4-12 form; the all-zero ID and values
    /// of one repeated character are invalid.
    case deviceID = 3
    /// Uppercase, spaces and hyphens dropped (loyalty IDs, card tokens); invalid when empty.
    case token = 4
    /// Lowercase only.
    case caseFolded = 5
    /// Trimmed, otherwise byte-exact.
    case exact = 6

    /// The rule's configuration name (`email`, `phone`, `device_id`, `token`, `lowercase`, `exact`).
    public var description: String {
        switch self {
        case .email: "email"
        case .phone: "phone"
        case .deviceID: "device_id"
        case .token: "token"
        case .caseFolded: "lowercase"
        case .exact: "exact"
        }
    }

    /// The rule with this configuration name.
    public init?(name: String) {
        guard let rule = NormalizationRule.allCases.first(where: { $0.description == name }) else { return nil }
        self = rule
    }

    /// The rule a built-in kind uses, or `nil` for a custom kind.
    public static func builtIn(for kind: IdentifierKind) -> NormalizationRule? {
        switch kind {
        case .email: .email
        case .phone: .phone
        case .deviceID: .deviceID
        case .loyaltyID, .posCard: .token
        default: nil
        }
    }
}

/// Why a value was dropped as invalid. Counted per kind in ``ResolutionStatistics``.
public enum InvalidReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Nothing left after trimming (or, for tokens, after dropping spaces and hyphens).
    case empty = 0
    /// The bytes are not valid UTF-8.
    case invalidUTF8
    /// A control byte (0x00–0x1F, 0x7F) inside the value.
    case controlCharacter
    /// Longer than the configured maximum value length.
    case tooLong
    /// An email without exactly one `@`.
    case emailAtSign
    /// An email whose local part (before `@`) is empty.
    case emailEmptyLocalPart
    /// An email whose domain has no dot.
    case emailDomainWithoutDot
    /// An email with whitespace inside.
    case emailWhitespace
    /// A phone number with fewer than 7 or more than 15 digits (country code included).
    case phoneLength
    /// A phone number containing letters.
    case phoneLetters
    /// An international phone number whose country code starts with 0.
    case phoneCountryCode
    /// The all-zero device ID.
    case deviceAllZero
    /// A device ID made of one repeated character.
    case deviceRepeatedCharacter
    /// A date of birth that is not a date in a known format (attributes only).
    case dateFormat

    /// A stable snake_case name used in statistics output.
    public var description: String {
        switch self {
        case .empty: "empty"
        case .invalidUTF8: "invalid_utf8"
        case .controlCharacter: "control_character"
        case .tooLong: "too_long"
        case .emailAtSign: "email_at_sign"
        case .emailEmptyLocalPart: "email_empty_local_part"
        case .emailDomainWithoutDot: "email_domain_without_dot"
        case .emailWhitespace: "email_whitespace"
        case .phoneLength: "phone_length"
        case .phoneLetters: "phone_letters"
        case .phoneCountryCode: "phone_country_code"
        case .deviceAllZero: "device_all_zero"
        case .deviceRepeatedCharacter: "device_repeated_character"
        case .dateFormat: "date_format"
        }
    }
}
