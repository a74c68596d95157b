#if canImport(Glibc)
import Glibc
#endif
import Testing
import IdentityFiles
import IdentityResolution

/// Writes `bytes` to a fresh temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8]) -> String {
    var template = Array("/tmp/idr-test-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(fd >= 0)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    return String(cString: template)
}

/// Every row of a CSV text, read with the given chunk size.
func rows(_ text: [UInt8], chunk: Int = 1 << 16, maxField: Int = 1 << 20) throws(IDRError) -> [[String]] {
    let path = temporaryFile(text)
    defer { unlink(path) }
    var csv = CSVReader(input: try InputFile(path: path), maxFieldLength: maxField, chunkSize: chunk)
    var out: [[String]] = []
    while try csv.next() { out.append((0..<csv.fieldCount).map { csv.field($0) }) }
    return out
}

func rows(_ text: String, chunk: Int = 1 << 16) throws(IDRError) -> [[String]] { try rows(Array(text.utf8), chunk: chunk) }

@Suite("CSV reader")
struct CSVReaderTests {
    /// Chunk sizes down to the minimum put every construct across a buffer boundary.
    static let chunks = [64, 65, 67, 71, 1 << 16]

    @Test(arguments: chunks)
    func rfc4180(chunk: Int) throws {
        let text = "\u{FEFF}a,b,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n2,,\"multi\nline\"\n\n3,last,\n4,\"\",z"
        #expect(try rows(text, chunk: chunk) == [
            ["a", "b", "c"], ["1", "x,y", "say \"hi\""], ["2", "", "multi\nline"], ["3", "last", ""], ["4", "", "z"],
        ])
    }

    @Test(arguments: chunks)
    func longRowsAcrossChunks(chunk: Int) throws {
        let long = String(repeating: "v", count: 500)
        let text = (0..<20).map { "\($0),\(long),\"q\(long)\"" }.joined(separator: "\r\n") + "\r\n"
        let r = try rows(text, chunk: chunk)
        #expect(r.count == 20)
        #expect(r.allSatisfy { $0.count == 3 && $0[1] == long && $0[2] == "q" + long })
    }

    @Test func bareQuoteInsideUnquotedFieldIsData() throws {
        #expect(try rows("h\n5'11\",x\n") == [["h"], ["5'11\"", "x"]])
    }

    @Test func unterminatedQuoteNamesTheLine() {
        #expect { try rows("h\nok\n\"open\nstill open\n") } throws: { e in
            let e = e as! IDRError
            return e.code == .corruptData && e.message.contains("line 3") && e.message.contains("unterminated")
        }
    }

    @Test func textAfterClosingQuoteNamesTheLine() {
        #expect { try rows("h\n\"a\"b,c\n") } throws: { e in
            let e = e as! IDRError
            return e.code == .corruptData && e.message.contains("line 2")
        }
    }

    @Test func oversizedFieldIsAnError() {
        let big = Array("h\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 5000) + [0x0A]
        #expect { try rows(big, chunk: 256, maxField: 1000) } throws: { e in
            let e = e as! IDRError
            return e.code == .limitExceeded && e.message.contains("line 2")
        }
        let quoted = Array("h\n\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: 5000) + [0x22, 0x0A]
        #expect { try rows(quoted, chunk: 256, maxField: 1000) } throws: { e in (e as! IDRError).code == .limitExceeded }
    }

    @Test func emptyAndBlankInputs() throws {
        #expect(try rows("") == [])
        #expect(try rows("\n\r\n\n") == [])
        #expect(try rows("a") == [["a"]])
    }

    @Test func missingFileIsAnIOError() {
        #expect { _ = try InputFile(path: "/nonexistent/idr.csv") } throws: { ($0 as! IDRError).code == .io }
    }

    /// Random bytes, malformed rows included, give the same rows and errors whatever the chunk
    /// size: rows are parsed in the read buffer and parsed again when it ends inside one, so a
    /// row must not depend on where the reads cut it (the fuzz target's property, on seeds).
    @Test(arguments: [1, 2, 3, 4])
    func rowsAndErrorsDoNotDependOnChunks(seed: UInt64) throws {
        var rng = SplitMix(seed: seed)
        let alphabet = Array("ab,\"\n\r".utf8)
        var errors = 0
        for _ in 0..<60 {
            let text = (0..<Int.random(in: 0...400, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let path = temporaryFile(text)
            defer { unlink(path) }
            func readAll(chunk: Int) throws -> [String] {
                var reader = CSVReader(input: try InputFile(path: path), maxFieldLength: 12, chunkSize: chunk)
                var out: [String] = []
                while true {
                    do throws(IDRError) {
                        guard try reader.next() else { return out }
                        out.append("\(reader.rowLine):" + (0..<reader.fieldCount).map { reader.field($0) }.joined(separator: "|"))
                    } catch {
                        out.append("error \(error.code) at \(reader.rowLine): \(error.message)")
                        try reader.skipToNextLine()
                    }
                }
            }
            let reference = try readAll(chunk: 1 << 16)
            errors += reference.filter { $0.hasPrefix("error") }.count
            for chunk in [64, 65, 71, 100] { #expect(try readAll(chunk: chunk) == reference, "chunk \(chunk)") }
        }
        #expect(errors > 10)
    }

    /// Random CSV built from random fields round-trips through quoting and the reader.
    @Test(arguments: [1, 2, 3])
    func randomRoundTrip(seed: UInt64) throws {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            return z ^ (z >> 27)
        }
        let alphabet: [Character] = ["a", "b", ",", "\"", "\n", " ", "é", "1"]
        var expected: [[String]] = []
        var text = ""
        for _ in 0..<200 {
            let fields = (0..<3).map { _ in String((0..<Int(next() % 6)).map { _ in alphabet[Int(next() % 8)] }) }
            if fields.allSatisfy(\.isEmpty) { continue }
            expected.append(fields)
            text += fields.map { f in
                f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
                    ? "\"" + f.replacingOccurrences("\"", "\"\"") + "\"" : f
            }.joined(separator: ",") + (next() % 2 == 0 ? "\n" : "\r\n")
        }
        #expect(try rows(text, chunk: 64) == expected)
    }
}

@Suite("Output file")
struct OutputFileTests {
    @Test func writesAtomicallyAndQuotes() throws {
        let path = "/tmp/idr-out-\(getpid()).csv"
        defer { unlink(path) }
        do {
            let f = try OutputFile(path: path, bufferSize: 8)
            try f.write("id,v\n")
            try Array("a,\"b\"".utf8).withUnsafeBytes { b in try f.writeCSVField(b) }
            try f.write(byte: 0x2C)
            try f.write(decimal: 18_446_744_073_709_551_615)
            try f.write(byte: 0x0A)
            // Not committed yet: the final path does not exist.
            #expect(access(path, F_OK) != 0)
            try f.commit()
        }
        #expect(try rows(try readAll(path)) == [["id", "v"], ["a,\"b\"", "18446744073709551615"]])
    }

    @Test func uncommittedOutputLeavesNothing() throws {
        let path = "/tmp/idr-out-abandoned-\(getpid()).csv"
        do {
            let f = try OutputFile(path: path)
            try f.write("partial")
            try f.flush()
        }
        #expect(access(path, F_OK) != 0)
        #expect(access("\(path).tmp-\(getpid())", F_OK) != 0)
    }
}

func readAll(_ path: String) throws -> [UInt8] {
    let f = try InputFile(path: path)
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = try buf.withUnsafeMutableBytes { b in try f.read(into: b.baseAddress!, count: b.count) }
        if n == 0 { return out }
        out += buf[0..<n]
    }
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        var out = ""
        for c in self { out += String(c) == a ? b : String(c) }
        return out
    }
}
