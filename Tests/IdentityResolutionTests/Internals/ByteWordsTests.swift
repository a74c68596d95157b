import Testing
@testable import IdentityResolution

@Suite("Byte words")
struct ByteWordsTests {
    /// Every byte value at every position of a word, among random neighbours, gives the
    /// answer of the one-byte test: no carry or borrow reaches another byte.
    @Test func masksMatchOneByteTests() {
        var rng = SplitMix64(seed: 11)
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = (0..<8).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes[position] = UInt8(value)
                let w = bytes.withUnsafeBufferPointer { ByteWords.load($0.baseAddress!) }
                func expected(_ test: (UInt8) -> Bool) -> UInt64 {
                    var m: UInt64 = 0
                    for (i, b) in bytes.enumerated() where test(b) { m |= 0x80 << UInt64(8 * i) }
                    return m
                }
                #expect(ByteWords.equal(w, 0x40) == expected { $0 == 0x40 })
                #expect(ByteWords.equal(w, 0x00) == expected { $0 == 0x00 })
                #expect(ByteWords.equal(w, 0xFF) == expected { $0 == 0xFF })
                #expect(ByteWords.less(w, 0x20) == expected { $0 < 0x20 })
                #expect(ByteWords.less(w, 0x80) == expected { $0 < 0x80 })
                #expect(ByteWords.less(w, 0) == 0)
                #expect(ByteWords.inRange(w, 0x41, 0x5A) == expected { (0x41...0x5A).contains($0) })
                #expect(ByteWords.control(w) == expected(isControlByte))
                #expect(ByteWords.lowerHex(w) == expected { Normalizer.isHex($0) })
                let lowered = ByteWords.lowercased(w)
                var out = [UInt8](repeating: 0, count: 8)
                out.withUnsafeMutableBufferPointer { ByteWords.store(lowered, $0.baseAddress!) }
                #expect(out == bytes.map(Normalizer.lower))
            }
        }
    }

    @Test func firstAndLastIndex() {
        #expect(ByteWords.firstIndex(0x80) == 0 && ByteWords.lastIndex(0x80) == 0)
        #expect(ByteWords.firstIndex(0x8000_0000_0080_0000) == 2 && ByteWords.lastIndex(0x8000_0000_0080_0000) == 7)
    }
}
