import IdentityResolution

/// A seeded generator for reproducible random tests: the core's SplitMix64.
typealias SplitMix64 = SplitMix

/// A record as tests describe it.
struct TestRecord: Hashable {
    var key: String
    var ids: [Identifier]
    init(_ key: String, _ ids: [Identifier]) {
        self.key = key
        self.ids = ids
    }
}
