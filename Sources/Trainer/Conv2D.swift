/// Padding of a convolution or pooling window, with TensorFlow's meaning.
public enum Padding: Sendable {
    /// Output size ⌈input / stride⌉; the input is padded (at the end first when odd) so
    /// every output position has a window.
    case same
    /// Output size ⌊(input − window) / stride⌋ + 1; windows never leave the input.
    case valid

    /// Output extent and leading padding for one spatial dimension.
    func geometry(input: Int, window: Int, stride: Int) -> (output: Int, padBefore: Int) {
        switch self {
        case .same:
            let out = (input + stride - 1) / stride
            let total = max((out - 1) * stride + window - input, 0)
            return (out, total / 2)
        case .valid:
            return (max((input - window) / stride + 1, 0), 0)
        }
    }
}

/// A 2-D convolution over NHWC input with a `[k, k, inChannels, filters]` kernel (Keras'
/// HWIO layout), computed as im2col followed by one `cblas_sgemm` per chunk of images.
///
/// Because channels are innermost, each (output pixel, kernel row) in the column matrix is a
/// single contiguous run of `k · inChannels` input floats, copied with one `memcpy`.
/// Backward: dW = colᵀ·dY and dX = col2im(dY·Wᵀ), both through sgemm.
public final class Conv2D: Layer {
    public let name: String
    /// Input channels (the last input dimension).
    public let inChannels: Int
    /// Output channels.
    public let filters: Int
    /// The window is `kernelSize × kernelSize`.
    public let kernelSize: Int
    /// The step between windows, the same along both spatial dimensions.
    public let stride: Int
    public let padding: Padding
    /// The activation fused after the bias.
    public let activation: Activation
    /// The kernel, shape `[k, k, inChannels, filters]`.
    public let kernel: Parameter
    /// The per-filter bias, or nil when the layer has none (e.g. before batch norm).
    public let bias: Parameter?

    /// Upper bound on the floats in one worker's column buffer; larger work is done in chunks
    /// of images (which also keeps the buffer closer to the caches).
    /// 1 M floats (4 MB) measured best here among 256 K…8 M: big enough to amortise OpenBLAS's
    /// packing, small enough to stay in cache between im2col and the GEMM.
    static let columnBudget = 1 << 20

    /// Per worker: the column matrix, then the partial kernel and bias gradients.
    private var columnScratch: [Scratch] = []
    private var partialScratch: [Scratch] = []
    private let maskScratch = Scratch()
    /// Set by a training forward pass when every worker's column buffer still holds the im2col
    /// of its whole share of the input, so `backward` can skip recomputing it.
    private var columnsHoldInput: (parts: Int, count: Int)? = nil

    /// Creates a convolution with `filters` output channels and a `kernelSize`² window.
    public init(
        name: String, inChannels: Int, filters: Int, kernelSize: Int, stride: Int = 1, padding: Padding = .same,
        activation: Activation = .identity, useBias: Bool = true, initializer: Initializer = .he, seed: UInt64
    ) {
        self.name = name
        self.inChannels = inChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.activation = activation
        var k = Tensor(shape: [kernelSize, kernelSize, inChannels, filters])
        initializer.fill(
            &k, fanIn: kernelSize * kernelSize * inChannels, fanOut: kernelSize * kernelSize * filters, seed: seed)
        kernel = Parameter(name: "\(name)/kernel", value: k)
        bias = useBias ? Parameter(name: "\(name)/bias", value: Tensor(shape: [filters])) : nil
    }

    public var parameters: [Parameter] { bias.map { [kernel, $0] } ?? [kernel] }

    struct Geometry {
        var n, h, w, c, oh, ow, padTop, padLeft, k, s, filters: Int
        var patch: Int { k * k * c }
        var outPixels: Int { oh * ow }
    }

    func geometry(_ shape: [Int]) -> Geometry {
        precondition(
            shape.count == 4 && shape[3] == inChannels, "\(name): expected [N, H, W, \(inChannels)], got \(shape)")
        let (oh, pt) = padding.geometry(input: shape[1], window: kernelSize, stride: stride)
        let (ow, pl) = padding.geometry(input: shape[2], window: kernelSize, stride: stride)
        return Geometry(
            n: shape[0], h: shape[1], w: shape[2], c: shape[3], oh: oh, ow: ow, padTop: pt, padLeft: pl,
            k: kernelSize, s: stride, filters: filters)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(inputShape)
        return [g.n, g.oh, g.ow, filters]
    }

    /// Images per chunk so that a worker's column buffer stays within `columnBudget`.
    private func chunkSize(_ g: Geometry) -> Int {
        max(1, min(g.n, Conv2D.columnBudget / max(1, g.outPixels * g.patch)))
    }

    /// Column buffers for `parts` workers, each big enough for one chunk.
    private func columnBuffers(_ g: Geometry, parts: Int, chunk: Int) -> [UnsafeMutablePointer<Float>] {
        while columnScratch.count < parts { columnScratch.append(Scratch()) }
        return (0..<parts).map { columnScratch[$0].reserve(chunk * g.outPixels * g.patch) }
    }

    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        let g = geometry(input.shape)
        output.resize(to: [g.n, g.oh, g.ow, filters])
        let chunk = chunkSize(g)
        let parts = Workers.parts(for: g.n)
        let cols = columnBuffers(g, parts: parts, chunk: chunk)
        columnsHoldInput = training && (g.n + parts - 1) / parts <= chunk ? (parts, g.n) : nil
        let biasValues = bias?.value.scalars ?? []
        let activation = activation
        input.scalars.withUnsafeBufferPointer { xb in
            kernel.value.scalars.withUnsafeBufferPointer { wb in
                output.scalars.withUnsafeMutableBufferPointer { yb in
                    biasValues.withUnsafeBufferPointer { bb in
                        let (x, w, y) = (xb.baseAddress!, wb.baseAddress!, yb.baseAddress!)
                        let b = bb.isEmpty ? nil : bb.baseAddress!
                        Workers.run(parts) { part in
                            let images = Workers.range(g.n, parts: parts, part: part)
                            var first = images.lowerBound
                            while first < images.upperBound {
                                let count = min(chunk, images.upperBound - first)
                                let rows = count * g.outPixels
                                Conv2D.im2col(g, x, firstImage: first, images: count, cols[part])
                                let out = y + first * g.outPixels * g.filters
                                sgemm(
                                    m: rows, n: g.filters, k: g.patch, a: cols[part], lda: g.patch, b: w,
                                    ldb: g.filters, c: out, ldc: g.filters)
                                addBiasActivate(out, rows: rows, cols: g.filters, bias: b, activation: activation)
                                first += count
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
        let g = geometry(input.shape)
        let chunk = chunkSize(g)
        let parts = Workers.parts(for: g.n)
        let cols = columnBuffers(g, parts: parts, chunk: chunk)
        let reuseColumns = columnsHoldInput.map { $0 == (parts, g.n) } ?? false
        columnsHoldInput = nil
        while partialScratch.count < parts { partialScratch.append(Scratch()) }
        let weightCount = g.patch * g.filters
        let partials = (0..<parts).map { partialScratch[$0].reserve(weightCount + g.filters) }
        let pixelsPerImage = g.outPixels * g.filters
        let masked = activation == .relu ? maskScratch.reserve(g.n * pixelsPerImage) : nil
        if computeInputGradient { inputGradient.resize(to: input.shape) }

        input.scalars.withUnsafeBufferPointer { xb in
            output.scalars.withUnsafeBufferPointer { yb in
                outputGradient.scalars.withUnsafeBufferPointer { dyb in
                    kernel.value.scalars.withUnsafeBufferPointer { wb in
                        inputGradient.scalars.withUnsafeMutableBufferPointer { dxb in
                            let (x, w) = (xb.baseAddress!, wb.baseAddress!)
                            let dx = dxb.baseAddress
                            Workers.run(parts) { part in
                                let images = Workers.range(g.n, parts: parts, part: part)
                                // The gradient at the pre-activation: dY masked by the ReLU, or dY itself.
                                let grad: UnsafePointer<Float>
                                if let masked {
                                    let offset = images.lowerBound * pixelsPerImage
                                    reluMask(
                                        output: yb.baseAddress! + offset, gradient: dyb.baseAddress! + offset,
                                        into: masked + offset, count: images.count * pixelsPerImage)
                                    grad = UnsafePointer(masked)
                                } else {
                                    grad = dyb.baseAddress!
                                }
                                let dw = partials[part]
                                let db = dw + weightCount
                                columnSums(
                                    grad + images.lowerBound * pixelsPerImage, rows: images.count * g.outPixels,
                                    cols: g.filters, into: db)
                                var first = images.lowerBound
                                while first < images.upperBound {
                                    let count = min(chunk, images.upperBound - first)
                                    let rows = count * g.outPixels
                                    let gChunk = grad + first * pixelsPerImage
                                    if !reuseColumns {
                                        Conv2D.im2col(g, x, firstImage: first, images: count, cols[part])
                                    }
                                    sgemm(
                                        transposeA: true, m: g.patch, n: g.filters, k: rows, a: cols[part],
                                        lda: g.patch, b: gChunk, ldb: g.filters,
                                        beta: first == images.lowerBound ? 0 : 1, c: dw, ldc: g.filters)
                                    if computeInputGradient, let dx {
                                        sgemm(
                                            transposeB: true, m: rows, n: g.patch, k: g.filters, a: gChunk,
                                            lda: g.filters, b: w, ldb: g.filters, c: cols[part], ldc: g.patch)
                                        Conv2D.col2im(g, cols[part], firstImage: first, images: count, dx)
                                    }
                                    first += count
                                }
                            }
                        }
                    }
                }
            }
        }
        // Sum the workers' partial gradients in a fixed order (deterministic for a thread count).
        kernel.gradient.scalars.withUnsafeMutableBufferPointer { dw in
            dw.baseAddress!.update(from: partials[0], count: weightCount)
            for p in partials.dropFirst() { for i in 0..<weightCount { dw[i] += p[i] } }
        }
        if let bias {
            bias.gradient.scalars.withUnsafeMutableBufferPointer { db in
                db.baseAddress!.update(from: partials[0] + weightCount, count: g.filters)
                for p in partials.dropFirst() { for i in 0..<g.filters { db[i] += p[weightCount + i] } }
            }
        }
    }

    /// Writes one row of `k·k·c` floats per output pixel of images `firstImage..<firstImage+images`.
    static func im2col(
        _ g: Geometry, _ x: UnsafePointer<Float>, firstImage: Int, images: Int, _ col: UnsafeMutablePointer<Float>
    ) {
        let run = g.k * g.c
        var row = col
        for n in firstImage..<(firstImage + images) {
            let image = x + n * g.h * g.w * g.c
            for oy in 0..<g.oh {
                let iy0 = oy * g.s - g.padTop
                for ox in 0..<g.ow {
                    let ix0 = ox * g.s - g.padLeft
                    let lo = max(0, -ix0)
                    let hi = min(g.k, g.w - ix0)
                    for ky in 0..<g.k {
                        let dst = row + ky * run
                        let iy = iy0 + ky
                        if iy < 0 || iy >= g.h || hi <= lo {
                            dst.update(repeating: 0, count: run)
                            continue
                        }
                        if lo > 0 { dst.update(repeating: 0, count: lo * g.c) }
                        let src = image + (iy * g.w + ix0 + lo) * g.c
                        let len = (hi - lo) * g.c
                        let d = dst + lo * g.c
                        if len <= 16 {
                            for i in 0..<len { d[i] = src[i] }
                        } else {
                            d.update(from: src, count: len)
                        }
                        if hi < g.k { (dst + hi * g.c).update(repeating: 0, count: (g.k - hi) * g.c) }
                    }
                    row += g.patch
                }
            }
        }
    }

    /// The adjoint of `im2col`: sets the images' input gradient to the sum of the column rows.
    static func col2im(
        _ g: Geometry, _ col: UnsafePointer<Float>, firstImage: Int, images: Int, _ dx: UnsafeMutablePointer<Float>
    ) {
        let run = g.k * g.c
        (dx + firstImage * g.h * g.w * g.c).update(repeating: 0, count: images * g.h * g.w * g.c)
        var row = col
        for n in firstImage..<(firstImage + images) {
            let image = dx + n * g.h * g.w * g.c
            for oy in 0..<g.oh {
                let iy0 = oy * g.s - g.padTop
                for ox in 0..<g.ow {
                    let ix0 = ox * g.s - g.padLeft
                    let lo = max(0, -ix0)
                    let hi = min(g.k, g.w - ix0)
                    if hi > lo {
                        for ky in 0..<g.k {
                            let iy = iy0 + ky
                            if iy < 0 || iy >= g.h { continue }
                            let src = row + ky * run + lo * g.c
                            let dst = image + (iy * g.w + ix0 + lo) * g.c
                            addInPlace(dst, src, count: (hi - lo) * g.c)
                        }
                    }
                    row += g.patch
                }
            }
        }
    }
}
