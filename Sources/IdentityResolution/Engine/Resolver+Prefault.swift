extension Resolver {
    /// The spans of the arrays that adds append to (the interned bytes and entry words of
    /// records and values, the occurrences, the per-value and per-record flags) that the `rows`
    /// rows after the next `skip` will fill (``GrowthSpans``): for a loader's second thread
    /// to fault in while this one adds. Only the capacity reserved beforehand
    /// (``reserveCapacity(records:identifiers:bytes:)``) is covered; growth past it reallocates
    /// as before.
    package func growthSpans(skip: Int, rows: Int) -> GrowthSpans {
        var spans = GrowthSpans()
        let n = records.count
        spans.add(records.arena, rowsSoFar: n, skip: skip, rows: rows)
        spans.add(records.entries, rowsSoFar: n, skip: skip, rows: rows)
        spans.add(values.arena, rowsSoFar: n, skip: skip, rows: rows)
        spans.add(values.entries, rowsSoFar: n, skip: skip, rows: rows)
        spans.add(valueIsPlaceholder, rowsSoFar: n, skip: skip, rows: rows)
        spans.add(occurrenceRecord, rowsSoFar: n, skip: skip, rows: rows)
        spans.add(occurrenceValue, rowsSoFar: n, skip: skip, rows: rows)
        spans.add(recordSource, rowsSoFar: n, skip: skip, rows: rows)
        return spans
    }
}
