internal import CShardKitConvKernels
internal import ShardKitSupport

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
    /// The convolution's output, the pool's input (the layer's own, not the model's), when the
    /// convolution builds column matrices; on its gathered path it is never written whole.
    private var convolved = Tensor(shape: [0])
    /// The convolution's output shape in the last forward pass.
    private var convolvedShape: [Int] = []
    /// Floats of convolution output per piece of the fused forward pass: 256 KB, well inside a
    /// core's L2 cache with the pool's output beside it (2 images of mnist's conv1, 5 of its
    /// conv2; at least one image a piece). Tests make it small to cut every worker's share.
    var chunkFloats = 65_536

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

    /// The convolution a few images at a time, each piece pooled into `output` while it is in
    /// cache (the whole convolution output is never written nor read back); or, when the
    /// convolution builds column matrices, the convolution into the layer's own buffer, then the
    /// pool. The same bits either way.
    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        let shape = conv.outputShape(for: input.shape)
        convolvedShape = shape
        pool.prepare(inputShape: shape, output: &output)
        let pool = self.pool
        let pooled = output.scalars.withUnsafeMutableBufferPointer { yb in
            let y = yb.baseAddress!
            return pool.withArgmax { argmax in
                conv.forward(input, training: training, chunkFloats: chunkFloats) { images, values in
                    pool.forward(images: images, of: values, inputShape: shape, into: y, argmax: argmax)
                }
            }
        }
        if pooled { return }
        conv.forward(input, into: &convolved, training: training)
        pool.forward(convolved, into: &output, training: training)
    }

    /// The convolution's backward pass with the pool's gradient routed through its argmax.
    public func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        let (h, w) = (convolvedShape[1], convolvedShape[2])
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
    /// other input.) Runs the C kernel of `tier` (`shardkit_pool_relu_gradient_tier`).
    func reluMaskAndColumnSums(
        firstRow: Int, rows: Int, channels c: Int, into g: UnsafeMutablePointer<Float>,
        addingTo sums: UnsafeMutablePointer<Float>, tier: KernelTier
    ) {
        let source = shardkit_bn_gradient(
            dy: gradient, argmax: argmax, height: height, width: width, outputHeight: outputHeight,
            outputWidth: outputWidth, stride: stride, padTop: padTop, padLeft: padLeft)
        shardkit_pool_relu_gradient_tier(tier.rawValue, source, output, firstRow, firstRow + rows, c, g, sums)
    }
}
