import Foundation

/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64).
///
/// Its whole state is four words, so it can be saved in a checkpoint and restored exactly.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }

    /// A uniform float in [0, 1).
    @inline(__always)
    mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A standard normal sample (Box–Muller).
    mutating func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * log(1 - u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// The state as text ("a,b,c,d"), for checkpoints.
    var stateString: String { "\(state.0),\(state.1),\(state.2),\(state.3)" }

    /// Restores a state written by `stateString`; returns false if the text is malformed.
    mutating func restore(from text: String) -> Bool {
        let words = text.split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4 else { return false }
        state = (words[0], words[1], words[2], words[3])
        return true
    }
}
