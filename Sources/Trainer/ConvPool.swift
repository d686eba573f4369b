/// A convolution with its fused ReLU followed by a max pool over disjoint windows, as one layer
/// (`conv1+pool1`): the same output and gradients, bit for bit, as the two layers in sequence.
///
/// What the fusion saves is in the backward pass. Apart, the pool writes its input gradient at
/// full size (zero but for one element per window) and the convolution reads it back with its
/// own output to apply the ReLU mask. Fused, the convolution reads the pool's gradient, output
/// and argmax (a quarter of the size each, for 2×2 windows) and routes and masks the gradient
/// as it goes (`PoolRouting`): two full-size passes over memory fewer each way.
///
/// SPI for the benchmarks package, which reads the convolution to count FLOPs.
@_spi(Benchmarks) public final class ConvPool: Layer {
    /// The convolution (its activation must be the ReLU).
    public let conv: Conv2D
    /// The pool (stride equal to its window: disjoint windows).
    let pool: MaxPool2D
    /// "<conv>+<pool>", e.g. `conv1+pool1`.
    public let name: String
    /// The convolution's output, the pool's input (the layer's own, not the model's).
    private var convolved = Tensor(shape: [0])

    init(_ conv: Conv2D, _ pool: MaxPool2D) {
        precondition(pool.stride == pool.poolSize, "ConvPool needs disjoint pooling windows (stride = pool size)")
        precondition(conv.activation == .relu, "ConvPool needs the convolution's fused ReLU")
        self.conv = conv
        self.pool = pool
        name = "\(conv.name)+\(pool.name)"
    }

    /// The convolution's kernel and bias.
    public var parameters: [Parameter] { conv.parameters }

    /// The pool's output shape for the convolution's output shape.
    public func outputShape(for inputShape: [Int]) -> [Int] {
        pool.outputShape(for: conv.outputShape(for: inputShape))
    }

    /// The convolution into the layer's own buffer, then the pool into `output`.
    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        conv.forward(input, into: &convolved, training: training)
        pool.forward(convolved, into: &output, training: training)
    }

    /// The convolution's backward pass with the pool's gradient routed through its argmax.
    public func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        let (h, w) = (convolved.shape[1], convolved.shape[2])
        let rows = pool.padding.geometry(input: h, window: pool.poolSize, stride: pool.stride)
        let columns = pool.padding.geometry(input: w, window: pool.poolSize, stride: pool.stride)
        output.scalars.withUnsafeBufferPointer { y in
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                pool.argmax.withUnsafeBufferPointer { a in
                    let routing = PoolRouting(
                        gradient: dy.baseAddress!, output: y.baseAddress!, argmax: a.baseAddress!, height: h, width: w,
                        outputHeight: rows.output, outputWidth: columns.output, stride: pool.stride,
                        padTop: rows.padBefore, padLeft: columns.padBefore)
                    conv.backward(
                        input: input, output: convolved, gradient: .pooled(routing), inputGradient: &inputGradient,
                        computeInputGradient: computeInputGradient)
                }
            }
        }
    }
}

/// A max pool's output gradient seen from the pool's input: element (row r, channel j) of the
/// input (r counting pixels image by image) receives the gradient of the window holding it when
/// the pool's argmax names it, else 0. Windows are disjoint (stride = window), so each element
/// lies in at most one; rows past the last window receive 0.
struct PoolRouting {
    /// The pool's output gradient, output and argmax (flat input indices), `[N, oh, ow, C]`.
    var gradient: UnsafePointer<Float>
    var output: UnsafePointer<Float>
    var argmax: UnsafePointer<Int32>
    /// The pool's input and output extents, its stride and leading padding.
    var height, width, outputHeight, outputWidth, stride, padTop, padLeft: Int

    /// g[r, j] = the routed gradient of input rows firstRow..<firstRow+rows, masked by a ReLU
    /// that came before the pool, and sums[j] += Σ_r g[r, j], rows in order: the bits of
    /// `reluMaskAndColumnSums` over the ReLU's output and the pool's full input gradient. (The
    /// ReLU's output at the element the argmax names is the pool's output, so the mask needs no
    /// other input.)
    func reluMaskAndColumnSums(
        firstRow: Int, rows: Int, channels c: Int, into g: UnsafeMutablePointer<Float>,
        addingTo sums: UnsafeMutablePointer<Float>
    ) {
        let vectorChannels = c & ~7
        let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
        let zero = SIMD8<Float>()
        // The row's image, input row and column, and its window's output row and column, all
        // stepped along with r (a division per row would cost more than the row's work).
        var image = firstRow / (height * width)
        var iy = firstRow % (height * width) / width
        var ix = firstRow % width
        var (oy, oyPhase) = ((iy + padTop) / stride, (iy + padTop) % stride)
        let (ox0, ox0Phase) = (padLeft / stride, padLeft % stride)
        var (ox, oxPhase) = ((ix + padLeft) / stride, (ix + padLeft) % stride)
        for r in firstRow..<(firstRow + rows) {
            let gr = g + (r - firstRow) * c
            if oy < outputHeight && ox < outputWidth {
                let o = ((image * outputHeight + oy) * outputWidth + ox) * c
                let (dy, y, a) = (gradient + o, output + o, argmax + o)
                let index = Int32(r * c)
                var j = 0
                while j < vectorChannels {
                    let here = SIMD8<Int32>(repeating: index + Int32(j)) &+ lanes
                    let routed = zero.replacing(with: load8(dy + j), where: loadIndices(a + j) .== here)
                    let v = reluGradient8(load8(y + j), routed)
                    store8(v, gr + j)
                    store8(load8(sums + j) + v, sums + j)
                    j += 8
                }
                while j < c {
                    let v = reluGradient(y[j], a[j] == index + Int32(j) ? dy[j] : 0)
                    gr[j] = v
                    sums[j] += v
                    j += 1
                }
            } else {
                // No window: 0 (as reluGradient gives it for a zero gradient) into g and the sums.
                for j in 0..<c {
                    gr[j] = 0
                    sums[j] += 0
                }
            }
            ix += 1
            oxPhase += 1
            if oxPhase == stride { (ox, oxPhase) = (ox + 1, 0) }
            if ix == width {
                (ix, ox, oxPhase) = (0, ox0, ox0Phase)
                iy += 1
                oyPhase += 1
                if oyPhase == stride { (oy, oyPhase) = (oy + 1, 0) }
                if iy == height {
                    iy = 0
                    image += 1
                    (oy, oyPhase) = (padTop / stride, padTop % stride)
                }
            }
        }
    }
}
