/// The one deterministic random number generator: xoshiro256** seeded through SplitMix64.
///
/// Per-record randomness (augmentation, synthesis, splits, shuffling) comes only from a
/// `RecordKey`: `RecordKey(...).generator(seed:)`, so the draws for a record depend on the run's
/// seed and the record's key alone — never on thread count, scheduling or Swift's per-process
/// randomised `Hasher`. `init(seed:)` is the plain stream the trainer uses for weights and dropout.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The stream of record `key` of a run with `seed` (see `RecordKey`).
    fileprivate init(seed: UInt64, key: UInt64) {
        var mix = SplitMix64(state: seed ^ (key &* 0x9E37_79B9_7F4A_7C15) ^ 0x5348_4152_444B_4954)  // "SHARDKIT"
        // One extra round decorrelates neighbouring (seed, key) pairs.
        var keyMix = SplitMix64(state: key)
        mix.state ^= keyMix.next()
        (s0, s1, s2, s3) = (mix.next(), mix.next(), mix.next(), mix.next())
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is a fixed point
    }

    /// A stream from `seed` alone: the state is the first four SplitMix64 outputs of `seed`.
    public init(seed: UInt64) {
        var mix = SplitMix64(state: seed)
        (s0, s1, s2, s3) = (mix.next(), mix.next(), mix.next(), mix.next())
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
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

    /// The state as text ("a,b,c,d"), for checkpoints that resume a stream exactly.
    public var stateString: String { "\(s0),\(s1),\(s2),\(s3)" }

    /// Restores a state written by `stateString`; returns false if the text is malformed.
    public mutating func restore(from text: String) -> Bool {
        let words = text.split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4 else { return false }
        (s0, s1, s2, s3) = (words[0], words[1], words[2], words[3])
        return true
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// The key of one record's random stream: a number, or a text such as `"train/000123"` or
/// `"t10k-images-idx3-ubyte/17/0"` hashed with 64-bit FNV-1a over its UTF-8 bytes (stable across
/// processes, platforms and releases). The one owner of the "(seed, record key)" rule.
public struct RecordKey: Sendable, Hashable {
    public let value: UInt64

    public init(_ value: UInt64) { self.value = value }

    public init(_ text: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        value = hash
    }

    /// The record's stream in a run with `seed`.
    public func generator(seed: UInt64) -> SeededGenerator { SeededGenerator(seed: seed, key: value) }
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
