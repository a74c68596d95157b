/// A value kept at an address of its own, for a class to reach through an addressor.
///
/// Why: Swift copies a struct read from a class property (a retain and a release of every
/// array inside it) whenever it cannot prove nothing in between releases it, and the engine's
/// and resolver's intern tables are structs of arrays queried on every add and lookup. Those
/// copies were 14% of the add profile and 12% of the lookup profile; through an addressor over
/// a pinned value a query borrows the table in place. The owner frees it (``release()``).
package struct Pinned<Value> {
    /// Where the value lives.
    package let address: UnsafeMutablePointer<Value>

    /// `value`, moved to memory of its own.
    package init(_ value: Value) {
        address = .allocate(capacity: 1)
        address.initialize(to: value)
    }

    /// Destroys the value and frees its memory (once, from the owner's `deinit`).
    package func release() {
        address.deinitialize(count: 1)
        address.deallocate()
    }
}

/// A class holding the kinds and the two big intern tables pinned (``Pinned``): the engine and
/// the bulk resolver. The extension gives both the same addressors.
package protocol PinnedTables: AnyObject {
    /// The kind registry's storage.
    var pinnedKinds: Pinned<KindRegistry> { get }
    /// The record keys' table's storage.
    var pinnedRecords: Pinned<InternTable> { get }
    /// The identifier values' table's storage.
    var pinnedValues: Pinned<InternTable> { get }
}

extension PinnedTables {
    /// The registered kinds, borrowed in place.
    package var kinds: KindRegistry {
        unsafeAddress { UnsafePointer(pinnedKinds.address) }
        unsafeMutableAddress { pinnedKinds.address }
    }

    /// The record keys, borrowed in place.
    package var records: InternTable {
        unsafeAddress { UnsafePointer(pinnedRecords.address) }
        unsafeMutableAddress { pinnedRecords.address }
    }

    /// The identifier values, borrowed in place.
    package var values: InternTable {
        unsafeAddress { UnsafePointer(pinnedValues.address) }
        unsafeMutableAddress { pinnedValues.address }
    }
}
