import Testing
@testable import IdentityResolution

/// ``GrowthSpans``: where the spans fall in an array's reserved capacity, and that populating
/// them, even after the array is gone, writes nothing.
@Suite("GrowthSpans")
struct GrowthSpansTests {
    @Test func spanFollowsTheAverageGrowthPastTheSkippedRows() {
        var array = [UInt64](0..<100)
        array.reserveCapacity(1_000)
        var spans = GrowthSpans()
        // 100 elements over 50 rows: 2 per row. Skipping 10 rows starts at element 120; 20 rows
        // more end at element 160.
        spans.add(array, rowsSoFar: 50, skip: 10, rows: 20)
        let base = array.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress!) }
        #expect(spans.starts == [base + 120 * 8])
        #expect(spans.counts == [40 * 8])
        #expect(spans.bytes == 320)
    }

    @Test func spanStopsAtTheCapacity() {
        var array = [UInt32](repeating: 7, count: 10)
        array.reserveCapacity(64)
        let capacity = array.capacity
        var spans = GrowthSpans()
        spans.add(array, rowsSoFar: 10, skip: 0, rows: 1_000_000)
        let base = array.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress!) }
        #expect(spans.starts == [base + 10 * 4])
        #expect(spans.counts == [(capacity - 10) * 4])
    }

    @Test func noSpanWithoutRoomOrAnAverage() {
        var spans = GrowthSpans()
        var full = [UInt8]()
        full.reserveCapacity(16)
        while full.count < full.capacity { full.append(1) }
        spans.add(full, rowsSoFar: 4, skip: 0, rows: 4)         // no room left
        var room = [UInt8](repeating: 1, count: 16)
        room.reserveCapacity(4_096)
        spans.add(room, rowsSoFar: 0, skip: 0, rows: 100)      // no rows yet: no average
        spans.add([UInt8](), rowsSoFar: 10, skip: 0, rows: 100) // nothing appended yet
        spans.add(room, rowsSoFar: 16, skip: 5_000, rows: 10)  // past the capacity
        #expect(spans.count == 0)
    }

    @Test func populatingWritesNothingEvenAfterTheArrayIsGone() {
        var array = [UInt32](0..<50_000)
        array.reserveCapacity(4_000_000)
        var spans = GrowthSpans()
        spans.add(array, rowsSoFar: 50_000, skip: 0, rows: 3_000_000)
        #expect(spans.bytes == 3_000_000 * 4)
        spans.populate()
        #expect(array.elementsEqual(0..<50_000))
        array.append(contentsOf: 50_000..<3_000_000)
        #expect(array.elementsEqual(0..<3_000_000))

        // A stale span: its array freed (and its memory unmapped or reused) before the populate.
        var stale = GrowthSpans()
        do {
            var gone = [UInt64](repeating: 9, count: 1_000)
            gone.reserveCapacity(1 << 20)
            stale.add(gone, rowsSoFar: 1_000, skip: 0, rows: 1 << 20)
        }
        let survivor = [UInt64](repeating: 5, count: 1 << 19)
        stale.populate()
        #expect(survivor.allSatisfy { $0 == 5 })
    }
}
