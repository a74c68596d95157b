import Testing
@testable import IdentityResolution

/// ``Column`` against `Array` as the reference, under random sequences of every operation the
/// engine uses, including growth past the huge-page allocation size.
@Suite("Column")
struct ColumnTests {
    @Test(arguments: [1, 2, 3, 4])
    func matchesArray(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let column = Column<UInt32>()
        var reference: [UInt32] = []
        for _ in 0..<20_000 {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<50:
                let x = UInt32.random(in: .min ... .max, using: &rng)
                column.append(x); reference.append(x)
            case 50..<70 where !reference.isEmpty:
                let i = Int.random(in: 0..<reference.count, using: &rng)
                let x = UInt32.random(in: .min ... .max, using: &rng)
                column[i] = x; reference[i] = x
            case 70..<80:
                #expect(column.popLast() == reference.popLast())
            case 80..<85:
                let n = Int.random(in: 0...3_000, using: &rng)
                let x = UInt32.random(in: .min ... .max, using: &rng)
                column.append(repeating: x, count: n); reference.append(contentsOf: repeatElement(x, count: n))
            case 85..<88:
                let n = Int.random(in: 0...reference.count, using: &rng)
                column.removeLast(n); reference.removeLast(n)
            case 88..<89:
                column.reserveCapacity(column.count + Int.random(in: 0...5_000, using: &rng))
            case 89..<90:
                column.reserve(more: Int.random(in: -1...5_000, using: &rng))
            case 90:
                column.removeAll(); reference.removeAll()
            default:
                if !reference.isEmpty {
                    let i = Int.random(in: 0..<reference.count, using: &rng)
                    #expect(column[i] == reference[i])
                    column.prefetch(i)
                }
                column.prefetch(-1)
                column.prefetch(reference.count)
            }
            #expect(column.count == reference.count)
            #expect(column.capacity >= column.count)
        }
        #expect(column.elements == reference)
        #expect(Array(column) == reference)
        #expect(column.withUnsafeBufferPointer { Array($0) } == reference)
    }

    /// Columns past 4 MiB take the huge-page path; contents survive growth and swaps.
    @Test func largeColumnsAndSwap() {
        let big = Column<UInt64>(repeating: 7, count: 600_000)
        big.append(8)
        #expect(big.count == 600_001 && big[0] == 7 && big[600_000] == 8)
        let built = Column<UInt64>(count: 1_000) { out in for i in out.indices { out[i] = UInt64(i) } }
        big.swapContents(with: built)
        #expect(big.elements == (0..<1_000).map { UInt64($0) })
        #expect(built.count == 600_001 && built[600_000] == 8)
        let copy = Column(built.lazy.map { $0 + 1 })
        #expect(copy[0] == 8 && copy.count == built.count)
        #expect(Column<Bool>().popLast() == nil)
    }

    /// Reserving a little more before each batch (the C batch call does) grows geometrically, as
    /// appends do: a reserve that grew to the exact count would copy the column every time. The
    /// reserved memory is faulted in (past the prefault threshold) and the contents stay.
    @Test func repeatedReservesGrowGeometrically() {
        let column = Column<UInt64>()
        var capacities: [Int] = []
        var array: [UInt32] = []
        var arrayCapacities: [Int] = []
        for batch in 0..<1_000 {
            column.reserve(more: 1_000)
            array.reserve(more: 1_000)
            if capacities.last != column.capacity { capacities.append(column.capacity) }
            if arrayCapacities.last != array.capacity { arrayCapacities.append(array.capacity) }
            #expect(column.capacity >= column.count + 1_000 && array.capacity >= array.count + 1_000)
            column.append(repeating: UInt64(batch), count: 1_000)
            array.append(contentsOf: repeatElement(UInt32(batch), count: 1_000))
        }
        // 1,000 reserves reaching a million elements: about log2(1,000) growths, not 1,000.
        #expect(capacities.count <= 12 && arrayCapacities.count <= 12)
        #expect(column[0] == 0 && column[999_999] == 999 && column.count == 1_000_000)
        #expect(array[0] == 0 && array[999_999] == 999 && array.count == 1_000_000)
        column.reserve(more: 1 << 20)
        #expect(column[999_999] == 999 && column.capacity >= column.count + 1 << 20)
    }
}
