#if canImport(Glibc)
import Glibc
#endif
import Testing
import IdentityFiles
import IdentityResolution

private func read(_ text: String, columns: [String] = ["record_id", "email", "phone"], chunk: Int = 64) throws(IDRError) -> [[String]] {
    let path = temporaryFile(Array(text.utf8))
    defer { unlink(path) }
    var reader = JSONLinesReader(input: try InputFile(path: path), columns: columns, chunkSize: chunk)
    var rows: [[String]] = []
    while try reader.next() {
        let row = reader.currentRow
        rows.append((0..<row.count).map { String(decoding: row[$0], as: UTF8.self) })
    }
    return rows
}

@Suite("JSON Lines reader")
struct JSONLinesReaderTests {
    @Test func valuesAndEscapes() throws {
        let text = """
        {"record_id": "a", "email": "A@x.com", "phone": 5551234567, "other": true}

        {"email": null, "record_id": "b\\u00e9\\ud83d\\ude00", "phone": "\\"q\\" \\\\ \\/ \\t"}
        {}
        {"record_id":"c","phone":-1.5e3}
        """
        #expect(try read(text) == [
            ["a", "A@x.com", "5551234567"],
            ["bé😀", "", "\"q\" \\ / \t"],
            ["", "", ""],
            ["c", "", "-1.5e3"],
        ])
    }

    @Test func longLinesAcrossChunks() throws {
        let long = String(repeating: "x", count: 300)
        let rows = try read((0..<10).map { "{\"record_id\": \"\($0)\", \"email\": \"\(long)\"}" }.joined(separator: "\n"))
        #expect(rows.count == 10 && rows.allSatisfy { $0[1] == long })
    }

    @Test(arguments: [
        ("{\"record_id\": {\"a\": 1}}", "object or array"),
        ("{\"record_id\": [1]}", "object or array"),
        ("[1, 2]", "expected a JSON object"),
        ("{\"record_id\": \"a\"", "unterminated object"),
        ("{\"record_id\": \"a}", "unterminated string"),
        ("{\"record_id\": \"\\ud800\"}", "lone surrogate"),
        ("{\"record_id\": \"\\q\"}", "invalid escape"),
        ("{\"record_id\": nope}", "invalid literal"),
        ("{\"record_id\": yes}", "invalid value"),
        ("{\"record_id\": \"a\"} trailing", "text after the object"),
        ("{\"record_id\": \"a\tb\"}", "control character"),
    ])
    func malformedLinesNameTheLine(text: String, message: String) {
        #expect { try read("{\"record_id\": \"ok\"}\n" + text) } throws: { e in
            let e = e as! IDRError
            return e.code == .corruptData && e.message.contains("line 2") && e.message.contains(message)
        }
    }
}
