#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import IdentityResolution

/// Writes a line to standard error.
func printError(_ s: String) {
    var line = s
    line.append("\n")
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// Peak resident set size of this process, in bytes.
func peakRSSBytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Int(usage.ru_maxrss) * 1024
}

/// Resident set size now, from /proc/self/statm (0 where it cannot be read).
func currentRSSBytes() -> Int {
    let fd = open("/proc/self/statm", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let n = read(fd, &buffer, buffer.count)
    guard n > 0 else { return 0 }
    let fields = buffer[0..<n].split(separator: UInt8(ascii: " "))
    guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Seconds in a duration.
func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) / 1e18
}

/// `1234567` → `1,234,567`.
func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0, (s.count - i) % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return n < 0 ? "-" + out : out
}

/// A number with `digits` decimals, without Foundation.
func fixed(_ x: Double, _ digits: Int = 2) -> String {
    guard x.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (abs(x) * scale).rounded()
    let whole = Int(v / scale)
    var frac = String(Int(v.truncatingRemainder(dividingBy: scale)))
    while frac.count < digits { frac = "0" + frac }
    return (x < 0 && v != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
}

/// A JSON string literal.
func jsonString(_ s: String) -> String { jsonQuoted(s) }

/// Exits with status 2 in a debug build: benchmarks of unoptimized code mislead.
func refuseDebugBuild(_ command: String) throws {
    #if DEBUG
    printError("idr-bench \(command): refusing to benchmark a debug build (use swift build -c release)")
    throw ExitCode(2)
    #endif
}

/// `s` as one CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.
func csvField(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
    var out = "\""
    for c in s { out += c == "\"" ? "\"\"" : String(c) }
    return out + "\""
}
