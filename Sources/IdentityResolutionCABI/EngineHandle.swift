import CIDR
import IdentityResolution

/// What an `idr_engine *` points to: a ``SharedEngine`` (the engine behind a reader-writer lock).
typealias EngineHandle = SharedEngine

extension SharedEngine {
    /// The shared engine behind a C pointer (NULL gives nil).
    @inline(__always)
    static func from(_ p: OpaquePointer?) -> SharedEngine? {
        guard let p else { return nil }
        return Unmanaged<SharedEngine>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}
