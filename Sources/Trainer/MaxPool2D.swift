/// Max pooling over NHWC input (default 2×2, stride 2). The forward pass records the input
/// index of each maximum; backward routes each output gradient to that one input element.
/// With `.same` padding an odd-sized input gets a clipped last window, as in TensorFlow.
public final class MaxPool2D: Layer {
    public let name: String
    public let poolSize: Int
    public let stride: Int
    public let padding: Padding
    private var argmax: [Int32] = []

    public init(name: String, poolSize: Int = 2, stride: Int = 2, padding: Padding = .valid) {
        self.name = name
        self.poolSize = poolSize
        self.stride = stride
        self.padding = padding
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4, "\(name): expected [N, H, W, C], got \(inputShape)")
        let oh = padding.geometry(input: inputShape[1], window: poolSize, stride: stride).output
        let ow = padding.geometry(input: inputShape[2], window: poolSize, stride: stride).output
        return [inputShape[0], oh, ow, inputShape[3]]
    }

    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        let shape = outputShape(for: input.shape)
        output.resize(to: shape)
        precondition(input.count < Int(Int32.max), "\(name): input too large for 32-bit indices")
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let (n, h, w, c) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (oh, ow) = (shape[1], shape[2])
        let padTop = padding.geometry(input: h, window: poolSize, stride: stride).padBefore
        let padLeft = padding.geometry(input: w, window: poolSize, stride: stride).padBefore
        input.scalars.withUnsafeBufferPointer { xb in
            output.scalars.withUnsafeMutableBufferPointer { yb in
                argmax.withUnsafeMutableBufferPointer { ab in
                    let x = xb.baseAddress!
                    var y = yb.baseAddress!
                    var a = ab.baseAddress!
                    for b in 0..<n {
                        for oy in 0..<oh {
                            let y0 = max(oy * stride - padTop, 0)
                            let y1 = min(oy * stride - padTop + poolSize, h)
                            for ox in 0..<ow {
                                let x0 = max(ox * stride - padLeft, 0)
                                let x1 = min(ox * stride - padLeft + poolSize, w)
                                var first = true
                                for iy in y0..<y1 {
                                    for ix in x0..<x1 {
                                        let base = ((b * h + iy) * w + ix) * c
                                        let src = x + base
                                        if first {
                                            for ch in 0..<c {
                                                y[ch] = src[ch]
                                                a[ch] = Int32(base + ch)
                                            }
                                            first = false
                                        } else {
                                            for ch in 0..<c where src[ch] > y[ch] {
                                                y[ch] = src[ch]
                                                a[ch] = Int32(base + ch)
                                            }
                                        }
                                    }
                                }
                                y += c
                                a += c
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        guard computeInputGradient else { return }
        inputGradient.resize(to: input.shape)
        inputGradient.scalars.withUnsafeMutableBufferPointer { dx in
            dx.update(repeating: 0)
            outputGradient.scalars.withUnsafeBufferPointer { dy in
                argmax.withUnsafeBufferPointer { a in
                    for i in 0..<dy.count { dx[Int(a[i])] += dy[i] }
                }
            }
        }
    }
}
