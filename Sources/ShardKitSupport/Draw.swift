internal import Foundation

/// Every random draw ShardKit makes, written out so that none depends on how a Swift release
/// implements `random(in:)`: the byte-identical-output promise covers toolchain upgrades too.
package enum Draw {
    /// Uniform in `0...upper` (Lemire's unbiased multiply-and-reject); one or more `next()` calls.
    @inline(__always)
    package static func int(through upper: Int, using rng: inout some RandomNumberGenerator) -> Int {
        if upper <= 0 { return 0 }
        let range = UInt64(upper) + 1
        var m = rng.next().multipliedFullWidth(by: range)
        if m.low < range {
            let threshold = (0 &- range) % range
            while m.low < threshold { m = rng.next().multipliedFullWidth(by: range) }
        }
        return Int(m.high)
    }

    /// Uniform in `0..<count` (`count` > 0): `int(through: count - 1)`.
    @inline(__always)
    package static func index(below count: Int, using rng: inout some RandomNumberGenerator) -> Int {
        precondition(count > 0)
        return int(through: count - 1, using: &rng)
    }

    /// Uniform in [0, 1) with 53 bits; one `next()` call.
    @inline(__always)
    package static func unit(using rng: inout some RandomNumberGenerator) -> Double {
        Double(rng.next() >> 11) * 0x1p-53
    }

    /// Uniform in [lo, hi); one `next()` call.
    @inline(__always)
    package static func uniform(_ lo: Double, _ hi: Double, using rng: inout some RandomNumberGenerator) -> Double {
        lo + (hi - lo) * unit(using: &rng)
    }

    /// True with probability 1/2 (`unit < 0.5`, as `tf.image.random_flip_*` compare).
    @inline(__always)
    package static func coin(using rng: inout some RandomNumberGenerator) -> Bool {
        unit(using: &rng) < 0.5
    }

    /// A float uniform in [0, 1) with 24 bits; one `next()` call (weights and dropout masks).
    @inline(__always)
    package static func unitFloat(using rng: inout some RandomNumberGenerator) -> Float {
        Float(rng.next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A standard normal sample (Box–Muller over two 53-bit uniforms); two `next()` calls.
    package static func normal(using rng: inout some RandomNumberGenerator) -> Float {
        let u1 = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(1 - u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}
