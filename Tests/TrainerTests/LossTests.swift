import Foundation
import Testing

@_spi(Benchmarks) @testable import Trainer

@Suite("Losses")
struct LossTests {
    func numericGradient(_ logits: Tensor, _ f: (Tensor) -> Float, h: Float = 1e-2) -> [Double] {
        var z = logits
        return z.scalars.indices.map { i in
            let saved = z.scalars[i]
            z.scalars[i] = saved + h
            let plus = Double(f(z))
            z.scalars[i] = saved - h
            let minus = Double(f(z))
            z.scalars[i] = saved
            return (plus - minus) / (2 * Double(h))
        }
    }

    @Test("Softmax cross-entropy: value, gradient, stability for huge logits")
    func softmaxCrossEntropy() {
        var rng = TestRandom(81)
        var logits = rng.tensor([4, 5])
        for i in logits.scalars.indices { logits.scalars[i] *= 3 }
        let labels: [Int32] = [0, 4, 2, 2]
        var g = Tensor(shape: [0])
        let loss = SoftmaxCrossEntropy.loss(logits: logits, labels: labels, gradient: &g)
        // Direct formula in Double.
        var expected = 0.0
        for r in 0..<4 {
            let row = (0..<5).map { Double(logits.scalars[r * 5 + $0]) }
            let lse = log(row.map { exp($0) }.reduce(0, +))
            expected += lse - row[Int(labels[r])]
        }
        #expect(abs(Double(loss) - expected / 4) < 1e-5)
        let numeric = numericGradient(logits) { SoftmaxCrossEntropy.loss(logits: $0, labels: labels) }
        for i in numeric.indices { #expect(abs(Double(g.scalars[i]) - numeric[i]) < 1e-3) }

        let huge = Tensor(shape: [1, 3], scalars: [1000, -1000, 999])
        let l = SoftmaxCrossEntropy.loss(logits: huge, labels: [2])
        #expect(l.isFinite && abs(l - 1.3132616) < 1e-4)
    }

    @Test("Multi-head loss: sum of heads, per-head gradients (length head 7 + five 11-way digit heads)")
    func multiHead() {
        var rng = TestRandom(82)
        let n = 3
        let logits = [rng.tensor([n, 7])] + (0..<5).map { _ in rng.tensor([n, 11]) }
        let labels: [[Int32]] = [[2, 5, 6]] + (0..<5).map { k in [k < 2 ? 3 : 10, k < 5 ? 1 : 10, 10] }
        var grads: [Tensor] = []
        let total = MultiHeadLoss.loss(logits: logits, labels: labels, gradients: &grads)
        let sum = zip(logits, labels).map { SoftmaxCrossEntropy.loss(logits: $0, labels: $1) }.reduce(0, +)
        #expect(abs(total - sum) < 1e-5)
        for h in logits.indices {
            let numeric = numericGradient(logits[h]) { z in
                var all = logits
                all[h] = z
                var scratch: [Tensor] = []
                return MultiHeadLoss.loss(logits: all, labels: labels, gradients: &scratch)
            }
            for i in numeric.indices { #expect(abs(Double(grads[h].scalars[i]) - numeric[i]) < 2e-3) }
        }
    }
}
