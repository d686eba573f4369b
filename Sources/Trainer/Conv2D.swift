/// Padding of a convolution or pooling window, with TensorFlow's meaning.
enum Padding: Sendable {
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
/// HWIO layout), computed as im2col followed by a GEMM per chunk of output pixels.
///
/// Because channels are innermost, each (output pixel, kernel row) in the column matrix is a
/// single contiguous run of `k · inChannels` input floats, copied with one `memcpy`.
/// Backward: dW = colᵀ·dY and dX = col2im(dY·Wᵀ). The GEMMs go through `gemm`, which adds the
/// bias and applies the ReLU while the output is still in registers.
///
/// At a tier with GEMM tiles (AVX2+FMA, AVX-512: `implicitGEMM`), the forward and dW products
/// read the column matrix in place from a zero-padded copy of the input through offset tables:
/// no im2col. dX, at stride 1 with 8 or more input channels, is then the zero-padded dY
/// convolved with the flipped kernel, the same kind of gathered product: no col2im either.
///
/// SPI for the benchmarks package, which reads the window and channel counts to count FLOPs.
@_spi(Benchmarks) public final class Conv2D: Layer {
    /// The layer's unique name in its model, e.g. `conv1` (its parameters are `conv1/kernel`,
    /// `conv1/bias`).
    public let name: String
    /// Input channels (the last input dimension).
    public let inChannels: Int
    /// Output channels.
    let filters: Int
    /// The window is `kernelSize × kernelSize`.
    public let kernelSize: Int
    /// The step between windows, the same along both spatial dimensions.
    let stride: Int
    /// How windows meet the input's edges.
    let padding: Padding
    /// The activation fused after the bias.
    let activation: Activation
    /// The kernel, shape `[k, k, inChannels, filters]`.
    let kernel: Parameter
    /// The per-filter bias, or nil when the layer has none (e.g. before batch norm).
    let bias: Parameter?

    /// Upper bound on the floats in one worker's column buffer; larger work is done in chunks
    /// of output pixels. Our GEMM tiles have no per-call packing to amortise, so the chunk is
    /// sized to stay in the L2 cache between the dX GEMM and col2im (64 K floats measured as
    /// good as 16 K…1 M on AVX-512); OpenBLAS, used at the other tiers, prefers bigger calls
    /// (1 M measured best).
    static let columnBudget = gemmTier.hasGEMMTiles ? 1 << 16 : 1 << 20

    /// Per worker: the column matrix, then the partial kernel and bias gradients.
    private var columnScratch: [Scratch] = []
    private var partialScratch: [Scratch] = []
    private let maskScratch = Scratch()
    /// Per worker: one chunk of the masked output gradient (see `maskedChunkPixels`).
    private var maskedChunkScratch: [Scratch] = []
    /// Per worker: a few images' outputs for the forward pass in pieces (`forward(_:training:chunkFloats:consume:)`).
    private var forwardChunkScratch: [Scratch] = []
    /// Wᵀ in column blocks for the dX GEMM (see `transposedKernelBlocks`).
    private let transposedScratch = Scratch()
    /// Whether forward and dW read the padded input through offset tables (`gemmGathered`)
    /// instead of building column matrices: by default at the tiers with GEMM tiles. Either
    /// path runs at every tier; tests choose each to compare them.
    var implicitGEMM = gemmTier.hasGEMMTiles
    /// The tier whose GEMM kernels this layer calls (the tier in force; tests pick others, and
    /// the C side clamps a tier this process may not run).
    var kernelTier = gemmTier
    private let paddedScratch = Scratch()
    /// Offsets into the padded input: of each output pixel's window, and of each column-matrix
    /// column (kernel row, kernel column, channel) within a window; built for `tableShape`.
    private let pixelOffsets = OffsetTable()
    private let patchOffsets = OffsetTable()
    private var tableShape: [Int] = []
    /// For dX as a convolution (`directInputGradient`): the output gradient zero-padded by
    /// `k − 1 − pad` on each side, the kernel flipped and transposed to `[k, k, filters,
    /// inChannels]`, and the offset tables into the padded gradient of each input pixel and of
    /// each (kernel row, kernel column, filter).
    private let paddedGradientScratch = Scratch()
    private let flippedScratch = Scratch()
    private let inputPixelOffsets = OffsetTable()
    private let flippedPatchOffsets = OffsetTable()
    private var gradientTableShape: [Int] = []
    /// Set by a training forward pass when every worker's column buffer still holds the im2col
    /// of its whole share of the input, so `backward` can skip recomputing it.
    private var columnsHoldInput: (parts: Int, count: Int)? = nil
    /// Set by a training forward pass on the gathered path: the padded buffer holds that input
    /// (of this shape), so `backward` need not pad it again.
    private var paddedHoldsInput: [Int]? = nil

    /// Creates a convolution with `filters` output channels and a `kernelSize`² window.
    init(
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

    /// The kernel, then the bias when the layer has one.
    public var parameters: [Parameter] { bias.map { [kernel, $0] } ?? [kernel] }

    struct Geometry {
        var n, h, w, c, oh, ow, padTop, padLeft, k, s, filters: Int
        var patch: Int { k * k * c }
        var outPixels: Int { oh * ow }
        /// The padded input's extent: room for every window, padding included.
        var paddedHeight: Int { max(padTop + h, (oh - 1) * s + k) }
        var paddedWidth: Int { max(padLeft + w, (ow - 1) * s + k) }
        var paddedImage: Int { paddedHeight * paddedWidth * c }
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

    /// `[N, H', W', filters]` for an input `[N, H, W, inChannels]`, H' and W' as `padding` and
    /// `stride` give them.
    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = geometry(inputShape)
        return [g.n, g.oh, g.ow, filters]
    }

    /// Output pixels (column rows) per chunk so that a worker's column buffer stays within
    /// `columnBudget`.
    private func chunkRows(_ g: Geometry) -> Int {
        max(1, min(g.n * g.outPixels, Conv2D.columnBudget / max(1, g.patch)))
    }

    /// Column buffers for `parts` workers, each big enough for one chunk.
    private func columnBuffers(_ g: Geometry, parts: Int, chunk: Int) -> [UnsafeMutablePointer<Float>] {
        while columnScratch.count < parts { columnScratch.append(Scratch()) }
        return (0..<parts).map { columnScratch[$0].reserve(chunk * g.patch) }
    }

    /// Wᵀ (filters × patch) stored as consecutive blocks of at most 64 patch columns, block j0
    /// at offset `filters · j0` with row stride equal to its width: each block is then a small
    /// contiguous B operand for `gemm`, which streams B rows far better than rows 4·patch bytes apart.
    private func transposedKernelBlocks(_ g: Geometry, _ w: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let blocks = transposedScratch.reserve(g.patch * g.filters)
        for j0 in Swift.stride(from: 0, to: g.patch, by: 64) {
            let width = min(64, g.patch - j0)
            let block = blocks + g.filters * j0
            for f in 0..<g.filters {
                for j in 0..<width { block[f * width + j] = w[(j0 + j) * g.filters + f] }
            }
        }
        return UnsafePointer(blocks)
    }

    /// Copies images `images` of `x` into `padded` with zero borders (geometry `g`).
    private static func pad(
        _ g: Geometry, _ x: UnsafePointer<Float>, images: Range<Int>, into padded: UnsafeMutablePointer<Float>
    ) {
        let (hp, wp) = (g.paddedHeight, g.paddedWidth)
        let rowFloats = g.w * g.c
        let right = (wp - g.padLeft - g.w) * g.c
        for n in images {
            let image = padded + n * g.paddedImage
            image.update(repeating: 0, count: g.padTop * wp * g.c)
            for iy in 0..<g.h {
                let row = image + (g.padTop + iy) * wp * g.c
                row.update(repeating: 0, count: g.padLeft * g.c)
                (row + g.padLeft * g.c).update(from: x + (n * g.h + iy) * rowFloats, count: rowFloats)
                (row + g.padLeft * g.c + rowFloats).update(repeating: 0, count: right)
            }
            let bottom = g.padTop + g.h
            (image + bottom * wp * g.c).update(repeating: 0, count: (hp - bottom) * wp * g.c)
        }
    }

    /// Rebuilds `pixelOffsets` and `patchOffsets` when the input shape changes.
    private func buildOffsetTables(_ g: Geometry, shape: [Int]) {
        guard shape != tableShape else { return }
        let wp = g.paddedWidth
        var pixels: [Int] = []
        pixels.reserveCapacity(g.n * g.outPixels)
        for n in 0..<g.n {
            for oy in 0..<g.oh {
                for ox in 0..<g.ow { pixels.append(n * g.paddedImage + (oy * g.s * wp + ox * g.s) * g.c) }
            }
        }
        var patch: [Int] = []
        patch.reserveCapacity(g.patch)
        for ky in 0..<g.k {
            for kx in 0..<g.k {
                for ci in 0..<g.c { patch.append((ky * wp + kx) * g.c + ci) }
            }
        }
        pixelOffsets.set(pixels)
        patchOffsets.set(patch)
        tableShape = shape
    }

    /// Whether `backward` computes dX as the convolution of the padded output gradient with the
    /// flipped kernel (one gathered GEMM per worker, no column matrix and no col2im): with
    /// `implicitGEMM`, for stride 1 and at least 8 input channels (that product's n; with fewer,
    /// its vectors would be mostly empty, while col2im's product has n = k·k·c).
    private func directInputGradient(_ g: Geometry) -> Bool { implicitGEMM && g.s == 1 && g.c >= 8 }

    /// The padded output gradient's extent for `directInputGradient`: with stride 1, input pixel
    /// (iy, ix) receives G(iy + padTop − ky, ix + padLeft − kx)·W(ky, kx) for the ky, kx that
    /// land inside G. Padding G by k − 1 − padTop rows above (k − 1 − padLeft columns left) and
    /// up to h + k − 1 rows (w + k − 1 columns) in all, the sum is over a full k×k window at
    /// (iy, ix) of the padded G with the kernel flipped.
    private struct GradientGeometry {
        var height, width, top, left: Int
        init(_ g: Geometry) {
            (height, width) = (g.h + g.k - 1, g.w + g.k - 1)
            (top, left) = (g.k - 1 - g.padTop, g.k - 1 - g.padLeft)
        }
        func image(_ g: Geometry) -> Int { height * width * g.filters }
    }

    /// Rebuilds `inputPixelOffsets` and `flippedPatchOffsets` when the input shape changes.
    private func buildGradientOffsetTables(_ g: Geometry, shape: [Int]) {
        guard shape != gradientTableShape else { return }
        let gg = GradientGeometry(g)
        var pixels: [Int] = []
        pixels.reserveCapacity(g.n * g.h * g.w)
        for n in 0..<g.n {
            for iy in 0..<g.h {
                for ix in 0..<g.w { pixels.append(((n * gg.height + iy) * gg.width + ix) * g.filters) }
            }
        }
        var patch: [Int] = []
        patch.reserveCapacity(g.k * g.k * g.filters)
        for ky in 0..<g.k {
            for kx in 0..<g.k {
                for f in 0..<g.filters { patch.append((ky * gg.width + kx) * g.filters + f) }
            }
        }
        inputPixelOffsets.set(pixels)
        flippedPatchOffsets.set(patch)
        gradientTableShape = shape
    }

    /// The kernel `[k, k, c, filters]` flipped in both spatial dimensions and transposed to
    /// `[k, k, filters, c]`: the B operand of the direct dX convolution.
    private func flippedKernel(_ g: Geometry, _ w: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let flipped = flippedScratch.reserve(g.patch * g.filters)
        for ky in 0..<g.k {
            for kx in 0..<g.k {
                let source = w + ((g.k - 1 - ky) * g.k + (g.k - 1 - kx)) * g.c * g.filters
                let destination = flipped + (ky * g.k + kx) * g.filters * g.c
                transpose(
                    source, rows: g.c, cols: g.filters, sourceStride: g.filters, into: destination,
                    destinationStride: g.c)
            }
        }
        return UnsafePointer(flipped)
    }

    /// Copies the output gradient of images `images` into `padded` with the zero borders of
    /// `GradientGeometry`.
    private static func padGradient(
        _ g: Geometry, _ grad: UnsafePointer<Float>, images: Range<Int>, into padded: UnsafeMutablePointer<Float>
    ) {
        let gg = GradientGeometry(g)
        let rowFloats = g.ow * g.filters
        let paddedRow = gg.width * g.filters
        let right = paddedRow - gg.left * g.filters - rowFloats
        for n in images {
            let image = padded + n * gg.image(g)
            for y in 0..<gg.height {
                let row = image + y * paddedRow
                let oy = y - gg.top
                guard oy >= 0 && oy < g.oh else {
                    row.update(repeating: 0, count: paddedRow)
                    continue
                }
                row.update(repeating: 0, count: gg.left * g.filters)
                (row + gg.left * g.filters).update(from: grad + (n * g.oh + oy) * rowFloats, count: rowFloats)
                (row + gg.left * g.filters + rowFloats).update(repeating: 0, count: right)
            }
        }
    }

    /// The padded input for `implicitGEMM` (filled by the workers' `pad` calls).
    private func paddedBuffer(_ g: Geometry) -> UnsafeMutablePointer<Float> {
        paddedScratch.reserve(g.n * g.paddedImage)
    }

    /// The convolution plus bias and fused activation of `input` `[N, H, W, inChannels]`, into
    /// `output` (resized to `outputShape(for:)`); `training` makes no difference here.
    public func forward(_ input: Tensor, into output: inout Tensor, training: Bool) {
        let g = geometry(input.shape)
        output.resize(to: [g.n, g.oh, g.ow, filters])
        let implicit = implicitGEMM
        if implicit { buildOffsetTables(g, shape: input.shape) }
        let padded = implicit ? paddedBuffer(g) : nil
        let chunk = chunkRows(g)
        let parts = Workers.parts(for: g.n)
        let cols = columnBuffers(g, parts: parts, chunk: implicit ? 0 : chunk)
        let holdsAll = (g.n + parts - 1) / parts * g.outPixels <= chunk
        columnsHoldInput = training && !implicit && holdsAll ? (parts, g.n) : nil
        paddedHoldsInput = training && implicit ? input.shape : nil
        let biasValues = bias?.value.scalars ?? []
        let relu = activation == .relu
        input.scalars.withUnsafeBufferPointer { xb in
            kernel.value.scalars.withUnsafeBufferPointer { wb in
                output.scalars.withUnsafeMutableBufferPointer { yb in
                    biasValues.withUnsafeBufferPointer { bb in
                        let (x, w, y) = (xb.baseAddress!, wb.baseAddress!, yb.baseAddress!)
                        let b = bb.isEmpty ? nil : bb.baseAddress!
                        Workers.run(parts) { part in
                            let images = Workers.range(g.n, parts: parts, part: part)
                            let end = images.upperBound * g.outPixels
                            var first = images.lowerBound * g.outPixels
                            if let padded {
                                Conv2D.pad(g, x, images: images, into: padded)
                                gemmGathered(
                                    m: end - first, n: g.filters, k: g.patch, a: padded,
                                    rowOffsets: pixelOffsets.pointer + first, depthOffsets: patchOffsets.pointer,
                                    b: w, ldb: g.filters, c: y + first * g.filters, ldc: g.filters, bias: b,
                                    relu: relu, tier: kernelTier)
                                return
                            }
                            while first < end {
                                let rows = min(chunk, end - first)
                                Conv2D.im2col(g, x, firstRow: first, rows: rows, cols[part])
                                gemm(
                                    m: rows, n: g.filters, k: g.patch, a: cols[part], lda: g.patch, b: w,
                                    ldb: g.filters, c: y + first * g.filters, ldc: g.filters, bias: b, relu: relu,
                                    tier: kernelTier)
                                first += rows
                            }
                        }
                    }
                }
            }
        }
    }

    /// The forward pass on the gathered path (`implicitGEMM`) without writing the output whole:
    /// each worker convolves its images a few at a time, about `chunkFloats` floats of output per
    /// piece, into a buffer of its own, and hands every piece to `consume(images, values)` on its
    /// thread while the piece is still in cache (`values` holds those images' outputs, laid out
    /// as in the whole output). Each output value has the bits `forward` gives it. Returns false,
    /// having done nothing, when the layer builds column matrices instead (`implicitGEMM` off).
    func forward(
        _ input: Tensor, training: Bool, chunkFloats: Int, consume: (Range<Int>, UnsafePointer<Float>) -> Void
    ) -> Bool {
        guard implicitGEMM else { return false }
        let g = geometry(input.shape)
        buildOffsetTables(g, shape: input.shape)
        let padded = paddedBuffer(g)
        let parts = Workers.parts(for: g.n)
        let imageFloats = g.outPixels * g.filters
        let imagesPerChunk = max(1, min(g.n, chunkFloats / max(1, imageFloats)))
        while forwardChunkScratch.count < parts { forwardChunkScratch.append(Scratch()) }
        let chunks = (0..<parts).map { forwardChunkScratch[$0].reserve(imagesPerChunk * imageFloats) }
        columnsHoldInput = nil
        paddedHoldsInput = training ? input.shape : nil
        let biasValues = bias?.value.scalars ?? []
        let (relu, tier) = (activation == .relu, kernelTier)
        input.scalars.withUnsafeBufferPointer { xb in
            kernel.value.scalars.withUnsafeBufferPointer { wb in
                biasValues.withUnsafeBufferPointer { bb in
                    let (x, w, b) = (xb.baseAddress!, wb.baseAddress!, bb.isEmpty ? nil : bb.baseAddress!)
                    Workers.run(parts) { part in
                        let images = Workers.range(g.n, parts: parts, part: part)
                        Conv2D.pad(g, x, images: images, into: padded)
                        for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: imagesPerChunk) {
                            let piece = first..<min(first + imagesPerChunk, images.upperBound)
                            gemmGathered(
                                m: piece.count * g.outPixels, n: g.filters, k: g.patch, a: padded,
                                rowOffsets: pixelOffsets.pointer + first * g.outPixels,
                                depthOffsets: patchOffsets.pointer, b: w, ldb: g.filters, c: chunks[part],
                                ldc: g.filters, bias: b, relu: relu, tier: tier)
                            consume(piece, chunks[part])
                        }
                    }
                }
            }
        }
        return true
    }

    /// Sets the kernel's and the bias's gradients from `outputGradient` (masked by the fused
    /// ReLU, when there is one) and, when `computeInputGradient`, writes dLoss/dInput.
    public func backward(
        input: Tensor, output: Tensor, outputGradient: Tensor, inputGradient: inout Tensor, computeInputGradient: Bool
    ) {
        outputGradient.scalars.withUnsafeBufferPointer { dy in
            backward(
                input: input, output: output, gradient: .dense(dy.baseAddress!), inputGradient: &inputGradient,
                computeInputGradient: computeInputGradient)
        }
    }

    /// Where `backward` finds the gradient at the layer's output.
    enum OutputGradient {
        /// Laid out like the output.
        case dense(UnsafePointer<Float>)
        /// The gradient of a max pool over disjoint windows that followed this layer (its
        /// output gradient, output and argmax: see `PoolRouting`). Needs the fused ReLU.
        case pooled(PoolRouting)
    }

    /// `backward` with the output gradient given as `gradient`. When it is `.pooled`, the
    /// gradient at each output element is the pool's gradient where the pool's argmax names the
    /// element, else 0, masked by the ReLU, computed as it is read: the pool's full-size input
    /// gradient is never written, nor this layer's output read.
    func backward(
        input: Tensor, output: Tensor, gradient: OutputGradient, inputGradient: inout Tensor,
        computeInputGradient: Bool
    ) {
        let g = geometry(input.shape)
        let routing: PoolRouting?
        switch gradient {
        case .dense: routing = nil
        case .pooled(let r):
            precondition(activation == .relu, "\(name): a pooled output gradient needs the fused ReLU")
            routing = r
        }
        let denseGradient: UnsafePointer<Float>? =
            switch gradient {
            case .dense(let dy): dy
            case .pooled: nil
            }
        let implicit = implicitGEMM
        if implicit { buildOffsetTables(g, shape: input.shape) }
        let padded = implicit ? paddedBuffer(g) : nil
        let chunk = chunkRows(g)
        let parts = Workers.parts(for: g.n)
        let direct = computeInputGradient && directInputGradient(g)
        if direct { buildGradientOffsetTables(g, shape: input.shape) }
        let paddedGradient = direct ? paddedGradientScratch.reserve(g.n * GradientGeometry(g).image(g)) : nil
        let cols = columnBuffers(
            g, parts: parts, chunk: implicit && (!computeInputGradient || direct) ? 0 : chunk)
        let reuseColumns = columnsHoldInput.map { $0 == (parts, g.n) } ?? false
        columnsHoldInput = nil
        let reusePadded = paddedHoldsInput == input.shape
        paddedHoldsInput = nil
        while partialScratch.count < parts { partialScratch.append(Scratch()) }
        let weightCount = g.patch * g.filters
        let partials = (0..<parts).map { partialScratch[$0].reserve(weightCount + g.filters) }
        let pixelsPerImage = g.outPixels * g.filters
        let hasBias = bias != nil
        // Without dX, on the gathered path, the ReLU-masked gradient is made a chunk at a time
        // into a small per-worker buffer that the dW product reads while it is still in cache,
        // instead of being written whole and read twice more (bias sums, dW).
        let chunked = activation == .relu && padded != nil && !computeInputGradient
        let chunkPixels = Conv2D.maskedChunkPixels(filters: g.filters)
        while chunked && maskedChunkScratch.count < parts { maskedChunkScratch.append(Scratch()) }
        let chunkBuffers = chunked ? (0..<parts).map { maskedChunkScratch[$0].reserve(chunkPixels * g.filters) } : []
        let masked = activation == .relu && !chunked ? maskScratch.reserve(g.n * pixelsPerImage) : nil
        if computeInputGradient { inputGradient.resize(to: input.shape) }

        input.scalars.withUnsafeBufferPointer { xb in
            output.scalars.withUnsafeBufferPointer { yb in
                kernel.value.scalars.withUnsafeBufferPointer { wb in
                    inputGradient.scalars.withUnsafeMutableBufferPointer { dxb in
                        let x = xb.baseAddress!
                        let dx = computeInputGradient ? dxb.baseAddress : nil
                        let wt = dx == nil || direct ? nil : transposedKernelBlocks(g, wb.baseAddress!)
                        let flipped = direct ? flippedKernel(g, wb.baseAddress!) : nil
                        Workers.run(parts) { part in
                            let images = Workers.range(g.n, parts: parts, part: part)
                            // The gradient at the pre-activation: dY masked by the ReLU (with the bias
                            // gradient's sums in the same pass), or dY itself; chunk by chunk below
                            // when `chunked`.
                            let grad: UnsafePointer<Float>
                            let dw = partials[part]
                            let db = dw + weightCount
                            let offset = images.lowerBound * pixelsPerImage
                            if let masked {
                                db.update(repeating: 0, count: g.filters)
                                if let routing {
                                    routing.reluMaskAndColumnSums(
                                        firstRow: images.lowerBound * g.outPixels,
                                        rows: images.count * g.outPixels, channels: g.filters,
                                        into: masked + offset, addingTo: db, tier: kernelTier)
                                } else {
                                    reluMaskAndColumnSums(
                                        output: yb.baseAddress! + offset, gradient: denseGradient! + offset,
                                        into: masked + offset, rows: images.count * g.outPixels, cols: g.filters,
                                        addingTo: db)
                                }
                                grad = UnsafePointer(masked)
                            } else {
                                // Only with `.dense` (a pooled gradient needs the ReLU, so it is
                                // masked, whole or a chunk at a time).
                                grad = denseGradient ?? UnsafePointer(chunkBuffers[part])
                                // The bias gradient's sums, a pass over the whole gradient: only
                                // for a layer with a bias (digits' convolutions, before batch
                                // norm, have none).
                                if !chunked && hasBias {
                                    columnSums(
                                        grad + offset, rows: images.count * g.outPixels, cols: g.filters, into: db)
                                }
                            }
                            if let dx, let paddedGradient, let flipped {
                                // dX = the padded G convolved with the flipped kernel: a gathered
                                // GEMM over input pixels that writes every dX value once.
                                Conv2D.padGradient(g, grad, images: images, into: paddedGradient)
                                let pixels = g.h * g.w
                                gemmGathered(
                                    m: images.count * pixels, n: g.c, k: g.patch / g.c * g.filters,
                                    a: paddedGradient,
                                    rowOffsets: inputPixelOffsets.pointer + images.lowerBound * pixels,
                                    depthOffsets: flippedPatchOffsets.pointer, b: flipped, ldb: g.c,
                                    c: dx + images.lowerBound * pixels * g.c, ldc: g.c, tier: kernelTier)
                            } else if let dx {
                                let imageSize = g.h * g.w * g.c
                                (dx + images.lowerBound * imageSize).update(
                                    repeating: 0, count: images.count * imageSize)
                            }
                            let start = images.lowerBound * g.outPixels
                            let end = images.upperBound * g.outPixels
                            if let padded {
                                // dW = colᵀ·G with colᵀ read from the padded input: its rows are
                                // the window offsets, its depth the output pixels.
                                if !reusePadded { Conv2D.pad(g, x, images: images, into: padded) }
                                if chunked {
                                    let buffer = chunkBuffers[part]
                                    db.update(repeating: 0, count: g.filters)
                                    var first = start
                                    while first < end {
                                        let rows = min(chunkPixels, end - first)
                                        if let routing {
                                            routing.reluMaskAndColumnSums(
                                                firstRow: first, rows: rows, channels: g.filters, into: buffer,
                                                addingTo: db, tier: kernelTier)
                                        } else {
                                            reluMaskAndColumnSums(
                                                output: yb.baseAddress! + first * g.filters,
                                                gradient: denseGradient! + first * g.filters, into: buffer,
                                                rows: rows, cols: g.filters, addingTo: db)
                                        }
                                        gemmGathered(
                                            m: g.patch, n: g.filters, k: rows, a: padded,
                                            rowOffsets: patchOffsets.pointer,
                                            depthOffsets: pixelOffsets.pointer + first, b: buffer, ldb: g.filters,
                                            c: dw, ldc: g.filters, accumulate: first != start, tier: kernelTier)
                                        first += rows
                                    }
                                } else {
                                    gemmGathered(
                                        m: g.patch, n: g.filters, k: end - start, a: padded,
                                        rowOffsets: patchOffsets.pointer,
                                        depthOffsets: pixelOffsets.pointer + start, b: grad + start * g.filters,
                                        ldb: g.filters, c: dw, ldc: g.filters, tier: kernelTier)
                                }
                            }
                            var first = start
                            while first < end && (padded == nil || (dx != nil && !direct)) {
                                let rows = min(chunk, end - first)
                                let gChunk = grad + first * g.filters
                                if padded == nil {
                                    if !reuseColumns {
                                        Conv2D.im2col(g, x, firstRow: first, rows: rows, cols[part])
                                    }
                                    gemm(
                                        transposeA: true, m: g.patch, n: g.filters, k: rows, a: cols[part],
                                        lda: g.patch, b: gChunk, ldb: g.filters, c: dw, ldc: g.filters,
                                        accumulate: first != start, tier: kernelTier)
                                }
                                if let dx, let wt, !direct {
                                    for j0 in Swift.stride(from: 0, to: g.patch, by: 64) {
                                        let width = min(64, g.patch - j0)
                                        gemm(
                                            m: rows, n: width, k: g.filters, a: gChunk, lda: g.filters,
                                            b: wt + g.filters * j0, ldb: width, c: cols[part] + j0, ldc: g.patch,
                                            tier: kernelTier)
                                    }
                                    Conv2D.col2im(g, cols[part], firstRow: first, rows: rows, dx)
                                }
                                first += rows
                            }
                            if start == end {
                                dw.update(repeating: 0, count: weightCount)
                                db.update(repeating: 0, count: g.filters)
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

    /// Output pixels per chunk of the masked gradient on the chunked dW path: the GEMM's own depth
    /// block for n = filters (a quarter of the L2 cache of floats), so the chunk is still in cache
    /// when the dW product reads it, and the chunks add up in the same order as one call over every
    /// pixel would.
    static func maskedChunkPixels(filters: Int) -> Int { gemmDepthBlock(columns: filters) }

    /// Writes one row of `k·k·c` floats for each output pixel `firstRow..<firstRow+rows`, the
    /// pixels numbered image by image, row by row.
    static func im2col(
        _ g: Geometry, _ x: UnsafePointer<Float>, firstRow: Int, rows: Int, _ col: UnsafeMutablePointer<Float>
    ) {
        let run = g.k * g.c
        var row = col
        forEachPixel(g, firstRow: firstRow, rows: rows) { n, oy, ox in
            let image = x + n * g.h * g.w * g.c
            let iy0 = oy * g.s - g.padTop
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

    /// The adjoint of `im2col`: adds the column rows of output pixels `firstRow..<firstRow+rows`
    /// into the input gradient (which the caller zeroes first).
    static func col2im(
        _ g: Geometry, _ col: UnsafePointer<Float>, firstRow: Int, rows: Int, _ dx: UnsafeMutablePointer<Float>
    ) {
        let run = g.k * g.c
        var row = col
        forEachPixel(g, firstRow: firstRow, rows: rows) { n, oy, ox in
            let image = dx + n * g.h * g.w * g.c
            let iy0 = oy * g.s - g.padTop
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

    /// Calls `body(image, oy, ox)` for output pixels `firstRow..<firstRow+rows` in order.
    @inline(__always)
    private static func forEachPixel(_ g: Geometry, firstRow: Int, rows: Int, _ body: (Int, Int, Int) -> Void) {
        var n = firstRow / g.outPixels
        var oy = firstRow % g.outPixels / g.ow
        var ox = firstRow % g.ow
        for _ in 0..<rows {
            body(n, oy, ox)
            ox += 1
            if ox == g.ow {
                ox = 0
                oy += 1
                if oy == g.oh {
                    oy = 0
                    n += 1
                }
            }
        }
    }
}
