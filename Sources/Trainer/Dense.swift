/// A fully connected layer y = act(x·W + b) with W of shape `[inputSize, outputSize]`.
/// Any input `[N, …]` whose item size is `inputSize` is accepted (it is read as `[N, inputSize]`).
///
/// SPI for the benchmarks package, which reads its sizes to count FLOPs.
@_spi(Benchmarks) public final class Dense: Layer {
    /// The layer's unique name in its model, e.g. `fc1` (its parameters are `fc1/kernel`,
    /// `fc1/bias`).
    public let name: String
    /// Features per input item (the product of the input's non-batch dimensions).
    public let inputSize: Int
    /// Output features (units) per item.
    public let outputSize: Int
    /// The activation fused after the bias.
    let activation: Activation
    /// The weight matrix, shape `[inputSize, outputSize]`.
    let kernel: Parameter
    /// The bias, shape `[outputSize]`.
    let bias: Parameter
    /// The output gradient masked by the fused ReLU (unused without one).
    private var maskedGradient: [Float] = []
    /// Gᵀ and dXᵀ, or Wᵀ, for the input-gradient GEMM (see `backward`).
    private let transposedGradient = Scratch()
    private let transposedInputGradient = Scratch()
    private let transposedKernel = Scratch()

    init(
        name: String, inputSize: Int, outputSize: Int, activation: Activation = .identity,
        initializer: Initializer = .glorotUniform, seed: UInt64
    ) {
        self.name = name
        self.inputSize = inputSize
        self.outputSize = outputSize
        self.activation = activation
        var w = Tensor(shape: [inputSize, outputSize])
        initializer.fill(&w, fanIn: inputSize, fanOut: outputSize, seed: seed)
        kernel = Parameter(name: "\(name)/kernel", value: w)
        bias = Parameter(name: "\(name)/bias", value: Tensor(shape: [outputSize]))
    }

    /// The kernel, then the bias.
    public var parameters: [Parameter] { [kernel, bias] }

    /// `[N, outputSize]`; the input's items must hold `inputSize` features.
    public func outputShape(for inputShape: [Int]) -> [Int] {
        let items = inputShape.dropFirst().reduce(1, *)
        precondition(items == inputSize, "\(name): expected \(inputSize) features per item, got shape \(inputShape)")
        return [inputShape[0], outputSize]
    }

    /// x·W + b with the fused activation, into `output` (resized to `[N, outputSize]`);
    /// `training` makes no difference here.
    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        output.resize(to: outputShape(for: input.shape))
        let n = input.shape[0]
        let relu = activation == .relu
        input.scalars.withUnsafeBufferPointer { x in
            kernel.value.scalars.withUnsafeBufferPointer { w in
                bias.value.scalars.withUnsafeBufferPointer { b in
                    output.scalars.withUnsafeMutableBufferPointer { y in
                        // Workers take disjoint column blocks of W and y.
                        let parts = Workers.parts(for: outputSize, minimum: 128)
                        Workers.run(parts) { part in
                            let cols = Workers.range(outputSize, parts: parts, part: part)
                            gemm(
                                m: n, n: cols.count, k: inputSize, a: x.baseAddress!, lda: inputSize,
                                b: w.baseAddress! + cols.lowerBound, ldb: outputSize,
                                c: y.baseAddress! + cols.lowerBound, ldc: outputSize,
                                bias: b.baseAddress! + cols.lowerBound, relu: relu)
                        }
                    }
                }
            }
        }
    }

    /// Sets the kernel's and the bias's gradients from `outputGradient` (masked by the fused
    /// ReLU, when there is one) and, when `computeInputGradient`, writes dLoss/dInput.
    public func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        let n = input.shape[0]
        let relu = activation == .relu
        if relu && maskedGradient.count != output.count {
            maskedGradient = [Float](repeating: 0, count: output.count)
        }
        if computeInputGradient { inputGradient.resize(to: input.shape) }
        // `gemm` wants its B operand row-major, so dX = G·Wᵀ needs Wᵀ, while dXᵀ = W·Gᵀ needs Gᵀ
        // and dXᵀ transposed back: whichever moves fewer floats. A wide layer (fc1) transposes
        // a batch's worth of G and dX; a narrow one (a head of 7 to 11 logits) its kernel.
        let transposesKernel = inputSize * outputSize < n * (inputSize + outputSize)
        let gt = computeInputGradient && !transposesKernel ? transposedGradient.reserve(outputSize * n) : nil
        output.scalars.withUnsafeBufferPointer { yb in
            outputGradient.scalars.withUnsafeBufferPointer { dyb in
                maskedGradient.withUnsafeMutableBufferPointer { mb in
                    // The gradient at the pre-activation: dY masked by the fused ReLU, or dY itself.
                    let g = relu ? UnsafePointer(mb.baseAddress!) : dyb.baseAddress!
                    input.scalars.withUnsafeBufferPointer { x in
                        kernel.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                            bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                                // Workers take disjoint column blocks of G, dW, the bias gradient
                                // and rows of Gᵀ: each masks its block and sums its columns while
                                // the block is in cache, then multiplies it.
                                let parts = Workers.parts(for: outputSize, minimum: 128)
                                Workers.run(parts) { part in
                                    let cols = Workers.range(outputSize, parts: parts, part: part)
                                    let c0 = cols.lowerBound
                                    if relu {
                                        db.baseAddress!.advanced(by: c0).update(repeating: 0, count: cols.count)
                                        reluMaskAndColumnSums(
                                            output: yb.baseAddress! + c0, gradient: dyb.baseAddress! + c0,
                                            into: mb.baseAddress! + c0, rows: n, cols: cols.count,
                                            rowStride: outputSize, addingTo: db.baseAddress! + c0)
                                    } else {
                                        columnSums(
                                            g + c0, rows: n, cols: cols.count, rowStride: outputSize,
                                            into: db.baseAddress! + c0)
                                    }
                                    gemm(
                                        transposeA: true, m: inputSize, n: cols.count, k: n, a: x.baseAddress!,
                                        lda: inputSize, b: g + c0, ldb: outputSize, c: dw.baseAddress! + c0,
                                        ldc: outputSize)
                                    if let gt {
                                        transpose(
                                            g + c0, rows: n, cols: cols.count, sourceStride: outputSize,
                                            into: gt + c0 * n, destinationStride: n)
                                    }
                                }
                            }
                        }
                    }
                    guard computeInputGradient else { return }
                    if transposesKernel {
                        let wt = transposedKernel.reserve(inputSize * outputSize)
                        kernel.value.scalars.withUnsafeBufferPointer { w in
                            transpose(
                                w.baseAddress!, rows: inputSize, cols: outputSize, sourceStride: outputSize, into: wt,
                                destinationStride: inputSize)
                        }
                        inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
                            // Workers take disjoint column blocks of Wᵀ and dX.
                            let parts = Workers.parts(for: inputSize, minimum: 128)
                            Workers.run(parts) { part in
                                let cols = Workers.range(inputSize, parts: parts, part: part)
                                gemm(
                                    m: n, n: cols.count, k: outputSize, a: g, lda: outputSize,
                                    b: wt + cols.lowerBound, ldb: inputSize, c: dx.baseAddress! + cols.lowerBound,
                                    ldc: inputSize)
                            }
                        }
                        return
                    }
                    guard let gt else { return }
                    let dxt = transposedInputGradient.reserve(inputSize * n)
                    kernel.value.scalars.withUnsafeBufferPointer { w in
                        inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
                            // Workers take disjoint row blocks of W (column blocks of dx).
                            let parts = Workers.parts(for: inputSize, minimum: 128)
                            Workers.run(parts) { part in
                                let rows = Workers.range(inputSize, parts: parts, part: part)
                                gemm(
                                    m: rows.count, n: n, k: outputSize,
                                    a: w.baseAddress! + rows.lowerBound * outputSize, lda: outputSize, b: gt, ldb: n,
                                    c: dxt + rows.lowerBound * n, ldc: n)
                                transpose(
                                    dxt + rows.lowerBound * n, rows: rows.count, cols: n, sourceStride: n,
                                    into: dx.baseAddress! + rows.lowerBound, destinationStride: inputSize)
                            }
                        }
                    }
                }
            }
        }
    }
}
