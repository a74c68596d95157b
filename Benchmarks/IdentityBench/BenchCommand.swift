#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FoundationEssentials
import IdentityResolution

/// `idr-bench bench --records 1000000,10000000`: bulk resolve end to end and per stage.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark bulk resolve on generated data: per stage and end to end, min and median of several rounds.",
        discussion: """
            For each size, generates the records once (idr-bench generate), then runs idr-bench resolve \
            --stats in a child process per round, so that each round's peak RSS is its own. Reports \
            records/s, ns/record and MB/s per stage (ingest = parse + normalize + hash, link, write) \
            and end to end, the min and median over rounds, and the peak RSS. Refuses a debug build.
            """
    )

    @Option(help: "Comma-separated record counts.")
    var records: String = "1000000"

    @Option(help: "Random seed for generate.")
    var seed: UInt64 = 42

    @Option(help: "Rounds per size.")
    var rounds = 3

    @Option(help: "Comma-separated --threads values to run resolve with; the outputs must be identical.")
    var threads: String = "1,2"

    @Option(help: "Directory for the generated files (kept for reuse).")
    var dir = ".build/bench"

    func run() throws {
        try refuseDebugBuild("bench")
        try reportingErrors("bench") { try bench() }
    }

    private struct Stats: Decodable {
        var rows: Int
        var entities: Int
        var seconds: Seconds
        var peak_rss_bytes: Int
        struct Seconds: Decodable { var total: Double; var ingest: Double; var link: Double; var write: Double }
    }

    private func shell(_ command: String) throws(IDRError) {
        guard system(command) == 0 else { throw IDRError(.io, "command failed: \(command)") }
    }

    private func bench() throws(IDRError) {
        let sizes = records.split(separator: ",").compactMap { Int(trimmed($0)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }), rounds > 0 else {
            throw IDRError(.invalidArgument, "--records takes positive counts, --rounds a positive number")
        }
        let threadCounts = threads.split(separator: ",").compactMap { Int(trimmed($0)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ (1...64).contains($0) }) else {
            throw IDRError(.invalidArgument, "--threads takes counts 1...64")
        }
        let me = CommandLine.arguments[0]
        try shell("mkdir -p '\(dir)'")
        print("machine: \(cpuModel()), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores, \(physicalMemoryGiB()) GiB; rounds: \(rounds)")
        for n in sizes {
            let data = "\(dir)/records-\(n)-\(seed).csv"
            if access(data, F_OK) != 0 {
                try shell("'\(me)' generate --records \(n) --seed \(seed) --out '\(data)'")
            }
            var st = stat()
            stat(data, &st)
            let megabytes = Double(st.st_size) / 1e6
            for t in threadCounts {
                var runs: [Stats] = []
                for round in 0..<rounds {
                    let statsPath = "\(dir)/stats-\(n)-\(round).json"
                    try shell("'\(me)' resolve '\(data)' --out '\(dir)/out-\(n)-t\(t).csv' --stats '\(statsPath)' --threads \(t) --quiet")
                    guard let bytes = try FileIO.read(statsPath),
                          let stats = try? JSONDecoder().decode(Stats.self, from: Data(bytes)) else {
                        throw IDRError(.corruptData, "cannot read \(statsPath)")
                    }
                    runs.append(stats)
                }
                print("\n\(grouped(n)) records, \(fixed(megabytes, 1)) MB (\(grouped(runs[0].entities)) entities), --threads \(t)")
                print("stage    min s   median s   records/s     ns/record   MB/s")
                for (name, pick) in [("ingest", \Stats.seconds.ingest), ("link", \Stats.seconds.link),
                                     ("write", \Stats.seconds.write), ("total", \Stats.seconds.total)] {
                    let times = runs.map { $0[keyPath: pick] }.sorted()
                    let best = times[0], median = times[times.count / 2]
                    print(pad(name, 8) + pad(fixed(best, 3), 8) + pad(fixed(median, 3), 11) + pad(grouped(Int(Double(n) / best)), 14)
                        + pad(fixed(best * 1e9 / Double(n), 0), 12) + fixed(megabytes / best, 1))
                }
                print("peak RSS: \(grouped((runs.map(\.peak_rss_bytes).max() ?? 0) >> 20)) MiB")
                if t != threadCounts[0] {
                    let same = try FileIO.read("\(dir)/out-\(n)-t\(t).csv") == FileIO.read("\(dir)/out-\(n)-t\(threadCounts[0]).csv")
                    print("output identical to --threads \(threadCounts[0]): \(same ? "yes" : "NO")")
                    guard same else { throw IDRError(.corruptData, "--threads \(t) gave another output than --threads \(threadCounts[0])") }
                }
            }
        }
    }

    private func trimmed(_ s: Substring) -> String {
        String(s.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }

    private func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(1, width - s.count)) }

    private func cpuModel() -> String {
        guard let bytes = try? FileIO.read("/proc/cpuinfo") else { return "unknown CPU" }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { trimmed($0) } ?? "unknown CPU"
        }
        return "unknown CPU"
    }

    private func physicalMemoryGiB() -> Int {
        guard let bytes = try? FileIO.read("/proc/meminfo") else { return 0 }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let kib = Int(line.split(separator: " ").dropFirst().first { !$0.isEmpty } ?? "") ?? 0
            return (kib + (1 << 19)) >> 20
        }
        return 0
    }
}
