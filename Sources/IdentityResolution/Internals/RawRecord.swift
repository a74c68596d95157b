/// Packs a record given as Swift strings into one contiguous buffer and calls `body` with the
/// byte views the raw entry points take (key, optional source, identifiers), valid inside `body`.
/// The `String` conveniences of ``Resolver`` and ``Engine`` are built on it.
package func withRawRecord<R, E: Error>(
    key: String, source: String? = nil, identifiers: [Identifier],
    _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?, UnsafeBufferPointer<RawIdentifier>) throws(E) -> R
) throws(E) -> R {
    var bytes: [UInt8] = Array(key.utf8)
    let keyCount = bytes.count
    var sourceRange: Range<Int>?
    if let source {
        sourceRange = bytes.count..<(bytes.count + source.utf8.count)
        bytes.append(contentsOf: source.utf8)
    }
    var ranges: [Range<Int>] = []
    ranges.reserveCapacity(identifiers.count)
    for id in identifiers {
        let start = bytes.count
        bytes.append(contentsOf: id.value.utf8)
        ranges.append(start..<bytes.count)
    }
    // `withUnsafeBytes` rethrows untyped errors, so the typed error travels in a Result.
    let result: Result<R, E> = bytes.withUnsafeBytes { all in
        let raws = identifiers.indices.map {
            RawIdentifier(kind: identifiers[$0].kind, value: UnsafeRawBufferPointer(rebasing: all[ranges[$0]]))
        }
        let src = sourceRange.map { UnsafeRawBufferPointer(rebasing: all[$0]) }
        return raws.withUnsafeBufferPointer { ids in
            Result { () throws(E) -> R in try body(UnsafeRawBufferPointer(rebasing: all[0..<keyCount]), src, ids) }
        }
    }
    return try result.get()
}
