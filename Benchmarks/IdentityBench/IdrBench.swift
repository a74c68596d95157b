import ArgumentParser
import IdentityResolution

/// `idr-bench`: resolve, generate and score bulk files of customer records.
@main
struct IdrBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idr-bench",
        abstract: "Bulk customer identity resolution with idr: resolve, generate, score.",
        subcommands: [ResolveCommand.self, GenerateCommand.self, ScoreCommand.self, ExplainCommand.self, BenchCommand.self, ABIBenchCommand.self, OnlineBenchCommand.self]
    )
}

/// Runs `body`, turning an `IDRError` into a one-line message and exit status 1.
func reportingErrors(_ command: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as IDRError {
        printError("idr-bench \(command): error: \(e.message)")
        throw ExitCode(1)
    }
}
