/// The draws synthesis makes, written out so that they never depend on how a Swift release
/// implements `random(in:)`: the byte-identical-output promise covers toolchain upgrades too.
enum SynthDraw {
    /// Uniform in `0..<count` (Lemire's unbiased multiply-and-reject); one or more `next()` calls.
    static func index(below count: Int, using rng: inout some RandomNumberGenerator) -> Int {
        precondition(count > 0)
        let range = UInt64(count)
        var m = rng.next().multipliedFullWidth(by: range)
        if m.low < range {
            let threshold = (0 &- range) % range
            while m.low < threshold { m = rng.next().multipliedFullWidth(by: range) }
        }
        return Int(m.high)
    }

    /// Uniform in [0, 1) with 53 bits; one `next()` call.
    static func unit(using rng: inout some RandomNumberGenerator) -> Double {
        Double(rng.next() >> 11) * 0x1p-53
    }

    /// Uniform in [lo, hi); one `next()` call.
    static func uniform(_ lo: Double, _ hi: Double, using rng: inout some RandomNumberGenerator) -> Double {
        lo + (hi - lo) * unit(using: &rng)
    }
}
