/// An error from idr: a status code shared with the C ABI and a human-readable message.
///
/// Every failing entry point of the core throws this one type (typed throws), so callers can
/// switch on `code` without casting. The message names the offending input where it can.
public struct IDRError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; its raw value is the C status code (`idr_status`).
    public var code: Code
    /// A message for people, naming the input that failed where possible.
    public var message: String

    /// Creates an error from a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `"<code name>: <message>"`.
    public var description: String { "\(code.name): \(message)" }
}

extension IDRError {
    /// A status code. Raw values are the C ABI's `idr_status` values and are never renumbered.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The C status value (`IDR_E_*`), always negative for errors.
        public var rawValue: Int32
        /// Wraps a raw C status value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// An argument is out of its documented domain (`IDR_E_INVALID_ARGUMENT`).
        public static let invalidArgument = Code(rawValue: -1)
        /// The record, value or entity asked for is not known (`IDR_E_NOT_FOUND`).
        public static let notFound = Code(rawValue: -2)
        /// A caller-provided buffer is too small (`IDR_E_BUFFER_TOO_SMALL`).
        public static let bufferTooSmall = Code(rawValue: -3)
        /// Bytes that must be UTF-8 are not (`IDR_E_INVALID_UTF8`).
        public static let invalidUTF8 = Code(rawValue: -4)
        /// Reading or writing a file failed (`IDR_E_IO`).
        public static let io = Code(rawValue: -5)
        /// Input data is malformed: bad CSV, a corrupted file (`IDR_E_CORRUPT`).
        public static let corruptData = Code(rawValue: -6)
        /// An allocation failed (`IDR_E_NO_MEMORY`).
        public static let outOfMemory = Code(rawValue: -7)
        /// A documented limit was exceeded (`IDR_E_LIMIT_EXCEEDED`).
        public static let limitExceeded = Code(rawValue: -8)
        /// The kind is neither built in nor registered (`IDR_E_UNKNOWN_KIND`).
        public static let unknownKind = Code(rawValue: -9)

        /// A short stable name, e.g. `"invalid argument"`.
        public var name: String {
            switch self {
            case .invalidArgument: "invalid argument"
            case .notFound: "not found"
            case .bufferTooSmall: "buffer too small"
            case .invalidUTF8: "invalid UTF-8"
            case .io: "I/O error"
            case .corruptData: "corrupt data"
            case .outOfMemory: "out of memory"
            case .limitExceeded: "limit exceeded"
            case .unknownKind: "unknown kind"
            default: "error \(rawValue)"
            }
        }

        /// Same as `name`.
        public var description: String { name }
    }
}
