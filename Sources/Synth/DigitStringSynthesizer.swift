import Imaging
internal import ShardKitSupport

/// Makes digit strings from a `DigitSource`, each a pure function of (seed, record key): record
/// `index` of `split` uses `RecordKey("split/index").generator(seed: seed)`, so the output does
/// not depend on thread count or on the order records are made in.
///
/// Draw order for one string: the length (one draw, `LengthDistribution.draw`), then one source
/// index per digit, left to right (uniform over the whole source); then, for `.free` only, per
/// digit left to right: its scale, its gap (not for the first digit), its vertical jitter
/// (see `FreeLayout`). `.fixed` makes no further draws.
public struct DigitStringSynthesizer: Sendable {
    /// What to make: the length rule, the layout, the canvas and the seed. Checked by the
    /// synthesizer's `init`, not here.
    public struct Configuration: Sendable, Equatable {
        /// Longest string, 1…5 (the `digits` feature has five slots; longer is refused).
        public var maxLength: Int
        /// Length weights; `nil` means uniform over 1…`maxLength`.
        public var lengths: LengthDistribution?
        /// How digits are placed (default `.free`).
        public var layout: DigitLayout
        /// Canvas rows of the free layout (the fixed layout's size follows from the digits).
        public var height: Int
        /// Canvas columns of the free layout.
        public var width: Int
        /// 1 (gray, as the source digits: a third of the bytes to write, hash and read) or 3 (the
        /// gray value in R, G and B: the shape of SVHN's images).
        public var channels: Int
        /// The run's seed: with a record's key it fixes every draw for that record.
        public var seed: UInt64

        /// The defaults make 64×64 gray strings of 1…5 digits, free layout, seed 0.
        public init(
            maxLength: Int = 5, lengths: LengthDistribution? = nil, layout: DigitLayout = .free, height: Int = 64,
            width: Int = 64, channels: Int = 1, seed: UInt64 = 0
        ) {
            self.maxLength = maxLength
            self.lengths = lengths
            self.layout = layout
            self.height = height
            self.width = width
            self.channels = channels
            self.seed = seed
        }
    }

    /// The digits strings are drawn from.
    public let source: DigitSource
    /// The configuration as given (its `lengths` may be `nil`; see `lengths`).
    public let configuration: Configuration
    /// The length distribution in use: the configured one, or uniform over 1…`maxLength`.
    public let lengths: LengthDistribution

    /// Fails when `maxLength` is outside 1…5, the lengths name a length above it, or the canvas
    /// is empty.
    public init(source: DigitSource, configuration: Configuration) throws(SynthError) {
        guard (1...DigitString.labelSlots).contains(configuration.maxLength) else {
            throw SynthError(
                "the maximum length must be 1…\(DigitString.labelSlots) (the digits feature has "
                    + "\(DigitString.labelSlots) slots), not \(configuration.maxLength)")
        }
        guard configuration.height > 0, configuration.width > 0 else {
            throw SynthError("the canvas size must be positive")
        }
        guard configuration.channels == 1 || configuration.channels == 3 else {
            throw SynthError("the image must have 1 or 3 channels, not \(configuration.channels)")
        }
        let lengths = configuration.lengths ?? .uniform(maxLength: configuration.maxLength)
        guard lengths.maxLength <= configuration.maxLength else {
            throw SynthError(
                "the lengths give weight to length \(lengths.maxLength), above the maximum length "
                    + "\(configuration.maxLength)")
        }
        self.source = source
        self.configuration = configuration
        self.lengths = lengths
    }

    /// The shape of every image this synthesizer makes (height, width, channels).
    public var imageShape: (height: Int, width: Int, channels: Int) {
        switch configuration.layout {
        case .free: (configuration.height, configuration.width, configuration.channels)
        case .fixed: (source.digitHeight, source.digitWidth * configuration.maxLength, configuration.channels)
        }
    }

    /// The record key of record `index` of `split`: `"train/42"`.
    public static func recordKey(split: String, index: Int) -> String { "\(split)/\(index)" }

    /// Record `index` of `split`.
    public func synthesize(split: String, index: Int) -> DigitString {
        synthesize(key: Self.recordKey(split: split, index: index))
    }

    /// The string for record `key`.
    public func synthesize(key: String) -> DigitString {
        var rng = RecordKey(key).generator(seed: configuration.seed)
        let length = lengths.draw(using: &rng)
        var indices: [Int] = []
        indices.reserveCapacity(length)
        for _ in 0..<length { indices.append(Draw.index(below: source.count, using: &rng)) }
        let digits = indices.map { source.labels[$0] }
        switch configuration.layout {
        case .fixed:
            return renderFixed(indices: indices, digits: digits)
        case .free:
            var scales: [Double] = []
            var gaps: [Double] = []
            var jitters: [Double] = []
            for i in 0..<length {
                scales.append(Draw.uniform(FreeLayout.scale.lowerBound, FreeLayout.scale.upperBound, using: &rng))
                gaps.append(
                    i == 0 ? 0 : Draw.uniform(FreeLayout.gap.lowerBound, FreeLayout.gap.upperBound, using: &rng))
                jitters.append(
                    Draw.uniform(FreeLayout.jitter.lowerBound, FreeLayout.jitter.upperBound, using: &rng))
            }
            return renderFree(indices: indices, digits: digits, scales: scales, gaps: gaps, jitters: jitters)
        }
    }

    // MARK: Rendering

    private func renderFixed(indices: [Int], digits: [Int]) -> DigitString {
        let dh = source.digitHeight
        let dw = source.digitWidth
        let width = dw * configuration.maxLength
        var gray = [UInt8](repeating: 0, count: dh * width)
        var boxes: [DigitBox] = []
        for (slot, sourceIndex) in indices.enumerated() {
            let digit = source.images[sourceIndex].pixels
            for y in 0..<dh {
                gray.replaceSubrange(
                    (y * width + slot * dw)..<(y * width + slot * dw + dw), with: digit[(y * dw)..<(y * dw + dw)])
            }
            boxes.append(DigitBox(left: Double(slot * dw), top: 0, width: Double(dw), height: Double(dh)))
        }
        return DigitString(
            image: image(gray: gray, height: dh, width: width), digits: digits, sourceIndices: indices, boxes: boxes)
    }

    /// Places the digits on a line in digit units, fits the string's ink, grown by
    /// `FreeLayout.margin` on each side, into the canvas (full height; squeezed sideways when
    /// wider than the canvas allows, see `DigitLayout.free`), centres it, and draws each digit
    /// into its box (`draw`: zero outside the digit), combining overlaps by the brighter value
    /// (ink is bright).
    private func renderFree(
        indices: [Int], digits: [Int], scales: [Double], gaps: [Double], jitters: [Double]
    ) -> DigitString {
        let dh = Double(source.digitHeight)
        let dw = Double(source.digitWidth)
        var lefts: [Double] = []
        var tops: [Double] = []
        var x = 0.0
        for i in 0..<indices.count {
            if i > 0 { x += dw * scales[i - 1] + gaps[i] * dw }
            lefts.append(x)
            tops.append(-dh * scales[i] / 2 + jitters[i] * dh)
        }
        let inks = indices.map { source.inkBoxes[$0] }
        let columns = InkSpans(
            starts: lefts, scales: scales, length: dw, ink: inks.map { $0.rows.isEmpty ? nil : $0.columns })
        let rows = InkSpans(starts: tops, scales: scales, length: dh, ink: inks.map { $0.rows.isEmpty ? nil : $0.rows })
        let canvasH = configuration.height
        let canvasW = configuration.width
        let grown = 1 + 2 * FreeLayout.margin
        // The height always fills the canvas; a string wider than tall is squeezed sideways
        // rather than shrunk, as SVHN's preprocessing resizes each grown box to a square. Digits
        // of a 5-digit string keep most of the canvas's height instead of a sixth of it.
        let ky = rows.scale(fitting: Double(canvasH) / grown)
        let kx = min(columns.scale(fitting: Double(canvasW) / grown), ky)
        let (left, right) = columns.extent(scale: kx)
        let (top, bottom) = rows.extent(scale: ky)
        let offsetX = (Double(canvasW) - left - right) / 2
        let offsetY = (Double(canvasH) - top - bottom) / 2
        var gray = [UInt8](repeating: 0, count: canvasH * canvasW)
        var boxes: [DigitBox] = []
        for i in 0..<indices.count {
            let box = DigitBox(
                left: offsetX + kx * lefts[i], top: offsetY + ky * tops[i],
                width: kx * dw * scales[i], height: ky * dh * scales[i])
            boxes.append(box)
            Self.draw(source.images[indices[i]], ink: inks[i], into: &gray, width: canvasW, height: canvasH, box: box)
        }
        return DigitString(
            image: image(gray: gray, height: canvasH, width: canvasW), digits: digits, sourceIndices: indices,
            boxes: boxes)
    }

    /// The gray canvas as the configured image: itself, or replicated to RGB.
    private func image(gray: [UInt8], height: Int, width: Int) -> Image {
        guard configuration.channels == 3 else { return Image(height: height, width: width, channels: 1, pixels: gray) }
        let pixels = [UInt8](unsafeUninitializedCapacity: gray.count * 3) { rgb, initialized in
            gray.withUnsafeBufferPointer { gray in Self.replicateToRGB(gray, into: rgb) }
            initialized = gray.count * 3
        }
        return Image(height: height, width: width, channels: 3, pixels: pixels)
    }

    /// Writes each gray value three times (R, G, B), 16 pixels at a time: three 16-byte stores
    /// instead of 48 byte stores (the byte loop was a tenth of synthesis time).
    static func replicateToRGB(_ gray: UnsafeBufferPointer<UInt8>, into rgb: UnsafeMutableBufferPointer<UInt8>) {
        precondition(rgb.count == 3 * gray.count)
        let source = UnsafeRawPointer(gray.baseAddress!)
        let target = UnsafeMutableRawPointer(rgb.baseAddress!)
        var p = 0
        while p + 16 <= gray.count {
            let g = source.loadUnaligned(fromByteOffset: p, as: SIMD16<UInt8>.self)
            let first = SIMD16<UInt8>(
                g[0], g[0], g[0], g[1], g[1], g[1], g[2], g[2], g[2], g[3], g[3], g[3], g[4], g[4], g[4], g[5])
            let second = SIMD16<UInt8>(
                g[5], g[5], g[6], g[6], g[6], g[7], g[7], g[7], g[8], g[8], g[8], g[9], g[9], g[9], g[10], g[10])
            let third = SIMD16<UInt8>(
                g[10], g[11], g[11], g[11], g[12], g[12], g[12], g[13], g[13], g[13], g[14], g[14], g[14], g[15],
                g[15], g[15])
            target.storeBytes(of: first, toByteOffset: 3 * p, as: SIMD16<UInt8>.self)
            target.storeBytes(of: second, toByteOffset: 3 * p + 16, as: SIMD16<UInt8>.self)
            target.storeBytes(of: third, toByteOffset: 3 * p + 32, as: SIMD16<UInt8>.self)
            p += 16
        }
        while p < gray.count {
            let value = gray[p]
            rgb[3 * p] = value
            rgb[3 * p + 1] = value
            rgb[3 * p + 2] = value
            p += 1
        }
    }

    /// Draws `digit` (gray) into the pixels of `canvas` whose centres lie in `box`.
    ///
    /// Each axis is resampled with a tent filter whose radius is one source pixel or the
    /// shrink factor, whichever is larger: plain bilinear sampling when a digit is enlarged, and
    /// an average over the source pixels an output pixel covers when it is shrunk. Plain
    /// bilinear sampling of a shrunk digit would skip source columns, and MNIST's 2–3 pixel
    /// strokes would break up or vanish in long strings. A tap outside the digit gets weight 0,
    /// which is the same as sampling a zero border; results round half up. Output pixels whose
    /// taps all miss `ink` would be zero, which cannot raise the canvas: skipped.
    ///
    /// Two passes, horizontal first: each source ink row an output row reads is blended once
    /// into one value per output column (`blended`), then each output row sums the blended rows
    /// its taps read, `lanes` columns at a time. The weights are integers and every sum is
    /// exact, so this order gives the same bytes as any other; it blends each source row once
    /// (a digit is mostly drawn taller than its 28 rows) and reads the blended rows contiguously.
    static func draw(
        _ digit: Image, ink: InkBox, into canvas: inout [UInt8], width: Int, height: Int, box: DigitBox
    ) {
        guard !ink.rows.isEmpty else { return }
        let x0 = max(0, Int(ceilingOf: box.left - 0.5))
        let x1 = min(width, Int(ceilingOf: box.left + box.width - 0.5))
        let y0 = max(0, Int(ceilingOf: box.top - 0.5))
        let y1 = min(height, Int(ceilingOf: box.top + box.height - 0.5))
        guard x0 < x1, y0 < y1 else { return }
        TentTaps.with(outputs: x0..<x1, origin: box.left, length: box.width, sourceSize: digit.width, ink: ink.columns) {
            columnTaps in
            TentTaps.with(outputs: y0..<y1, origin: box.top, length: box.height, sourceSize: digit.height, ink: ink.rows) {
                rowTaps in
                // Taps grow with the output coordinate, so the outputs that reach the ink are one run.
                guard let columns = columnTaps.outputs(reaching: ink.columns),
                    let rows = rowTaps.outputs(reaching: ink.rows)
                else { return }
                digit.pixels.withUnsafeBufferPointer { pixels in
                    canvas.withUnsafeMutableBufferPointer { canvas in
                        resample(
                            pixels, width: digit.width, ink: ink, columnTaps: columnTaps, columns: columns,
                            rowTaps: rowTaps, rows: rows, into: canvas, width: width, at: (x0, y0))
                    }
                }
            }
        }
    }

    /// `draw`'s two passes over raw pointers (this is synth's inner loop: array subscripts here
    /// cost bounds checks and reference counting on every tap): output `columns` × `rows` of
    /// the taps, whose output (0, 0) is canvas pixel `at`, maxed into `canvas` (`width` columns).
    ///
    /// All in 16-bit lanes, which baseline x86-64 multiplies natively (8 at a time; 32-bit
    /// products take five instructions per 4 lanes there). The sums are exact in 16 bits: a
    /// blended value B = Σ pixel × column weight ≤ 255 × 256, as an output's weights sum to at
    /// most 256. The output's exact sum V = Σ row weight × B is up to 24 bits, so B is split into
    /// its high and low bytes and the two sums H = Σ w × (B >> 8) and L = Σ w × (B & 255), each
    /// ≤ 255 × 256, are kept apart: V = 256 H + L, and (V + 2¹⁵) >> 16 = (H + (L >> 8) + 128) >> 8
    /// (the low byte of L cannot carry into bit 16; H + (L >> 8) ≤ V >> 8 ≤ 255 × 256, no overflow).
    private static func resample(
        _ digit: UnsafeBufferPointer<UInt8>, width sw: Int, ink: InkBox, columnTaps: TentTaps,
        columns: Range<Int>, rowTaps: TentTaps, rows: Range<Int>, into canvas: UnsafeMutableBufferPointer<UInt8>,
        width: Int, at origin: (x: Int, y: Int)
    ) {
        let sh = digit.count / sw
        // The ink rows those output rows read: the only source rows to blend. The others read as 0.
        var readLow = sh
        var readHigh = 0
        for r in rows {
            for k in 0..<rowTaps.stride where rowTaps.weights[r * rowTaps.stride + k] != 0 {
                let source = Int(rowTaps.sources[r * rowTaps.stride + k])
                readLow = min(readLow, source)
                readHigh = max(readHigh, source + 1)
            }
        }
        let blendLow = max(readLow, ink.rows.lowerBound)
        let blendHigh = max(blendLow, min(readHigh, ink.rows.upperBound))
        // Output columns in blocks of `lanes`, padded with zero weights: a zero lane never
        // raises the canvas.
        let lanes = Lanes.scalarCount
        let blocks = (columns.count + lanes - 1) / lanes
        let inkLeft = ink.columns.lowerBound
        let inkColumns = ink.columns.count
        // One allocation (UInt16s) for: the column weights as a dense matrix over the ink
        // columns (row sx - inkLeft, `lanes` columns per block), each block's ink columns read,
        // and the blended rows' high and low bytes (row sr, block b at (sr × blocks + b) × lanes).
        let matrixSize = inkColumns * blocks * lanes
        let planeSize = sh * blocks * lanes
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: matrixSize + 2 * blocks + 2 * planeSize) { storage in
            let matrix = storage.baseAddress!
            let blockFirst = matrix + matrixSize
            let blockEnd = blockFirst + blocks
            let highs = blockEnd + blocks
            let lows = highs + planeSize
            matrix.initialize(repeating: 0, count: matrixSize)
            blockFirst.initialize(repeating: UInt16(inkColumns), count: blocks)
            blockEnd.initialize(repeating: 0, count: blocks)
            for c in 0..<columns.count {
                let block = c / lanes
                for k in 0..<columnTaps.stride {
                    let tap = (columns.lowerBound + c) * columnTaps.stride + k
                    let column = Int(columnTaps.sources[tap]) - inkLeft
                    guard columnTaps.weights[tap] != 0, column >= 0, column < inkColumns else { continue }
                    matrix[(column * blocks + block) * lanes + c % lanes] = UInt16(columnTaps.weights[tap])
                    blockFirst[block] = min(blockFirst[block], UInt16(column))
                    blockEnd[block] = max(blockEnd[block], UInt16(column + 1))
                }
            }
            // Rows outside blendLow..<blendHigh are read only with weight 0 or are blank: zeros.
            let rowSize = blocks * lanes
            highs.initialize(repeating: 0, count: blendLow * rowSize)
            (highs + blendHigh * rowSize).initialize(repeating: 0, count: (sh - blendHigh) * rowSize)
            lows.initialize(repeating: 0, count: blendLow * rowSize)
            (lows + blendHigh * rowSize).initialize(repeating: 0, count: (sh - blendHigh) * rowSize)
            let matrixRaw = UnsafeRawPointer(matrix)
            let highsRaw = UnsafeMutableRawPointer(highs)
            let lowsRaw = UnsafeMutableRawPointer(lows)
            let laneBytes = lanes * 2
            // Horizontal pass, a block of output columns at a time: ≤ 255 × 256 per value. (Offsets
            // in wrapping arithmetic: they are within the allocation, and overflow checks cost
            // as much as the multiply-adds.)
            for sourceRow in blendLow..<blendHigh {
                let pixels = digit.baseAddress! + sourceRow * sw + inkLeft
                for block in 0..<blocks {
                    var sum = Lanes()
                    // Empty (first > end) for a block none of whose taps reach the ink.
                    for column in stride(from: Int(blockFirst[block]), to: Int(blockEnd[block]), by: 1) {
                        let weights = matrixRaw.loadUnaligned(
                            fromByteOffset: (column &* blocks &+ block) &* laneBytes, as: Lanes.self)
                        sum &+= weights &* UInt16(pixels[column])
                    }
                    let at = (sourceRow * blocks + block) * laneBytes
                    highsRaw.storeBytes(of: sum &>> 8, toByteOffset: at, as: Lanes.self)
                    lowsRaw.storeBytes(of: sum & 255, toByteOffset: at, as: Lanes.self)
                }
            }
            // Vertical pass, per output row and block.
            let canvasEnd = canvas.baseAddress! + canvas.count
            for r in rows {
                let taps = rowTaps.sources + r * rowTaps.stride
                let weights = rowTaps.weights + r * rowTaps.stride
                let row = canvas.baseAddress! + (origin.y + r) * width + origin.x + columns.lowerBound
                for block in 0..<blocks {
                    var high = Lanes()
                    var low = Lanes()
                    for k in 0..<rowTaps.stride {
                        let weight = UInt16(truncatingIfNeeded: weights[k])
                        let at = (Int(taps[k]) &* blocks &+ block) &* laneBytes
                        high &+= UnsafeRawPointer(highsRaw).loadUnaligned(fromByteOffset: at, as: Lanes.self) &* weight
                        low &+= UnsafeRawPointer(lowsRaw).loadUnaligned(fromByteOffset: at, as: Lanes.self) &* weight
                    }
                    let bytes = LaneBytes(truncatingIfNeeded: (high &+ (low &>> 8) &+ 128) &>> 8)
                    let target = row + block * lanes
                    // Max into the canvas, whole vectors where the canvas goes on that far
                    // (padding lanes are 0, so bytes past this digit keep their value).
                    if target + lanes <= canvasEnd {
                        let old = UnsafeRawPointer(target).loadUnaligned(as: LaneBytes.self)
                        UnsafeMutableRawPointer(target).storeBytes(of: pointwiseMax(old, bytes), as: LaneBytes.self)
                    } else {
                        withUnsafeBytes(of: bytes) { bytes in
                            for lane in 0..<min(lanes, columns.count - block * lanes) {
                                target[lane] = max(target[lane], bytes[lane])
                            }
                        }
                    }
                }
            }
        }
    }

    /// Output columns summed at once by `draw`'s passes, and their bytes.
    private typealias Lanes = SIMD16<UInt16>
    private typealias LaneBytes = SIMD16<UInt8>
}

/// The source pixels and 8-bit weights each output pixel of one axis reads, for a tent filter of
/// radius max(1, shrink factor) in source pixels. Every output has `stride` taps (unused ones have
/// weight 0 and source 0); an output's weights sum to 256 less the share of taps outside the
/// source, which read as zero. Held in temporary memory for the length of a `with` call (it is
/// made twice for every digit drawn). Outputs whose taps all lie outside the source's ink read
/// only zeros whatever their weights: their taps are left all weight 0, not computed.
struct TentTaps {
    /// How many output pixels.
    let count: Int
    /// Taps per output pixel.
    let stride: Int
    /// Source index of tap `k` of output `o` at `o * stride + k`, always inside the source.
    let sources: UnsafePointer<Int32>
    /// Weight of that tap, in 1/256.
    let weights: UnsafePointer<Int32>

    /// Calls `body` with the taps of output pixels `outputs` (pixel centres at `o + 0.5`) of a
    /// box starting at `origin` and `length` pixels long, over `sourceSize` source pixels, whose
    /// ink (non-zero pixels) lies in `ink`.
    static func with<Result>(
        outputs: Range<Int>, origin: Double, length: Double, sourceSize: Int, ink: Range<Int>,
        _ body: (TentTaps) -> Result
    ) -> Result {
        let factor = Double(sourceSize) / length
        let radius = max(1, factor)
        let n = outputs.count
        let stride = Int(ceilingOf: 2 * radius) + 1
        // Sources, weights, then one row of raw tent values.
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * n * stride) { storage in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: stride) { raw in
                let sources = storage.baseAddress!
                let weights = sources + n * stride
                let raw = raw.baseAddress!
                for o in 0..<n {
                    let centre = (Double(outputs.lowerBound + o) + 0.5 - origin) * factor - 0.5
                    let first = Int(ceilingOf: centre - radius)
                    guard first + stride > ink.lowerBound && first < ink.upperBound else {
                        (sources + o * stride).initialize(repeating: 0, count: stride)
                        (weights + o * stride).initialize(repeating: 0, count: stride)
                        continue
                    }
                    var total = 0.0
                    for k in 0..<stride {
                        let distance = abs(Double(first + k) - centre)
                        // Dividing by 1 is exact: skipped where the digit is enlarged.
                        raw[k] = max(0, 1 - (radius == 1 ? distance : distance / radius))
                        total += raw[k]
                    }
                    // Weights from the rounded running sum: all taps' weights then sum to exactly 256.
                    // A zero tap leaves the sum, so its rounding, as it was; the sum of all taps
                    // gives exactly 256 (x / x is 1): both skip a division.
                    var cumulative = 0.0
                    var given: Int32 = 0
                    var upTo: Int32 = 0
                    for k in 0..<stride {
                        if raw[k] != 0 {
                            cumulative += raw[k]
                            upTo = cumulative == total ? 256 : Int32(roundingHalfUp: cumulative / total * 256)
                        }
                        let source = first + k
                        let inside = source >= 0 && source < sourceSize
                        sources[o * stride + k] = inside ? Int32(source) : 0
                        weights[o * stride + k] = inside ? upTo - given : 0
                        given = upTo
                    }
                }
            }
            return body(TentTaps(count: n, stride: stride, sources: storage.baseAddress!, weights: storage.baseAddress! + n * stride))
        }
    }

    private init(count: Int, stride: Int, sources: UnsafePointer<Int32>, weights: UnsafePointer<Int32>) {
        self.count = count
        self.stride = stride
        self.sources = sources
        self.weights = weights
    }

    /// Whether output `o` reads a source pixel in `range` with a non-zero weight.
    func reaches(_ range: Range<Int>, at o: Int) -> Bool {
        for k in 0..<stride where weights[o * stride + k] != 0 {
            if range.contains(Int(sources[o * stride + k])) { return true }
        }
        return false
    }

    /// The outputs that read a source pixel in `range` with a non-zero weight (one run, as taps
    /// move with the output), or nil when none does.
    func outputs(reaching range: Range<Int>) -> Range<Int>? {
        var first = 0
        while first < count && !reaches(range, at: first) { first += 1 }
        var end = count
        while end > first && !reaches(range, at: end - 1) { end -= 1 }
        return first < end ? first..<end : nil
    }
}

// Rounding without libm: on baseline x86-64 (no SSE4.1 `roundsd`) `rounded(_:)` is a call to
// `ceil` or `round`, and these run for every tap of every digit drawn.
extension Int {
    /// ⌈`value`⌉, as `Int(value.rounded(.up))`: truncation, then one up where that lost a
    /// positive fraction (truncation already rounds a negative value up).
    init(ceilingOf value: Double) {
        let truncated = Int(value)
        self = Double(truncated) < value ? truncated + 1 : truncated
    }
}

extension Int32 {
    /// `value` ≥ 0 rounded half up, as `Int32(value.rounded(.toNearestOrAwayFromZero))`:
    /// ⌊value + ½⌋ = (⌊2·value⌋ + 1) >> 1, where 2·value is exact and truncation floors it. No
    /// comparison: a branch on the fraction (as good as random) mispredicted half the time.
    init(roundingHalfUp value: Double) {
        self = (Int32(value * 2) &+ 1) >> 1
    }
}

/// Where a string's ink reaches along one axis once its digit units are scaled to canvas pixels.
///
/// Digit `i` (of `init`'s arguments) starts at `starts[i]` digit units, spans `scales[i] × length`
/// of them, and has ink in source pixels `ink[i]` (nil: none), whose centres lie at `c + 0.5`
/// source pixels. `draw` lets
/// ink reach output pixel centres less than one source pixel past an inked centre where the digit
/// is enlarged (bilinear taps) and less than one output pixel where it is shrunk (the tent
/// filter), never past the digit's box.
struct InkSpans {
    /// A digit with ink, in digit units: its box's start and end, the outermost inked pixel
    /// centres, and its scale. None of these depends on the scale `extent` is asked about, so
    /// each of `scale(fitting:)`'s ~120 calls only multiplies.
    private struct InkedDigit {
        var scale: Double
        var start: Double
        var end: Double
        var firstInk: Double
        var lastInk: Double
    }

    /// The digits with ink, left to right.
    private let inked: [InkedDigit]
    /// Every digit's box (start, end) in digit units, for a string without ink.
    private let boxes: [(start: Double, end: Double)]

    /// The spans of digits starting at `starts`, scaled by `scales`, `length` digit units long
    /// unscaled, with ink in source pixels `ink` (nil: none).
    init(starts: [Double], scales: [Double], length: Double, ink: [Range<Int>?]) {
        var inked: [InkedDigit] = []
        var boxes: [(start: Double, end: Double)] = []
        for i in starts.indices {
            let s = scales[i]
            let end = starts[i] + s * length
            boxes.append((starts[i], end))
            guard let ink = ink[i] else { continue }
            inked.append(
                InkedDigit(
                    scale: s, start: starts[i], end: end, firstInk: starts[i] + s * (Double(ink.lowerBound) + 0.5),
                    lastInk: starts[i] + s * (Double(ink.upperBound) - 0.5)))
        }
        self.inked = inked
        self.boxes = boxes
    }

    /// The lowest and highest canvas coordinate ink can reach at `scale` canvas pixels per digit
    /// unit, digit units' origin at 0. Without ink anywhere, the digits' boxes.
    func extent(scale k: Double) -> (low: Double, high: Double) {
        var low = Double.infinity
        var high = -Double.infinity
        for digit in inked {
            let reach = max(k * digit.scale, 1)
            low = min(low, max(k * digit.firstInk - reach, k * digit.start))
            high = max(high, min(k * digit.lastInk + reach, k * digit.end))
        }
        if low.isFinite { return (low, high) }
        for box in boxes {
            low = min(low, k * box.start)
            high = max(high, k * box.end)
        }
        return (low, high)
    }

    /// The largest scale at which the ink spans at most `size` canvas pixels (the span grows with
    /// the scale; found by bisection, to well below a thousandth of a pixel).
    func scale(fitting size: Double) -> Double {
        func span(_ k: Double) -> Double {
            let (low, high) = extent(scale: k)
            return high - low
        }
        // span(below) ≤ size always (span(0) is 0); span(above) > size once checked.
        var below = 0.0
        var above = 1.0
        var aboveChecked = false
        var doublings = 0
        while doublings < 60 {
            guard span(above) <= size else {
                aboveChecked = true
                break
            }
            below = above
            above *= 2
            doublings += 1
        }
        for _ in 0..<60 {
            let middle = (below + above) / 2
            // Neighbouring doubles: the middle is one of the ends, whose check would leave both
            // ends as they are, and so would every step after it. Stopping here returns the
            // same double as running all 60 steps (the last few of them are such steps).
            if middle == below || (middle == above && aboveChecked) { break }
            if span(middle) <= size {
                below = middle
            } else {
                above = middle
                aboveChecked = true
            }
        }
        return below
    }
}
