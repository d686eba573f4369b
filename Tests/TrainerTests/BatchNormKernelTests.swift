import ShardKitSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

/// The batch norm's kernels of each tier (statistics, the pooling of normalised values, both
/// backward passes) against the portable C kernels, bit for bit: alone (gradient laid out like
/// the input) and fused with a ReLU and a max pool (the gradient routed through the pool's
/// argmax, rows no window reaches), channel counts around the 8- and 16-float vectors. The portable kernel itself is checked against dβ = Σ dy and
/// dγ = Σ dy·(x − μ)/σ in double precision.
@Suite("BatchNorm's kernels at every tier equal the portable kernels bit for bit")
struct BatchNormKernelTests {
    struct Result: Equatable {
        var y: [UInt32]
        var dx: [UInt32]
        var dGamma: [UInt32]
        var dBeta: [UInt32]
    }

    /// Forward and backward of a fresh layer (same seed every call) with its backward on `tier`.
    func run(tier: KernelTier, shape: [Int], pooled: Bool, relu: Bool) -> (Result, x: Tensor, dy: Tensor) {
        useTwoWorkers()
        var rng = TestRandom(UInt64(shape.reduce(0, +) * 7 + (pooled ? 1 : 0) + (relu ? 2 : 0)))
        let c = shape[3]
        let bn = BatchNorm(name: "bn", channels: c, activation: relu ? .relu : .identity)
        bn.kernelTier = tier
        for j in 0..<c {
            bn.gamma.value.scalars[j] = 1 + 0.5 * rng.uniform()
            bn.beta.value.scalars[j] = 0.3 * rng.uniform()
        }
        var x = rng.tensor(shape)
        for i in x.scalars.indices { x.scalars[i] = 1 + 2 * x.scalars[i] }
        let pool = MaxPool2D(name: "pool", padding: .same)
        pool.kernelTier = tier
        let layer: any Layer = pooled ? BatchNormPool(bn, pool) : bn
        var y = Tensor(shape: [0])
        layer.forward(x, into: &y, training: true)
        let dy = rng.tensor(y.shape)
        var dx = Tensor(shape: [0])
        layer.backward(input: x, output: y, outputGradient: dy, inputGradient: &dx, computeInputGradient: true)
        let result = Result(
            y: y.scalars.map(\.bitPattern), dx: dx.scalars.map(\.bitPattern),
            dGamma: bn.gamma.gradient.scalars.map(\.bitPattern),
            dBeta: bn.beta.gradient.scalars.map(\.bitPattern))
        return (result, x, dy)
    }

    static let shapes: [[Int]] = [[2, 7, 9, 20], [3, 5, 6, 48], [1, 9, 7, 3], [2, 4, 4, 64]]

    func check(tier: KernelTier) {
        for shape in BatchNormKernelTests.shapes {
            for (pooled, relu) in [(false, false), (false, true), (true, true), (true, false)] {
                let reference = run(tier: .portable, shape: shape, pooled: pooled, relu: relu)
                let result = run(tier: tier, shape: shape, pooled: pooled, relu: relu)
                #expect(result.0 == reference.0, "\(tier) \(shape) pooled \(pooled) relu \(relu)")
                #expect(reference.0.dx.contains { $0 != 0 } && reference.0.dGamma.contains { $0 != 0 })
                guard !pooled && !relu else { continue }
                // dβ = Σ dy, dγ = Σ dy·(x − μ)/σ, in double precision.
                let (x, dy) = (reference.x, reference.dy)
                let c = shape[3]
                let rows = x.count / c
                for j in 0..<c {
                    let column = (0..<rows).map { Double(x.scalars[$0 * c + j]) }
                    let mean = column.reduce(0, +) / Double(rows)
                    let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rows)
                    let sigma = (variance + 1e-3).squareRoot()
                    var (dBeta, dGamma) = (0.0, 0.0)
                    for r in 0..<rows {
                        dBeta += Double(dy.scalars[r * c + j])
                        dGamma += Double(dy.scalars[r * c + j]) * (column[r] - mean) / sigma
                    }
                    let gotBeta = Double(Float(bitPattern: reference.0.dBeta[j]))
                    let gotGamma = Double(Float(bitPattern: reference.0.dGamma[j]))
                    #expect(abs(gotBeta - dBeta) < 1e-4 && abs(gotGamma - dGamma) < 1e-4, "\(shape) channel \(j)")
                }
            }
        }
    }

    @Test(
        "portable", .enabled(if: CPUFeatures.runs(.portable), Comment(rawValue: CPUFeatures.whyNot(.portable))))
    func portable() { check(tier: .portable) }

    @Test("avx2", .enabled(if: CPUFeatures.runs(.avx2), Comment(rawValue: CPUFeatures.whyNot(.avx2))))
    func avx2() { check(tier: .avx2) }

    @Test("avx512", .enabled(if: CPUFeatures.runs(.avx512), Comment(rawValue: CPUFeatures.whyNot(.avx512))))
    func avx512() { check(tier: .avx512) }
}
