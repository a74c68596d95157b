import ArgumentParser
import IdentityFiles
import IdentityResolution

/// `idr-bench score --truth T --predicted P`: pairwise precision, recall and F1.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Pairwise precision, recall and F1 of a predicted clustering against the truth.",
        discussion: """
            Both files are CSV with a header; the first column is the record ID, the second the \
            cluster. Pairs are counted from the contingency table (never enumerated), so any size \
            works. Records missing from either file are reported and left out.
            """
    )

    @Option(help: "Truth CSV: record_id,true_entity_id.")
    var truth: String

    @Option(help: "Predicted CSV: record_id,entity_id (the output of resolve).")
    var predicted: String

    func run() throws {
        try reportingErrors("score") {
            let truthClusters = try readClusters(truth)
            let predictedClusters = try readClusters(predicted)
            let score = PairwiseScore(truth: truthClusters, predicted: predictedClusters)
            print(score.text)
        }
    }

    /// record ID → cluster label, from the first two columns.
    private func readClusters(_ path: String) throws(IDRError) -> [String: String] {
        var csv = CSVReader(input: try InputFile(path: path))
        guard try csv.next(), csv.fieldCount >= 2 else { throw IDRError(.corruptData, "\(path): header with two columns expected") }
        var out: [String: String] = [:]
        while try csv.next() {
            guard csv.fieldCount >= 2 else { throw IDRError(.corruptData, "\(path) line \(csv.rowLine): two fields expected") }
            out[csv.field(0)] = csv.field(1)
        }
        return out
    }
}

/// Pairwise clustering scores from contingency counts.
struct PairwiseScore {
    var records = 0
    var missing = 0
    var truePairs = 0
    var predictedPairs = 0
    var correctPairs = 0
    var trueClusters = 0
    var predictedClusters = 0
    var largestTrue = 0
    var largestPredicted = 0

    init(truth: [String: String], predicted: [String: String]) {
        var trueSize: [String: Int] = [:]
        var predictedSize: [String: Int] = [:]
        var both: [String: [String: Int]] = [:]
        for (record, t) in truth {
            guard let p = predicted[record] else { missing += 1; continue }
            records += 1
            trueSize[t, default: 0] += 1
            predictedSize[p, default: 0] += 1
            both[t, default: [:]][p, default: 0] += 1
        }
        missing += predicted.keys.filter { truth[$0] == nil }.count
        func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
        truePairs = trueSize.values.reduce(0) { $0 + pairs($1) }
        predictedPairs = predictedSize.values.reduce(0) { $0 + pairs($1) }
        correctPairs = both.values.reduce(0) { acc, row in row.values.reduce(acc) { $0 + pairs($1) } }
        trueClusters = trueSize.count
        predictedClusters = predictedSize.count
        largestTrue = trueSize.values.max() ?? 0
        largestPredicted = predictedSize.values.max() ?? 0
    }

    var precision: Double { predictedPairs == 0 ? 1 : Double(correctPairs) / Double(predictedPairs) }
    var recall: Double { truePairs == 0 ? 1 : Double(correctPairs) / Double(truePairs) }
    var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }

    var text: String {
        """
        records \(grouped(records))\(missing > 0 ? " (\(grouped(missing)) in only one file, left out)" : "")
        true entities \(grouped(trueClusters)) (largest \(grouped(largestTrue))), predicted entities \(grouped(predictedClusters)) (largest \(grouped(largestPredicted)))
        pairs: true \(grouped(truePairs)), predicted \(grouped(predictedPairs)), correct \(grouped(correctPairs))
        precision \(fixed(precision, 4))  recall \(fixed(recall, 4))  F1 \(fixed(f1, 4))
        """
    }
}
