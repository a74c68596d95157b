/// Disjoint sets over dense `UInt32` indices: union by size, path halving.
///
/// - Complexity: near-constant amortized time per operation (inverse Ackermann).
package struct UnionFind: Sendable {
    @usableFromInline var parent: [UInt32]
    @usableFromInline var size: [UInt32]

    /// `count` singletons.
    package init(count: Int) {
        // Huge pages: unions and finds jump around both arrays.
        parent = [UInt32](hugeCount: count) { p in
            for i in 0..<count { p.initializeElement(at: i, to: UInt32(truncatingIfNeeded: i)) }
        }
        size = [UInt32](hugeRepeating: 1, count: count)
    }

    /// Sets given by their arrays (a snapshot's, checked by its loader): `parent` a forest whose
    /// roots point to themselves, `size` each root's set size.
    package init(parent: [UInt32], size: [UInt32]) {
        self.parent = parent
        self.size = size
    }

    /// Prepares for `n` more elements, in memory advised for huge pages and faulted in.
    package mutating func reserve(_ n: Int) {
        parent.reserve(more: n)
        size.reserve(more: n)
    }

    /// Number of elements.
    package var count: Int { parent.count }

    /// Asks the CPU to fetch `x`'s parent and size words, which a union with `x` reads first
    /// (a hint: no effect on any result).
    @inline(__always)
    package func prefetch(_ x: Int) {
        parent.prefetch(x)
        size.prefetch(x)
    }

    /// The representative of `x`'s set, halving the path on the way.
    @inlinable
    package mutating func find(_ x: UInt32) -> UInt32 {
        withWords { $0.find(x) }
    }

    /// The representative of `x`'s set without touching the structure: safe for concurrent
    /// readers while no writer runs.
    @inlinable
    package func root(of x: UInt32) -> UInt32 {
        var x = Int(x)
        while true {
            let up = Int(parent[x])
            if up == x { return UInt32(x) }
            x = up
        }
    }

    /// Unites the sets of `a` and `b`; returns the new root, or `nil` if they were one set.
    @inlinable
    @discardableResult
    package mutating func union(_ a: UInt32, _ b: UInt32) -> UInt32? {
        withWords { $0.union(a, b) }
    }

    /// Links two distinct roots; the larger set's root (the smaller index on a tie) survives.
    @inlinable
    package mutating func link(_ ra: UInt32, _ rb: UInt32) -> UInt32 {
        withWords { $0.link(ra, rb) }
    }

    /// Points every element straight at its root and returns the parent array, now each
    /// element's root (one array for both, where a separate roots array would double it).
    package mutating func flattenRoots() -> [UInt32] {
        parent.withUnsafeMutableBufferPointer { p in
            for x in 0..<p.count {
                var r = Int(p[x])
                while Int(p[r]) != r { r = Int(p[r]) }
                p[x] = UInt32(r)
            }
        }
        return parent
    }

    /// The size of the set whose root is `root`.
    @inlinable
    package func setSize(ofRoot root: UInt32) -> Int { Int(size[Int(root)]) }

    /// Adds a singleton; returns its index.
    @discardableResult
    package mutating func append() -> UInt32 {
        let x = UInt32(parent.count)
        parent.append(x)
        size.append(1)
        return x
    }

    /// Makes `x` a singleton again. Only sound when every member of `x`'s old set is reset too
    /// (nothing outside the set points into it).
    package mutating func reset(_ x: UInt32) {
        parent[Int(x)] = x
        size[Int(x)] = 1
    }
}
