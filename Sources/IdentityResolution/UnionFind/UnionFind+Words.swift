import CXXHash

extension UnionFind {
    /// The parent and size words of a ``UnionFind`` as raw buffers, for a loop of millions of
    /// unions: the bulk link passes.
    ///
    /// Why: each ``UnionFind/union(_:_:)`` through the struct checks both arrays' uniqueness
    /// and, in a loop that also calls the C prefetch, Swift retained and released the arrays
    /// around every call (perf at 10M records: `swift_retain`/`swift_release` a fifth of the
    /// link pass's samples). Valid only inside ``withWords(_:)``; same rules as the struct
    /// (union by size, the smaller index on a tie, path halving), so a partition and its roots
    /// do not depend on which of the two is used.
    package struct Words {
        @usableFromInline let parent: UnsafeMutableBufferPointer<UInt32>
        @usableFromInline let size: UnsafeMutableBufferPointer<UInt32>

        /// Asks the CPU to fetch `x`'s parent and size words (a hint: no effect on results).
        @inline(__always)
        package func prefetch(_ x: Int) {
            idr_prefetch(parent.baseAddress! + x)
            idr_prefetch(size.baseAddress! + x)
        }

        /// The representative of `x`'s set, halving the path on the way.
        @inline(__always)
        package func find(_ x: UInt32) -> UInt32 {
            var x = Int(x)
            while true {
                let up = Int(parent[x])
                if up == x { return UInt32(x) }
                let grand = parent[up]
                parent[x] = grand
                x = Int(grand)
            }
        }

        /// Unites the sets of `a` and `b`; returns the new root, or `nil` if they were one set.
        @inline(__always)
        @discardableResult
        package func union(_ a: UInt32, _ b: UInt32) -> UInt32? {
            let ra = find(a)
            let rb = find(b)
            if ra == rb { return nil }
            return link(ra, rb)
        }

        /// Links two distinct roots; the larger set's root (the smaller index on a tie) survives.
        @inline(__always)
        package func link(_ ra: UInt32, _ rb: UInt32) -> UInt32 {
            let sa = size[Int(ra)]
            let sb = size[Int(rb)]
            let (big, small) = (sa > sb || (sa == sb && ra < rb)) ? (ra, rb) : (rb, ra)
            parent[Int(small)] = big
            size[Int(big)] = sa &+ sb
            return big
        }
    }

    /// Calls `body` with the structure's words (``Words``), which must not escape it.
    @inline(__always)
    package mutating func withWords<R>(_ body: (Words) -> R) -> R {
        parent.withUnsafeMutableBufferPointer { p in
            size.withUnsafeMutableBufferPointer { s in body(Words(parent: p, size: s)) }
        }
    }
}
