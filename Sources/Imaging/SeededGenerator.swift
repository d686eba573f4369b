/// A deterministic random number generator: xoshiro256** seeded through SplitMix64 from a
/// run seed and a record key, so the draws for a record depend only on (seed, key) — never on
/// thread count, scheduling or Swift's per-process randomised `Hasher`.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator for record `key` of a run with `seed`.
    public init(seed: UInt64, key: UInt64) {
        var mix = SplitMix64(state: seed ^ (key &* 0x9E37_79B9_7F4A_7C15) ^ 0x5348_4152_444B_4954)  // "SHARDKIT"
        // One extra round decorrelates neighbouring (seed, key) pairs.
        var keyMix = SplitMix64(state: key)
        mix.state ^= keyMix.next()
        s0 = mix.next()
        s1 = mix.next()
        s2 = mix.next()
        s3 = mix.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is a fixed point
    }

    /// A generator for a record named by a string key (e.g. a file name or `"train/000123"`),
    /// hashed with 64-bit FNV-1a over its UTF-8 bytes.
    public init(seed: UInt64, key: String) {
        self.init(seed: seed, key: SeededGenerator.fnv1a(key))
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: stable across processes, platforms and releases.
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The draws the augmentations make, written out so that they never depend on how a Swift
/// release implements `random(in:)`.
enum Draw {
    /// Uniform in `0...upper` (Lemire's unbiased multiply-and-reject).
    @inline(__always)
    static func int(through upper: Int, using rng: inout some RandomNumberGenerator) -> Int {
        if upper <= 0 { return 0 }
        let range = UInt64(upper) + 1
        var m = rng.next().multipliedFullWidth(by: range)
        if m.low < range {
            let threshold = (0 &- range) % range
            while m.low < threshold { m = rng.next().multipliedFullWidth(by: range) }
        }
        return Int(m.high)
    }

    /// Uniform in [0, 1) with 53 bits.
    @inline(__always)
    static func unit(using rng: inout some RandomNumberGenerator) -> Double {
        Double(rng.next() >> 11) * 0x1p-53
    }

    /// Uniform in [lo, hi).
    @inline(__always)
    static func uniform(_ lo: Double, _ hi: Double, using rng: inout some RandomNumberGenerator) -> Double {
        lo + (hi - lo) * unit(using: &rng)
    }

    /// True with probability 1/2 (`unit < 0.5`, as `tf.image.random_flip_*` compare).
    @inline(__always)
    static func coin(using rng: inout some RandomNumberGenerator) -> Bool {
        unit(using: &rng) < 0.5
    }
}
