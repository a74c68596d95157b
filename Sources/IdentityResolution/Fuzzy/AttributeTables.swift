/// Built-in tables of attribute normalization: nicknames, placeholder attributes, street words.
enum AttributeTables {
    /// English given-name nicknames and their canonical names (`nickname canonical` pairs).
    /// Only unambiguous ones: `chris` (christopher or christine) and `alex` stay as they are.
    static let nicknames: [(String, String)] = pairs("""
        abby abigail al albert alf alfred andy andrew annie ann anne ann becky rebecca ben benjamin \
        bert albert beth elizabeth betsy elizabeth betty elizabeth bill william billy william bob robert \
        bobby robert cathy catherine kathy catherine kate catherine katie catherine charlie charles \
        chuck charles dan daniel danny daniel dave david davy david debbie deborah deb deborah \
        dick richard rick richard ricky richard rich richard don donald donny donald dot dorothy \
        ed edward eddie edward ned edward ellie eleanor fred frederick freddy frederick greg gregory \
        hank henry harry henry jack john johnny john jim james jimmy james jamie james jen jennifer \
        jenny jennifer jeff jeffrey jerry gerald jess jessica jo joanne joe joseph joey joseph \
        jon jonathan josh joshua kim kimberly larry lawrence len leonard lenny leonard liz elizabeth \
        lizzie elizabeth maggie margaret meg margaret peggy margaret marty martin matt matthew \
        mike michael mickey michael mick michael nate nathan nick nicholas pam pamela pat patricia \
        patty patricia peg margaret pete peter phil philip ron ronald ronnie ronald sam samuel \
        sandy sandra steve steven stevie steven sue susan susie susan suzy susan ted theodore \
        teddy theodore terry terence tim timothy tom thomas tommy thomas tony anthony vicky victoria \
        vince vincent walt walter will william willy william zach zachary
        """)

    /// First or last names that stand for "no name given".
    static let placeholderNames: [String] = [
        "unknown", "unk", "test", "testing", "na", "n a", "none", "null", "nil", "nobody", "guest", "customer",
        "anonymous", "anon", "x", "xx", "xxx", "xxxx", "asdf", "noname", "no name", "not given", "fnu", "lnu", "tbd",
        "mr", "mrs", "ms", "dr",
    ]

    /// Dates of birth that systems fill in when none is known.
    static let placeholderDates: [UInt32] = [19000101, 19010101, 18991231, 19700101, 99991231]

    /// Street-type words and their abbreviations (`word abbreviation` pairs).
    static let streetWords: [(String, String)] = pairs("""
        street st avenue ave road rd drive dr boulevard blvd lane ln court ct place pl terrace ter \
        circle cir highway hwy parkway pkwy square sq apartment apt suite ste north n south s east e \
        west w northeast ne northwest nw southeast se southwest sw first 1st second 2nd third 3rd \
        fourth 4th fifth 5th
        """)

    private static func pairs(_ text: String) -> [(String, String)] {
        let words = text.split(separator: " ").map(String.init)
        return stride(from: 0, to: words.count - 1, by: 2).map { (words[$0], words[$0 + 1]) }
    }
}
