#if canImport(Glibc)
import Glibc
#endif
import IdentityFiles
import IdentityResolution

/// libFuzzer targets over the Swift-only inputs (the C ABI's targets are in bindings/c/fuzz).
///
/// Built with `-sanitize=fuzzer,address -DFUZZING` (bindings/c/fuzz/run.sh), the binary is a
/// libFuzzer driver and `IDR_FUZZ_TARGET` picks the target. Built normally, it replays files:
/// `idr-fuzz TARGET FILE...` runs each file through the target (make test replays the corpora
/// and every saved crash this way). A target traps (`fatalError`) when a property fails, so the
/// fuzzer reports it as a crash.
enum FuzzTarget: String, CaseIterable {
    /// The CSV reader: any bytes give rows or clear errors, and the rows do not depend on how
    /// the input is cut into chunks (1-byte reads against 64 KiB reads).
    case csv
    /// The JSON Lines reader, with the same chunking property.
    case jsonl
    /// Every normalizer: valid UTF-8 out, bounded length, idempotent; attribute names and dates.
    case normalize

    func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .csv: fuzzReader(data, jsonl: false)
        case .jsonl: fuzzReader(data, jsonl: true)
        case .normalize: fuzzNormalize(data)
        }
    }
}

/// One scratch file per process (libFuzzer runs inputs one after another).
private let scratchPath = "/tmp/idr-fuzz-input-\(getpid())"

/// Everything a reader produced: rows (fields) and errors, in order.
private func readAll(jsonl: Bool, chunkSize: Int) -> [String] {
    var out: [String] = []
    guard let file = try? InputFile(path: scratchPath) else { return ["cannot open"] }
    func record(_ row: CSVRow) {
        var fields: [String] = []
        for i in 0..<row.count { fields.append(String(decoding: row[i], as: UTF8.self)) }
        out.append(fields.joined(separator: "\u{1F}"))
    }
    if jsonl {
        var reader = JSONLinesReader(input: file, columns: ["record_id", "email", "phone"], maxLineLength: 256, chunkSize: chunkSize)
        // Every call consumes input or ends it, so this terminates; the bound is a backstop.
        for _ in 0..<100_000 {
            do {
                guard try reader.next() else { return out }
                record(reader.currentRow)
            } catch {
                out.append("error at line \(reader.rowLine): \(error.message)")
                return out   // a JSON Lines error ends the read (the CLI's fail mode)
            }
        }
        fatalError("the JSON Lines reader does not terminate")
    } else {
        var reader = CSVReader(input: file, maxFieldLength: 64, chunkSize: chunkSize)
        for _ in 0..<100_000 {
            do {
                guard try reader.next() else { return out }
                record(reader.currentRow)
            } catch {
                out.append("error at line \(reader.rowLine): \(error.message)")
                do { try reader.skipToNextLine() } catch { out.append("skip failed: \(error.message)"); return out }
            }
        }
        fatalError("the CSV reader does not terminate")
    }
}

private func fuzzReader(_ data: UnsafeRawBufferPointer, jsonl: Bool) {
    let fd = open(scratchPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return }
    if data.count > 0 { _ = write(fd, data.baseAddress!, data.count) }
    close(fd)
    defer { unlink(scratchPath) }
    let small = readAll(jsonl: jsonl, chunkSize: 1)
    let large = readAll(jsonl: jsonl, chunkSize: 1 << 16)
    guard small == large else {
        fatalError("\(jsonl ? "JSON Lines" : "CSV") rows depend on the chunk size:\n1-byte reads: \(small)\n64 KiB reads: \(large)")
    }
}

private func fuzzNormalize(_ data: UnsafeRawBufferPointer) {
    guard data.count >= 2 else { return }
    let rules: [NormalizationRule] = [.email, .phone, .deviceID, .token, .caseFolded, .exact]
    if Int(data[0]) % 8 >= rules.count {
        fuzzAttributes(UnsafeRawBufferPointer(rebasing: data[2...]), name: Int(data[0]) % 8 == rules.count)
        fuzzAttributeStore(UnsafeRawBufferPointer(rebasing: data[2...]), kind: IdentifierKind.attributes[Int(data[1]) % 6])
        return
    }
    let rule = rules[Int(data[0]) % rules.count]
    var c = ResolverConfiguration()
    c.emailDropPlusTag = data[1] & 1 != 0
    c.emailGmailDots = data[1] & 2 != 0
    c.defaultCountryCode = [1, 44, 39, 999][Int(data[1] >> 2) & 3]
    c.phoneTrunkPrefix = [.automatic, .none, .digit(0), .digit(8)][Int(data[1] >> 4) & 3]
    c.limits.maxValueLength = data[1] & 0x40 != 0 ? 16 : 1024
    let normalizer = Normalizer(configuration: c)
    // The second pass, like the engine's check of stored values, without the input length
    // limit: a normalized value may be a little longer than its input.
    var relaxed = c
    relaxed.limits.maxValueLength += Normalizer.outputSlack
    let checker = Normalizer(configuration: relaxed)
    let value = UnsafeRawBufferPointer(rebasing: data[2...])
    let capacity = value.count + Normalizer.outputSlack
    let out = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    let again = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + Normalizer.outputSlack)
    defer { out.deallocate(); again.deallocate() }
    guard case .valid(let n) = normalizer.normalize(value, rule: rule, into: out) else { return }
    guard n <= capacity, n <= c.limits.maxValueLength + Normalizer.outputSlack else { fatalError("normalized output too long: \(n)") }
    let normalized = UnsafeRawBufferPointer(start: out, count: n)
    guard String(validating: normalized, as: UTF8.self) != nil else { fatalError("normalized output is not UTF-8") }
    guard case .valid(let m) = checker.normalize(normalized, rule: rule, into: again) else {
        fatalError("\(rule): a normalized value is invalid when normalized again: \(Array(normalized))")
    }
    guard m == n, memcmp(out, again, n) == 0 else {
        fatalError("\(rule): not idempotent: \(Array(normalized)) -> \(Array(UnsafeRawBufferPointer(start: again, count: m)))")
    }
}

/// Attribute normalization (fuzzy matching groundwork): a folded name folds to itself; a parsed
/// date written back as YYYY-MM-DD parses to the same day.
private func fuzzAttributes(_ value: UnsafeRawBufferPointer, name: Bool) {
    if name {
        guard let once = AttributeNormalizer.name(value) else { return }
        let twice = once.withUnsafeBytes { AttributeNormalizer.name($0) }
        guard twice == once else { fatalError("name folding is not idempotent: \(Array(value)) -> \(once) -> \(twice ?? [])") }
    } else {
        guard let day = AttributeNormalizer.date(value) else { return }
        let text = "\(day / 10_000)-\(day / 100 % 100)-\(day % 100)"
        let text4 = String(repeating: "0", count: max(0, 4 - String(day / 10_000).count)) + text
        guard AttributeNormalizer.date(text4) == day else { fatalError("date \(day) does not read back from \(text4)") }
    }
}

/// One store for every input (building its tables per input would slow fuzzing); the fuzzer is
/// single-threaded.
nonisolated(unsafe) private var fuzzStore = AttributeStore(configuration: FuzzyMatching())

/// The attribute normalization of fuzzy matching (nicknames, placeholders, street words): a
/// valid value is short, UTF-8, and normalizes to itself.
private func fuzzAttributeStore(_ value: UnsafeRawBufferPointer, kind: IdentifierKind) {
    var once: [UInt8] = [], twice: [UInt8] = []
    guard fuzzStore.normalize(kind, value, into: &once) == .valid else { return }
    guard !once.isEmpty, once.count <= AttributeStore.maxLength, String(validating: once, as: UTF8.self) != nil else {
        fatalError("\(kind): bad normalized attribute \(once)")
    }
    let again = once.withUnsafeBytes { fuzzStore.normalize(kind, $0, into: &twice) }
    guard again == .valid, twice == once else { fatalError("\(kind): not idempotent: \(once) -> \(twice) (\(again))") }
}

#if FUZZING
/// The target named by IDR_FUZZ_TARGET, read once.
private let activeTarget: FuzzTarget = {
    guard let raw = getenv("IDR_FUZZ_TARGET"), let t = FuzzTarget(rawValue: String(cString: raw)) else {
        fatalError("set IDR_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
    }
    return t
}()

/// libFuzzer's driver entry point (compiler-rt, `FuzzerInterface.h`). SwiftPM names an
/// executable's entry point itself, so the driver is started from `main` instead of linking
/// libFuzzer's own `main`.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@main
struct FuzzDriver {
    static func main() {
        _ = activeTarget
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            activeTarget.run(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        })
    }
}
#else
/// Replays files through a target: `idr-fuzz TARGET FILE...`.
@main
struct FuzzReplay {
    static func main() {
        let args = CommandLine.arguments
        guard args.count >= 2, let target = FuzzTarget(rawValue: args[1]) else {
            print("usage: idr-fuzz {\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|"))} FILE...")
            exit(2)
        }
        var count = 0
        for path in args.dropFirst(2) {
            guard let bytes = readFile(path) else {
                print("cannot read \(path)")
                exit(1)
            }
            bytes.withUnsafeBytes { target.run($0) }
            count += 1
        }
        print("idr-fuzz \(target.rawValue): \(count) inputs replayed, no failure")
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
    }
}
#endif
