#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress bar on stderr (bytes and records done, rate, ETA), drawn only when
/// stderr is a terminal and at most four times a second; silent otherwise.
struct Progress {
    let total: Int
    private let enabled: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var last: ContinuousClock.Instant
    private var drawn = false

    init(totalBytes: Int) {
        total = totalBytes
        enabled = isatty(2) != 0
        start = clock.now
        last = start
    }

    /// Call often; it decides when to draw.
    mutating func update(bytes: Int, records: Int) {
        guard enabled else { return }
        let now = clock.now
        guard now - last >= .milliseconds(250) else { return }
        last = now
        let elapsed = seconds(now - start)
        let rate = elapsed > 0 ? Double(records) / elapsed : 0
        let mbps = elapsed > 0 ? Double(bytes) / elapsed / 1e6 : 0
        var line = "\r  \(grouped(records)) records, \(grouped(bytes >> 20)) MiB"
        if total > 0 {
            let fraction = min(1, Double(bytes) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(Int(fraction * 100))%"
            if bytes > 0, mbps > 0 { line += ", ETA \(fixed(Double(total - bytes) / 1e6 / mbps, 0)) s" }
        }
        line += ", \(grouped(Int(rate))) records/s, \(fixed(mbps, 1)) MB/s   "
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        drawn = true
    }

    /// Clears the bar's line.
    mutating func finish() {
        guard drawn else { return }
        var clear = "\r" + String(repeating: " ", count: 100) + "\r"
        clear.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        drawn = false
    }
}
