import CXXHash

/// The 128-bit fingerprint of a normalized identifier value: what erasure tombstones hold, and
/// what a hash-only engine stores instead of the value.
package struct Fingerprint: Hashable, Sendable, Comparable {
    package var high: UInt64
    package var low: UInt64
    /// Bytes of a stored fingerprint.
    package static let byteCount = 16

    package init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    package static func < (a: Fingerprint, b: Fingerprint) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// 32 lowercase hex digits, prefixed with `#` so it cannot be mistaken for a value.
    package var text: String {
        var out: [UInt8] = [UInt8(ascii: "#")]
        let digits = Array("0123456789abcdef".utf8)
        for word in [high, low] {
            for shift in stride(from: 60, through: 0, by: -4) { out.append(digits[Int((word >> UInt64(shift)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The fingerprint as it is interned in hash-only mode: 16 bytes, big-endian.
    package func store(into p: UnsafeMutablePointer<UInt8>) {
        for i in 0..<8 {
            p[i] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * i))
            p[8 + i] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * i))
        }
    }

    /// Reads the 16 bytes ``store(into:)`` wrote.
    package init(stored b: UnsafeRawBufferPointer) {
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 {
            h = h << 8 | UInt64(b[i])
            l = l << 8 | UInt64(b[8 + i])
        }
        self.init(high: h, low: l)
    }
}

/// Computes fingerprints: XXH3-128 with a secret derived from the engine's hash-only secret, or
/// plain XXH3-128 (seed 0) when there is none.
///
/// Why derive: XXH3's secret form wants at least 136 bytes that look random; users hand us a
/// passphrase of any length. Expanding it with XXH3-128 under 12 different seeds gives 192 bytes
/// that depend on every byte of it. This is not a cryptographic KDF, and none is claimed (README,
/// "Hash-only mode").
package struct ValueFingerprinter: Sendable {
    private let secret: [UInt8]?
    /// A check value of the secret, stored in snapshots so that a wrong secret is refused at load
    /// instead of silently matching nothing. 0 without a secret.
    package let verifier: UInt64

    package init(secret user: [UInt8]?) {
        guard let user else {
            secret = nil
            verifier = 0
            return
        }
        var derived: [UInt8] = []
        derived.reserveCapacity(192)
        user.withUnsafeBytes { u in
            for seed in 0..<12 as Range<UInt64> {
                let h = XXH3_128bits_withSeed(u.baseAddress, u.count, 0x6964_722D_6B64_6600 | seed)
                for word in [h.high64, h.low64] {
                    for i in 0..<8 { derived.append(UInt8(truncatingIfNeeded: word >> UInt64(8 * i))) }
                }
            }
        }
        secret = derived
        verifier = derived.withUnsafeBytes { XXH3_64bits_withSeed($0.baseAddress, $0.count, 0x7665_7269_6679) } | 1
    }

    /// Whether a secret is in use (hash-only mode).
    package var isKeyed: Bool { secret != nil }

    /// The fingerprint of `n` normalized bytes at `p` of kind `kind`.
    @inline(__always)
    package func fingerprint(_ p: UnsafeRawPointer, _ n: Int, kind: UInt32) -> Fingerprint {
        let h: XXH128_hash_t
        if let secret {
            // The kind is mixed in after hashing (kinds tag table entries anyway); XOR keeps the
            // 128 bits uniform.
            h = secret.withUnsafeBytes { XXH3_128bits_withSecret(p, n, $0.baseAddress, $0.count) }
        } else {
            h = XXH3_128bits_withSeed(p, n, 0)
        }
        return Fingerprint(high: h.high64, low: h.low64 ^ (UInt64(kind) &* 0x9E37_79B9_7F4A_7C15))
    }
}
