/// Person attributes travel through the same APIs as identifiers (``Identifier``,
/// ``RawIdentifier``, C columns, Python keyword arguments) under the reserved kinds 6–11, but
/// they are not identifiers: equal attribute values link nothing by themselves. The bulk
/// ``Resolver`` compares them pairwise within blocks and links pairs whose Fellegi–Sunter score
/// passes the threshold (``FuzzyMatching``).
extension IdentifierKind {
    /// A given name (`IDR_ATTR_FIRST_NAME`, column `first_name`).
    public static let firstName = IdentifierKind(rawValue: 6)
    /// A family name (`IDR_ATTR_LAST_NAME`, column `last_name`).
    public static let lastName = IdentifierKind(rawValue: 7)
    /// A date of birth (`IDR_ATTR_DOB`, column `dob`).
    public static let dateOfBirth = IdentifierKind(rawValue: 8)
    /// A postcode (`IDR_ATTR_ZIP`, column `zip`).
    public static let postcode = IdentifierKind(rawValue: 9)
    /// A street address line (`IDR_ATTR_ADDRESS`, column `address`).
    public static let address = IdentifierKind(rawValue: 10)
    /// A city or town (`IDR_ATTR_CITY`, column `city`).
    public static let city = IdentifierKind(rawValue: 11)

    /// The attribute kinds in numeric order.
    public static let attributes: [IdentifierKind] = [.firstName, .lastName, .dateOfBirth, .postcode, .address, .city]
    /// Number of attribute kinds.
    public static let attributeCount = 6

    /// Whether this is one of the attribute kinds (6–11).
    public var isAttribute: Bool { rawValue >= 6 && rawValue <= 11 }

    /// The position of an attribute kind among ``attributes`` (0–5); only for attribute kinds.
    var attributeIndex: Int { Int(rawValue) - 6 }

    /// The attribute's column name (`first_name`, `last_name`, `dob`, `zip`, `address`,
    /// `city`), or nil for an identifier kind.
    public var attributeName: String? {
        switch rawValue {
        case 6: "first_name"
        case 7: "last_name"
        case 8: "dob"
        case 9: "zip"
        case 10: "address"
        case 11: "city"
        default: nil
        }
    }

    /// The attribute kind with this column name, if any.
    public init?(attributeName name: String) {
        guard let i = ["first_name", "last_name", "dob", "zip", "address", "city"].firstIndex(of: name) else { return nil }
        self = IdentifierKind.attributes[i]
    }
}
