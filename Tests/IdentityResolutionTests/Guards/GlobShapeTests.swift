import Testing
@testable import IdentityResolution

@Suite("Glob shapes")
struct GlobShapeTests {
    /// The shape's answer equals the plain glob match on random patterns and texts over a small
    /// alphabet (so that matches are frequent), stars and question marks included.
    @Test(arguments: [1, 2, 3, 4])
    func shapeMatchesGlob(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let alphabet = Array("ab@.*?".utf8), textAlphabet = Array("ab@.*?".utf8.prefix(5))
        var matches = 0, literalMiddles = 0
        for _ in 0..<4_000 {
            let pattern = (0..<Int.random(in: 0...7, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let text = (0..<Int.random(in: 0...9, using: &rng)).map { _ in textAlphabet.randomElement(using: &rng)! }
            pattern.withUnsafeBufferPointer { p in
                text.withUnsafeBytes { t in
                    let expected = globMatches(p, t)
                    if expected { matches += 1 }
                    let shape = GlobShape(p)
                    if case .literal = shape.middle { literalMiddles += 1 }
                    #expect(shape.matches(p, t) == expected, "\(String(decoding: pattern, as: UTF8.self)) vs \(String(decoding: text, as: UTF8.self))")
                }
            }
        }
        #expect(matches > 100)
        // Patterns like `a*b.*`, decided by a substring search, were among those checked.
        #expect(literalMiddles > 100)
    }
}
