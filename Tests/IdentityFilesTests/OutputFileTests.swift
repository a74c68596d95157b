#if canImport(Glibc)
import Glibc
#endif
import Testing
import IdentityFiles
import IdentityResolution

/// A CSV field as RFC 4180 writes it: quoted (quotes doubled) only when needed.
private func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences("\"", "\"\"") + "\"" : s
}

@Suite("Output file rows")
struct OutputFileRowTests {
    /// Decimals of every length, at and around each power of ten and at random, as Swift
    /// prints them.
    @Test func decimalsMatchDescription() {
        var numbers: [UInt64] = [0, .max, .max - 1]
        var p: UInt64 = 1
        for _ in 0..<20 {
            numbers += [p - 1, p, p + 1, p &* 5]
            p = p &* 10
        }
        var rng = SplitMix(seed: 7)
        for _ in 0..<10_000 { numbers.append(rng.next() >> (rng.next() % 64)) }
        let out = UnsafeMutablePointer<UInt8>.allocate(capacity: OutputFile.maxCSVRowBytes(keyCount: 0))
        defer { out.deallocate() }
        for n in numbers {
            let written = OutputFile.formatCSVRow(key: UnsafeRawBufferPointer(start: nil, count: 0), decimal: n, into: out)
            #expect(String(decoding: UnsafeBufferPointer(start: out, count: written), as: UTF8.self) == ",\(n)\n")
        }
    }

    /// Rows written in place equal the obvious formatting, whatever the buffer size: the
    /// smallest buffers force every fallback (a flush before the row, a field larger than the
    /// buffer written in pieces).
    @Test(arguments: [64, 100, 1 << 20])
    func rowsMatchReference(bufferSize: Int) throws {
        let numbers: [UInt64] = [0, 1, 9, 10, 99, 100, 101, 999, 1000, 12345, 9_999_999_999_999_999_999,
                                 10_000_000_000_000_000_000, .max, 1 << 63, 42_000_000_000_000_000]
        let keys = ["a", "", "web-17", "comma,key", "quote\"key", "line\nbreak", "cr\rkey", "\"\"",
                    String(repeating: "x", count: 150), String(repeating: "\",", count: 90), "ünïcode"]
        let path = "/tmp/idr-output-test-\(getpid())-\(bufferSize).csv"
        defer { unlink(path) }
        let out = try OutputFile(path: path, bufferSize: bufferSize)
        var expected = ""
        for (i, key) in keys.enumerated() {
            for n in numbers.dropFirst(i % 3) {
                var k = key
                k.withUTF8 { u in try! out.writeCSVRow(key: UnsafeRawBufferPointer(u), decimal: n) }
                expected += "\(csvField(key)),\(n)\n"
            }
            try out.writeCSVField(key)
            try out.write(byte: 0x3B)
            try out.write(decimal: UInt64(i))
            try out.write("|\(key)|\n")
            expected += "\(csvField(key));\(i)|\(key)|\n"
        }
        try out.commit()
        #expect(try readAll(path) == Array(expected.utf8))
    }
}
