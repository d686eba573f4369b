internal import ShardKitSupport
/// How many digits a string has: weights for lengths 1…`maxLength`, written as
/// `1:1,2:1,3:2,4:2,5:4` (length:weight, any order, unnamed lengths weigh 0) or `uniform`.
public struct LengthDistribution: Sendable, Equatable, CustomStringConvertible {
    /// `weights[k]` is the weight of length `k + 1`; at least one is positive.
    public let weights: [Double]

    /// Every length 1…`maxLength` equally likely.
    public static func uniform(maxLength: Int) -> LengthDistribution {
        LengthDistribution(checkedWeights: [Double](repeating: 1, count: maxLength))
    }

    private init(checkedWeights: [Double]) {
        weights = checkedWeights
    }

    /// Weights for lengths 1…`weights.count`; fails unless all are finite, ≥ 0, and one is > 0.
    public init(weights: [Double]) throws(SynthError) {
        guard !weights.isEmpty, weights.allSatisfy({ $0.isFinite && $0 >= 0 }), weights.contains(where: { $0 > 0 })
        else { throw SynthError("length weights must be finite, non-negative, and not all zero") }
        self.weights = weights
    }

    /// Parses `uniform` (or an empty string) or `L:W,L:W,…` with lengths 1…`maxLength`; a bare
    /// `L` means weight 1. The error names the offending piece.
    public init(parsing text: String, maxLength: Int) throws(SynthError) {
        let trimmed = text.filter { $0 != " " }
        if trimmed.isEmpty || trimmed == "uniform" {
            self = .uniform(maxLength: maxLength)
            return
        }
        var weights = [Double](repeating: 0, count: maxLength)
        var seen = Set<Int>()
        for piece in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = piece.split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let length = Int(parts[0]) else {
                throw SynthError("lengths: bad piece \"\(piece)\": expected LENGTH:WEIGHT, e.g. 5:4")
            }
            guard (1...maxLength).contains(length) else {
                throw SynthError(
                    "lengths: bad piece \"\(piece)\": length must be 1…\(maxLength) (the maximum length)")
            }
            guard seen.insert(length).inserted else {
                throw SynthError("lengths: length \(length) is given twice")
            }
            let weight = parts.count == 2 ? Double(parts[1]) : 1
            guard let weight, weight.isFinite, weight >= 0 else {
                throw SynthError("lengths: bad piece \"\(piece)\": the weight must be a number ≥ 0")
            }
            weights[length - 1] = weight
        }
        guard weights.contains(where: { $0 > 0 }) else { throw SynthError("lengths: all weights are zero") }
        self.weights = weights
    }

    /// The longest length with a positive weight.
    public var maxLength: Int { (weights.lastIndex { $0 > 0 } ?? 0) + 1 }

    /// The probability of each length 1…`weights.count`.
    public var probabilities: [Double] {
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }

    /// Draws a length with one draw: `u` uniform in [0, total weight), the first length whose
    /// cumulative weight exceeds `u`.
    public func draw(using rng: inout some RandomNumberGenerator) -> Int {
        let total = weights.reduce(0, +)
        let u = Draw.unit(using: &rng) * total
        var cumulative = 0.0
        for (k, weight) in weights.enumerated() {
            cumulative += weight
            if u < cumulative && weight > 0 { return k + 1 }
        }
        return maxLength
    }

    /// `uniform` when all weights are equal, else `L:W` pieces for the positive weights.
    public var description: String {
        if Set(weights).count == 1 { return "uniform" }
        return weights.enumerated().filter { $0.element > 0 }.map { k, w in
            let text = w == w.rounded() && abs(w) < 1e15 ? String(Int(w)) : String(w)
            return "\(k + 1):\(text)"
        }.joined(separator: ",")
    }
}
