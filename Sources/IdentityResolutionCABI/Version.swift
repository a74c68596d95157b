import CIDR

private let versionString: StaticString = "0.1.0"

@c @implementation
public func idr_version_number() -> UInt32 { 100 }

@c @implementation
public func idr_version_string() -> UnsafePointer<CChar>? {
    UnsafeRawPointer(versionString.utf8Start).assumingMemoryBound(to: CChar.self)
}

private let statusNames: [Int32: StaticString] = [
    0: "ok", -1: "invalid argument", -2: "not found", -3: "buffer too small", -4: "invalid UTF-8",
    -5: "I/O error", -6: "corrupt data", -7: "out of memory", -8: "limit exceeded", -9: "unknown kind",
    -10: "invalid value", -11: "unsupported version",
]
private let unknownStatus: StaticString = "unknown status"

@c @implementation
public func idr_status_string(_ status: idr_status) -> UnsafePointer<CChar>? {
    let name = statusNames[status.rawValue] ?? unknownStatus
    return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}
