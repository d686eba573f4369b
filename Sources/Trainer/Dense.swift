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
    private var maskedGradient: [Float] = []
    /// Gᵀ and dXᵀ for the input-gradient GEMM (see `backward`).
    private let transposedGradient = Scratch()
    private let transposedInputGradient = Scratch()

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
        if activation == .relu {
            if maskedGradient.count != output.count { maskedGradient = [Float](repeating: 0, count: output.count) }
            output.scalars.withUnsafeBufferPointer { y in
                outputGradient.scalars.withUnsafeBufferPointer { dy in
                    maskedGradient.withUnsafeMutableBufferPointer { m in
                        reluMask(
                            output: y.baseAddress!, gradient: dy.baseAddress!, into: m.baseAddress!, count: output.count
                        )
                    }
                }
            }
        }
        if computeInputGradient { inputGradient.resize(to: input.shape) }
        let gradientSource = activation == .relu ? maskedGradient : outputGradient.scalars
        gradientSource.withUnsafeBufferPointer { gb in
            let g = gb.baseAddress!
            bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                columnSums(g, rows: n, cols: outputSize, into: db.baseAddress!)
            }
            input.scalars.withUnsafeBufferPointer { x in
                kernel.gradient.scalars.withUnsafeMutableBufferPointer { dw in
                    let parts = Workers.parts(for: outputSize, minimum: 128)
                    Workers.run(parts) { part in
                        let cols = Workers.range(outputSize, parts: parts, part: part)
                        gemm(
                            transposeA: true, m: inputSize, n: cols.count, k: n, a: x.baseAddress!, lda: inputSize,
                            b: g + cols.lowerBound, ldb: outputSize, c: dw.baseAddress! + cols.lowerBound,
                            ldc: outputSize)
                    }
                }
            }
            if computeInputGradient {
                // dXᵀ = W·Gᵀ rather than dX = G·Wᵀ: `gemm` wants its B operand row-major, and
                // transposing G and dXᵀ (a batch's worth each) is far cheaper than transposing W.
                let gt = transposedGradient.reserve(outputSize * n)
                let dxt = transposedInputGradient.reserve(inputSize * n)
                transpose(g, rows: n, cols: outputSize, sourceStride: outputSize, into: gt, destinationStride: n)
                kernel.value.scalars.withUnsafeBufferPointer { w in
                    inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
                        // Workers take disjoint row blocks of W (column blocks of dx).
                        let parts = Workers.parts(for: inputSize, minimum: 128)
                        Workers.run(parts) { part in
                            let rows = Workers.range(inputSize, parts: parts, part: part)
                            gemm(
                                m: rows.count, n: n, k: outputSize, a: w.baseAddress! + rows.lowerBound * outputSize,
                                lda: outputSize, b: gt, ldb: n, c: dxt + rows.lowerBound * n, ldc: n)
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
