import ShardKitSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

/// MaxPool2D's C kernels of each tier (forward, and backward over disjoint windows) against max
/// pooling written out here: values, the index of each maximum (the first in window order,
/// replaced only by a strictly greater value, so ties and NaNs pick as the Swift layer defines),
/// and the routed gradient, bit for bit. Channel counts around the 8- and 16-float vectors.
@Suite("MaxPool2D's kernel at every tier equals max pooling written out")
struct PoolKernelTests {
    static let cases: [(shape: [Int], pool: Int, stride: Int, padding: Padding)] = [
        ([2, 6, 8, 19], 2, 2, .valid), ([3, 7, 5, 20], 2, 2, .same), ([1, 5, 5, 8], 2, 2, .valid),
        ([2, 8, 7, 33], 3, 3, .same), ([2, 9, 9, 16], 3, 2, .valid), ([1, 4, 6, 1], 2, 2, .same),
        ([2, 14, 14, 64], 2, 2, .valid),
    ]

    func check(tier: KernelTier) {
        useTwoWorkers()
        for (index, c) in PoolKernelTests.cases.enumerated() {
            var rng = TestRandom(UInt64(60 + index))
            var x = Tensor(shape: c.shape)
            // Few distinct values (many ties), and a NaN now and then.
            for i in x.scalars.indices { x.scalars[i] = i % 41 == 7 ? .nan : Float(rng.next() % 4) - 1 }
            let layer = MaxPool2D(name: "p", poolSize: c.pool, stride: c.stride, padding: c.padding)
            layer.kernelTier = tier
            var y = Tensor(shape: [0])
            layer.forward(x, into: &y, training: true)
            let dy = rng.tensor(y.shape)
            var dx = Tensor(shape: [0])
            layer.backward(input: x, output: y, outputGradient: dy, inputGradient: &dx, computeInputGradient: true)

            let (n, h, w, ch) = (c.shape[0], c.shape[1], c.shape[2], c.shape[3])
            let (oh, ow) = (y.shape[1], y.shape[2])
            let top = c.padding.geometry(input: h, window: c.pool, stride: c.stride).padBefore
            let left = c.padding.geometry(input: w, window: c.pool, stride: c.stride).padBefore
            var expectedY = [Float](repeating: 0, count: y.count)
            var expectedArgmax = [Int32](repeating: 0, count: y.count)
            var expectedDx = [Float](repeating: 0, count: x.count)
            for b in 0..<n {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        for j in 0..<ch {
                            var at = -1
                            for iy in max(oy * c.stride - top, 0)..<min(oy * c.stride - top + c.pool, h) {
                                for ix in max(ox * c.stride - left, 0)..<min(ox * c.stride - left + c.pool, w) {
                                    let i = ((b * h + iy) * w + ix) * ch + j
                                    if at < 0 || x.scalars[i] > x.scalars[at] { at = i }
                                }
                            }
                            let o = ((b * oh + oy) * ow + ox) * ch + j
                            expectedY[o] = x.scalars[at]
                            expectedArgmax[o] = Int32(at)
                            expectedDx[at] += dy.scalars[o]
                        }
                    }
                }
            }
            let label = "\(tier) \(c.shape) pool \(c.pool) stride \(c.stride) \(c.padding)"
            #expect(y.scalars.map(\.bitPattern) == expectedY.map(\.bitPattern), "\(label): values")
            #expect(layer.argmax == expectedArgmax, "\(label): argmax")
            #expect(dx.scalars.map(\.bitPattern) == expectedDx.map(\.bitPattern), "\(label): dx")
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
