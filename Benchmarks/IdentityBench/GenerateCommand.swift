import ArgumentParser
import IdentityFiles
import IdentityResolution

/// `idr-bench generate`: synthetic customer records and their ground truth.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate synthetic customer records with ground truth (same seed, same bytes)."
    )

    @Option(help: "Number of records.")
    var records: Int

    @Option(help: "Random seed.")
    var seed: UInt64 = 42

    @Option(help: "Records CSV to write.")
    var out: String

    @Option(help: "Truth CSV to write (record_id,true_entity_id).")
    var truth: String?

    @Option(help: ArgumentHelp(
        "Person attribute columns (first_name,last_name,dob,zip,address,city) and their noise: none (identifiers only), typical, or hard (more typos, nicknames, swapped names, missing fields, moves, 30% attribute-only records).",
        valueName: "LEVEL"))
    var attributes: AttributeNoise = .none

    func validate() throws {
        guard records >= 0, records <= 1_000_000_000 else { throw ValidationError("--records must be 0...1000000000") }
    }

    func run() throws {
        try reportingErrors("generate") {
            var generator = CustomerGenerator(records: records, seed: seed, attributes: attributes)
            let data = generator.generate()
            // Records of one person are spread through the file, as exports interleave channels.
            var rng = Xoshiro(seed: seed ^ 0x5EED_0F_0DE5)
            var order = Array(0..<UInt32(data.ends.count))
            if order.count > 1 {
                for i in stride(from: order.count - 1, to: 0, by: -1) {
                    order.swapAt(i, rng.below(i + 1))
                }
            }
            let out = try OutputFile(path: self.out)
            let truthFile = try truth.map { (p) throws(IDRError) in try OutputFile(path: p) }
            try out.write("record_id,source,email,phone,loyalty_id,device_id,pos_card"
                + (attributes == .none ? "\n" : ",first_name,last_name,dob,zip,address,city\n"))
            try truthFile?.write("record_id,true_entity_id\n")
            try data.bytes.withUnsafeBytes { bytes in
                for (n, i) in order.enumerated() {
                    let row = Int(i)
                    let start = row == 0 ? 0 : data.ends[row - 1]
                    try writeID(out, source: Int(data.source[row]), n: n)
                    try out.write(byte: 0x2C)
                    try out.write(UnsafeRawBufferPointer(rebasing: bytes[start..<data.ends[row]]))
                    try out.write(byte: 0x0A)
                    if let t = truthFile {
                        try writeID(t, source: Int(data.source[row]), n: n)
                        try t.write(",P")
                        try t.write(decimal: UInt64(data.person[row]))
                        try t.write(byte: 0x0A)
                    }
                }
            }
            try out.commit()
            try truthFile?.commit()
        }
    }

    private func writeID(_ f: OutputFile, source: Int, n: Int) throws(IDRError) {
        try f.write(CustomerGenerator.sources[source])
        try f.write(byte: 0x2D)
        try f.write(decimal: UInt64(n))
    }
}
extension AttributeNoise: ExpressibleByArgument {}
