@_spi(Benchmarks) @testable import Trainer

/// Helpers for checking hand-written gradients against central finite differences.
///
/// The scalar checked is L = Σ r·y for a fixed random r (so dL/dy = r), accumulated in Double.
/// With step h, the central difference (L(x+h) − L(x−h)) / 2h has truncation error O(h²) for
/// smooth layers and rounding error ≈ (Float ulp of the outputs)·√count / h; with h = 1e-2 and
/// unit-scale values both are below 1e-3, so we accept |analytic − numeric| ≤ abs + rel·|numeric|
/// with abs = 2e-3 and rel = 1e-2 unless a test says otherwise.
struct TestRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / 8_388_608 - 1 }

    mutating func tensor(_ shape: [Int]) -> Tensor {
        var t = Tensor(shape: shape)
        for i in t.scalars.indices { t.scalars[i] = uniform() }
        return t
    }

    /// Values with magnitude in [0.1, 1]: far from ReLU's kink at 0 relative to h.
    mutating func awayFromZero(_ shape: [Int]) -> Tensor {
        var t = tensor(shape)
        for i in t.scalars.indices {
            let v = t.scalars[i]
            t.scalars[i] = (v < 0 ? -1 : 1) * (0.1 + 0.9 * abs(v))
        }
        return t
    }

    /// Distinct values spaced 0.05 apart in random order: no ties for max-pooling within 2h.
    mutating func distinct(_ shape: [Int]) -> Tensor {
        var t = Tensor(shape: shape)
        var values = (0..<t.count).map { Float($0) * 0.05 - Float(t.count) * 0.025 }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, Int(next() % UInt64(i + 1)))
        }
        t.scalars = values
        return t
    }
}

struct GradientMismatch: CustomStringConvertible {
    var what: String
    var index: Int
    var analytic: Double
    var numeric: Double
    var description: String { "\(what)[\(index)]: analytic \(analytic) vs numeric \(numeric)" }
}

/// Checks a layer's input gradient and every trainable parameter's gradient.
/// Returns the mismatches (empty when the layer is right) and the number of entries checked.
func checkLayerGradients(
    _ layer: any Layer, input: Tensor, seed: UInt64 = 7, h: Float = 1e-2, absTolerance: Double = 2e-3,
    relTolerance: Double = 1e-2, training: Bool = true
) -> (mismatches: [GradientMismatch], checked: Int) {
    useTwoWorkers()
    var rng = TestRandom(seed)
    var output = Tensor(shape: [0])
    layer.forward(input, into: &output, training: training)
    let r = rng.tensor(output.shape)

    func objective(_ x: Tensor) -> Double {
        var y = Tensor(shape: [0])
        layer.forward(x, into: &y, training: training)
        var s = 0.0
        for i in y.scalars.indices { s += Double(y.scalars[i]) * Double(r.scalars[i]) }
        return s
    }

    var inputGradient = Tensor(shape: [0])
    layer.forward(input, into: &output, training: training)
    layer.backward(
        input: input, output: output, outputGradient: r, inputGradient: &inputGradient, computeInputGradient: true)
    let parameterGradients = layer.parameters.filter(\.isTrainable).map { ($0, $0.gradient) }

    var mismatches: [GradientMismatch] = []
    var checked = 0
    func compare(_ what: String, _ i: Int, _ analytic: Float, _ numeric: Double) {
        checked += 1
        if abs(Double(analytic) - numeric) > absTolerance + relTolerance * abs(numeric) {
            mismatches.append(GradientMismatch(what: what, index: i, analytic: Double(analytic), numeric: numeric))
        }
    }

    var x = input
    for i in x.scalars.indices {
        let saved = x.scalars[i]
        x.scalars[i] = saved + h
        let plus = objective(x)
        x.scalars[i] = saved - h
        let minus = objective(x)
        x.scalars[i] = saved
        compare("input", i, inputGradient.scalars[i], (plus - minus) / (2 * Double(h)))
    }
    for (p, gradient) in parameterGradients {
        for j in p.value.scalars.indices {
            let saved = p.value.scalars[j]
            p.value.scalars[j] = saved + h
            let plus = objective(input)
            p.value.scalars[j] = saved - h
            let minus = objective(input)
            p.value.scalars[j] = saved
            compare(p.name, j, gradient.scalars[j], (plus - minus) / (2 * Double(h)))
        }
    }
    return (mismatches, checked)
}

/// Every test runs layers with two workers (as training does), so the parallel splits are
/// what the gradient checks verify. Always the same value, so concurrent tests never disagree.
func useTwoWorkers() {
    Model.setThreadCount(2)
}
