import CIDR
import IdentityResolution

/// The stateless normalizer: default options.
private let defaultNormalizer = Normalizer(configuration: ResolverConfiguration())

@c @implementation
public func idr_normalize(
    _ kind: UInt32, _ value: UnsafePointer<CChar>?, _ value_len: Int,
    _ out: UnsafeMutablePointer<CChar>?, _ out_capacity: Int, _ out_len: UnsafeMutablePointer<Int>?
) -> idr_status {
    guard let out_len else { return fail(nil, .invalidArgument, "out_len is NULL") }
    guard let input = bytes(value, value_len) else { return fail(nil, .invalidArgument, "value is NULL or its length is too large") }
    guard out_capacity >= 0, out != nil || out_capacity == 0 else {
        return fail(nil, .invalidArgument, "out is NULL with a capacity, or the capacity is too large")
    }
    guard let rule = NormalizationRule.builtIn(for: IdentifierKind(rawValue: kind)) else {
        return fail(nil, .unknownKind, "kind \(kind) is not a built-in kind")
    }
    // Normalized output never exceeds the longest valid value plus the slack.
    let capacity = defaultNormalizer.maxValueLength + Normalizer.outputSlack
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
        switch defaultNormalizer.normalize(input, rule: rule, into: buffer.baseAddress!) {
        case .invalid(let reason):
            return fail(nil, .init(rawValue: -10), "invalid \(IdentifierKind(rawValue: kind)): \(reason)")
        case .valid(let n):
            out_len.pointee = n
            guard n < out_capacity, let out else {
                return fail(nil, .bufferTooSmall, "the normalized value needs \(n + 1) bytes, the buffer has \(out_capacity)")
            }
            UnsafeMutableRawPointer(out).copyMemory(from: buffer.baseAddress!, byteCount: n)
            out[n] = 0
            return succeed()
        }
    }
}
