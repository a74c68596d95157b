/// A change to the entities, reported after the write that caused it (net of the write's
/// internal steps: an upsert that leaves the partition as it was reports nothing).
public enum EntityEvent: Sendable, Equatable {
    /// `record` started a new entity.
    case created(entity: UInt64, record: String)
    /// Entity `from` joined `into` (which keeps its ID; `from` now redirects to it) because
    /// `record` carries `via`, an identifier both sides hold.
    case merged(from: UInt64, into: UInt64, record: String, via: EventIdentifier?)
    /// Entity `from` fell apart into `parts` (the part holding its oldest record keeps `from`
    /// and comes first; the others follow in creation order). `cut` is the identifier whose loss split it: a value that became
    /// generic, or one `record` no longer carries; nil when removing `record` split it.
    case split(from: UInt64, parts: [UInt64], record: String, cut: EventIdentifier?)
    /// `record` was removed from `entity`; `entityGone` when it was the entity's last record.
    case removed(record: String, entity: UInt64, entityGone: Bool)
}

/// An identifier named by an event or an explanation: its kind and normalized value.
public struct EventIdentifier: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The kind.
    public var kind: IdentifierKind
    /// The normalized value.
    public var value: String

    /// Creates one.
    public init(kind: IdentifierKind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// `kind:value`.
    public var description: String { "\(kind.builtInName ?? String(kind.rawValue)):\(value)" }
}

/// Events as the engine records them during one write: entity slots and value indices,
/// turned into ``EntityEvent``s (IDs, strings) once the write is done.
package enum RawEvent {
    case created(slot: UInt32)
    case merged(from: UInt32, into: UInt32, via: UInt32?)
    case split(from: UInt32, parts: [UInt32], cut: UInt32?)
    case removed(slot: UInt32)
}
