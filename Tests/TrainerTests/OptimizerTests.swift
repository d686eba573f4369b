import Foundation
import ShardKitSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

/// f(w) = ½ Σ aᵢ (wᵢ − cᵢ)², ∇f = a ⊙ (w − c): minimised at w = c.
private struct Quadratic {
    let a: [Float] = [1, 4, 0.5, 2]
    let c: [Float] = [3, -1, 2, 0.5]
    func gradient(_ w: [Float]) -> [Float] { (0..<4).map { a[$0] * (w[$0] - c[$0]) } }
    func value(_ w: [Float]) -> Float {
        var total: Float = 0
        for i in 0..<4 {
            let d: Float = w[i] - c[i]
            total += 0.5 * a[i] * d * d
        }
        return total
    }
}

private func minimise(_ optimizer: any Optimizer, steps: Int) -> [Float] {
    let q = Quadratic()
    let p = Parameter(name: "w", value: Tensor(shape: [4]))
    for _ in 0..<steps {
        p.gradient = Tensor(shape: [4], scalars: q.gradient(p.value.scalars))
        optimizer.update([p])
    }
    return p.value.scalars
}

@Suite("Optimizers")
struct OptimizerTests {
    @Test("SGD, SGD with momentum and Adam reach the minimum of a quadratic")
    func converge() {
        let q = Quadratic()
        for (opt, steps) in [
            (SGD(learningRate: .constant(0.2)) as any Optimizer, 200),
            (SGD(learningRate: .constant(0.05), momentum: 0.9), 300),
            (Adam(learningRate: .constant(0.05)), 1000),
        ] {
            let w = minimise(opt, steps: steps)
            #expect(q.value(w) < 1e-4, "\(opt.kind): f = \(q.value(w)) at \(w)")
            #expect(opt.step == steps)
        }
    }

    @Test("First updates match the formulas")
    func firstSteps() {
        // SGD with momentum: v = −lr·g, w = v; then v = μv − lr·g.
        let sgd = SGD(learningRate: .constant(0.1), momentum: 0.9)
        let p = Parameter(name: "w", value: Tensor(shape: [1], scalars: [1]))
        p.gradient = Tensor(shape: [1], scalars: [2])
        sgd.update([p])
        #expect(abs(p.value.scalars[0] - 0.8) < 1e-6)
        sgd.update([p])
        #expect(abs(p.value.scalars[0] - (0.8 - 0.18 - 0.2)) < 1e-6)
        // Adam's first step moves each weight by ≈ lr·sign(g).
        let adam = Adam(learningRate: .constant(0.01))
        let q = Parameter(name: "w", value: Tensor(shape: [2], scalars: [1, 1]))
        q.gradient = Tensor(shape: [2], scalars: [3, -0.5])
        adam.update([q])
        #expect(abs(q.value.scalars[0] - 0.99) < 1e-5)
        #expect(abs(q.value.scalars[1] - 1.01) < 1e-5)
    }

    @Test("Decoupled weight decay shrinks weights by lr·λ with a zero gradient; non-trainable state is untouched")
    func weightDecay() {
        for opt in [
            SGD(learningRate: .constant(0.1), weightDecay: 0.5) as any Optimizer,
            Adam(learningRate: .constant(0.1), weightDecay: 0.5),
        ] {
            let p = Parameter(name: "w", value: Tensor(shape: [2], scalars: [2, -4]))
            let s = Parameter(name: "s", value: Tensor(shape: [1], scalars: [7]), trainable: false)
            opt.update([p, s])
            #expect(abs(p.value.scalars[0] - 1.9) < 1e-6 && abs(p.value.scalars[1] + 3.8) < 1e-6)
            #expect(s.value.scalars == [7])
        }
    }

    @Test("Adam on a large parameter (split over two workers, vector and scalar tails) matches the scalar formula")
    func adamLarge() {
        useTwoWorkers()
        let n = 200_003
        var rng = TestRandom(5)
        let p = Parameter(name: "big", value: rng.tensor([n]))
        let start = p.value.scalars
        p.gradient = rng.tensor([n])
        let adam = Adam(learningRate: .constant(0.01), weightDecay: 0.1)
        adam.update([p])
        adam.update([p])
        // Two steps with the same gradient g: m₂ = 0.19g, v₂ = 0.001999g², lr_t = lr·√(1−β₂²)/(1−β₁²).
        for i in [0, 1, 7, 8, 100_001, n - 3, n - 1] {
            let g = Double(p.gradient.scalars[i])
            var w = Double(start[i])
            for t in 1...2 {
                let m = (1 - pow(0.9, Double(t))) * g
                let v = (1 - pow(0.999, Double(t))) * g * g
                let lrT = 0.01 * (1 - pow(0.999, Double(t))).squareRoot() / (1 - pow(0.9, Double(t)))
                w = w * (1 - 0.01 * 0.1) - lrT * m / (v.squareRoot() + 1e-7)
            }
            #expect(abs(Double(p.value.scalars[i]) - w) < 1e-5, "index \(i)")
        }
    }

    @Test("Exponential learning-rate decay, smooth and staircase")
    func schedule() {
        let smooth = LearningRateSchedule(initial: 0.1, decayRate: 0.5, decaySteps: 10)
        #expect(abs(smooth.rate(at: 0) - 0.1) < 1e-7)
        #expect(abs(smooth.rate(at: 10) - 0.05) < 1e-7)
        #expect(abs(smooth.rate(at: 5) - 0.1 * Float(0.5).squareRoot()) < 1e-6)
        let stairs = LearningRateSchedule(initial: 0.1, decayRate: 0.5, decaySteps: 10, staircase: true)
        #expect(stairs.rate(at: 19) == stairs.rate(at: 10))
        #expect(LearningRateSchedule.constant(0.3).rate(at: 1000) == 0.3)
    }

    @Test("Cosine learning-rate schedule: the peak, the midpoint, the floor, and flat after the end")
    func cosineSchedule() {
        let cosine = LearningRateSchedule.cosine(initial: 0.1, steps: 100, finalFraction: 0.01)
        #expect(abs(cosine.rate(at: 0) - 0.1) < 1e-8)
        // Halfway: 0.01 + 0.99 · 0.5 of the peak.
        #expect(abs(cosine.rate(at: 50) - 0.0505) < 1e-7)
        // A quarter in: cos(π/4) = √½, so 0.01 + 0.99 · (1 + √½) / 2.
        #expect(abs(Double(cosine.rate(at: 25)) - 0.1 * (0.01 + 0.99 * (1 + 0.5.squareRoot()) / 2)) < 1e-8)
        #expect(abs(cosine.rate(at: 100) - 0.001) < 1e-9)
        #expect(cosine.rate(at: 150) == cosine.rate(at: 100))
        #expect((1...100).allSatisfy { cosine.rate(at: $0) < cosine.rate(at: $0 - 1) })
    }
}

@Test(
    "SGD with and without momentum on a large parameter (two workers, vector and scalar tails) matches the formula bit for bit"
)
func sgdLarge() {
    useTwoWorkers()
    var rng = TestRandom(9)
    let n = (1 << 17) + 13
    for momentum: Float in [0, 0.9] {
        let w0 = (0..<n).map { _ in rng.uniform() }
        let g = (0..<n).map { _ in rng.uniform() }
        let p = Parameter(name: "w", value: Tensor(shape: [n], scalars: w0))
        p.gradient = Tensor(shape: [n], scalars: g)
        let sgd = SGD(learningRate: .constant(0.05), momentum: momentum, weightDecay: 0.1)
        sgd.update([p])
        sgd.update([p])
        let (lr, decay) = (Float(0.05), 1 - Float(0.05) * 0.1)
        var w = w0
        var v = [Float](repeating: 0, count: n)
        for _ in 0..<2 {
            for i in 0..<n {
                if momentum == 0 {
                    w[i] = w[i] * decay - lr * g[i]
                } else {
                    v[i] = momentum * v[i] - lr * g[i]
                    w[i] = w[i] * decay + v[i]
                }
            }
        }
        #expect(p.value.scalars.map(\.bitPattern) == w.map(\.bitPattern))
    }
}

/// Adam's C kernel of each tier against the update written out in Swift with the same Float
/// operations in the same order: the bits must agree, so every tier trains identically.
@Suite("Adam's kernel at every tier equals the formula bit for bit")
struct AdamKernelTests {
    func check(tier: KernelTier) {
        useTwoWorkers()
        var rng = TestRandom(21)
        let n = (1 << 17) + 21  // two workers, vector bodies and scalar tails
        let w0 = rng.tensor([n]).scalars
        let p = Parameter(name: "w", value: Tensor(shape: [n], scalars: w0))
        let adam = Adam(learningRate: .constant(0.003), weightDecay: 0.2)
        adam.kernelTier = tier
        var (w, m, v) = (w0, [Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
        for step in 0..<3 {
            let g = rng.tensor([n]).scalars.enumerated().map { $0.offset % 9 == 0 ? $0.element * 1e-4 : $0.element }
            p.gradient = Tensor(shape: [n], scalars: g)
            adam.update([p])
            let t = Double(step + 1)
            let lrT = Float(
                Double(Float(0.003)) * (1 - pow(Double(Float(0.999)), t)).squareRoot()
                    / (1 - pow(Double(Float(0.9)), t)))
            let (b1, b2, eps): (Float, Float, Float) = (0.9, 0.999, 1e-7)
            let decay: Float = 1 - Float(0.003) * Float(0.2)
            for i in 0..<n {
                let mi: Float = b1 * m[i] + (1 - b1) * g[i]
                let vi: Float = b2 * v[i] + (1 - b2) * g[i] * g[i]
                m[i] = mi
                v[i] = vi
                let update: Float = lrT * mi / (vi.squareRoot() + eps)
                w[i] = w[i] * decay - update
            }
        }
        let mismatches = (0..<n).filter { p.value.scalars[$0].bitPattern != w[$0].bitPattern }
        #expect(
            mismatches.isEmpty,
            "\(tier): \(mismatches.count) of \(n) weights differ, the first at \(mismatches.prefix(1))")
        let state = adam.state()
        #expect(state["m/w"]?.scalars == m && state["v/w"]?.scalars == v, "\(tier): moments")
    }

    @Test(
        "portable", .enabled(if: CPUFeatures.runs(.portable), Comment(rawValue: CPUFeatures.whyNot(.portable))))
    func portable() { check(tier: .portable) }

    @Test("avx2", .enabled(if: CPUFeatures.runs(.avx2), Comment(rawValue: CPUFeatures.whyNot(.avx2))))
    func avx2() { check(tier: .avx2) }

    @Test("avx512", .enabled(if: CPUFeatures.runs(.avx512), Comment(rawValue: CPUFeatures.whyNot(.avx512))))
    func avx512() { check(tier: .avx512) }
}
