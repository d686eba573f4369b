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

    /// Places the digits on a line in digit units, fits the bounding box of the string's ink,
    /// grown by `FreeLayout.margin` on each side, into the canvas keeping its aspect, centres it,
    /// and draws each digit into its box by bilinear sampling (zero outside the digit),
    /// combining overlaps by the brighter value (ink is bright).
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
        let (minX, maxX, minY, maxY) = inkExtent(indices: indices, lefts: lefts, tops: tops, scales: scales)
        let canvasH = configuration.height
        let canvasW = configuration.width
        let grown = 1 + 2 * FreeLayout.margin
        let k = min(Double(canvasW) / (grown * (maxX - minX)), Double(canvasH) / (grown * (maxY - minY)))
        let offsetX = (Double(canvasW) - k * (maxX - minX)) / 2
        let offsetY = (Double(canvasH) - k * (maxY - minY)) / 2
        var gray = [UInt8](repeating: 0, count: canvasH * canvasW)
        var boxes: [DigitBox] = []
        for i in 0..<indices.count {
            let box = DigitBox(
                left: offsetX + k * (lefts[i] - minX), top: offsetY + k * (tops[i] - minY),
                width: k * dw * scales[i], height: k * dh * scales[i])
            boxes.append(box)
            draw(
                source.images[indices[i]], ink: source.inkBoxes[indices[i]], into: &gray, width: canvasW,
                height: canvasH, box: box)
        }
        return DigitString(
            image: image(gray: gray, height: canvasH, width: canvasW), digits: digits, sourceIndices: indices,
            boxes: boxes)
    }

    /// The bounding box, in digit units, of every canvas position a digit placed at
    /// (`lefts[i]`, `tops[i]`) with scale `scales[i]` can ink: a source ink block of columns
    /// `c0..<c1` reaches output pixel centres up to half a source pixel beyond it on each side
    /// (bilinear taps), clipped to the digit's box. When no digit has ink, the digits' boxes.
    private func inkExtent(
        indices: [Int], lefts: [Double], tops: [Double], scales: [Double]
    ) -> (minX: Double, maxX: Double, minY: Double, maxY: Double) {
        let dh = Double(source.digitHeight)
        let dw = Double(source.digitWidth)
        var extent = (minX: Double.infinity, maxX: -Double.infinity, minY: Double.infinity, maxY: -Double.infinity)
        for i in indices.indices {
            let ink = source.inkBoxes[indices[i]]
            guard !ink.rows.isEmpty else { continue }
            let s = scales[i]
            extent.minX = min(extent.minX, lefts[i] + s * max(0, Double(ink.columns.lowerBound) - 0.5))
            extent.maxX = max(extent.maxX, lefts[i] + s * min(dw, Double(ink.columns.upperBound) + 0.5))
            extent.minY = min(extent.minY, tops[i] + s * max(0, Double(ink.rows.lowerBound) - 0.5))
            extent.maxY = max(extent.maxY, tops[i] + s * min(dh, Double(ink.rows.upperBound) + 0.5))
        }
        if !extent.minX.isFinite {
            for i in indices.indices {
                extent.minX = min(extent.minX, lefts[i])
                extent.maxX = max(extent.maxX, lefts[i] + dw * scales[i])
                extent.minY = min(extent.minY, tops[i])
                extent.maxY = max(extent.maxY, tops[i] + dh * scales[i])
            }
        }
        return extent
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
    /// Bilinear sampling done in two passes per output row: the two source rows it falls between
    /// are blended once into `blended` (one value per source column), then each output pixel
    /// blends two neighbouring values of that row. A tap outside the digit gets weight 0, which
    /// is the same as sampling a zero border; results round half up. Output pixels whose taps
    /// all miss `ink` would be zero, which cannot raise the canvas: they are skipped.
    private func draw(
        _ digit: Image, ink: InkBox, into canvas: inout [UInt8], width: Int, height: Int, box: DigitBox
    ) {
        guard !ink.rows.isEmpty else { return }
        let sw = digit.width
        let sh = digit.height
        let x0 = max(0, Int((box.left - 0.5).rounded(.up)))
        let x1 = min(width, Int((box.left + box.width - 0.5).rounded(.up)))
        let y0 = max(0, Int((box.top - 0.5).rounded(.up)))
        let y1 = min(height, Int((box.top + box.height - 0.5).rounded(.up)))
        guard x0 < x1, y0 < y1 else { return }
        let fx = Double(sw) / box.width
        let fy = Double(sh) / box.height
        let columns = x1 - x0
        // Fixed point: weights are multiples of 1/256, so a pixel is a sum of products of bytes
        // and 8-bit weights, exact in Int32, with no float-to-integer conversions per pixel.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * columns + sw) { scratch in
            let taps = scratch.baseAddress!
            let weights = taps + 2 * columns
            let blended = weights + 2 * columns
            for c in 0..<columns {
                // Pixel centres lie inside the box, so sx ≥ −0.5 and `Int(sx + 1) - 1` is its floor.
                let sx = (Double(x0 + c) + 0.5 - box.left) * fx - 0.5
                let ix = Int(sx + 1) - 1
                let right = Int32((sx - Double(ix)) * 256 + 0.5)  // in 0…256, rounded half up
                let leftValid = ix >= 0 && ix < sw
                let rightValid = ix + 1 < sw
                taps[2 * c] = Int32(leftValid ? ix : 0)
                weights[2 * c] = leftValid ? 256 - right : 0
                taps[2 * c + 1] = Int32(rightValid ? ix + 1 : 0)
                weights[2 * c + 1] = rightValid ? right : 0
            }
            // Taps grow with c, so the columns that reach the ink are one contiguous run.
            func reachesInk(_ c: Int) -> Bool {
                (weights[2 * c] != 0 && ink.columns.contains(Int(taps[2 * c])))
                    || (weights[2 * c + 1] != 0 && ink.columns.contains(Int(taps[2 * c + 1])))
            }
            var firstColumn = 0
            while firstColumn < columns && !reachesInk(firstColumn) { firstColumn += 1 }
            var endColumn = columns
            while endColumn > firstColumn && !reachesInk(endColumn - 1) { endColumn -= 1 }
            guard firstColumn < endColumn else { return }
            blended.initialize(repeating: 0, count: sw)
            digit.pixels.withUnsafeBufferPointer { src in
                canvas.withUnsafeMutableBufferPointer { dst in
                    let src = src.baseAddress!
                    let dst = dst.baseAddress!
                    for py in y0..<y1 {
                        let sy = (Double(py) + 0.5 - box.top) * fy - 0.5
                        let iy = Int(sy + 1) - 1
                        let lowerWeight = Int32((sy - Double(iy)) * 256 + 0.5)
                        let upperValid = iy >= 0 && iy < sh
                        let lowerValid = iy + 1 < sh
                        guard (upperValid && ink.rows.contains(iy)) || (lowerValid && ink.rows.contains(iy + 1))
                        else { continue }
                        let upper = src + (upperValid ? iy * sw : 0)
                        let lower = src + (lowerValid ? (iy + 1) * sw : 0)
                        let wu: Int32 = upperValid ? 256 - lowerWeight : 0
                        let wl: Int32 = lowerValid ? lowerWeight : 0
                        for x in ink.columns {
                            blended[x] = Int32(upper[x]) &* wu &+ Int32(lower[x]) &* wl
                        }
                        let row = dst + py * width + x0
                        for c in firstColumn..<endColumn {
                            // ≤ 255·256·256 + 2¹⁵: fits, and the weights sum to at most 256, so ≤ 255.
                            let v = blended[Int(taps[2 * c])] &* weights[2 * c]
                                &+ blended[Int(taps[2 * c + 1])] &* weights[2 * c + 1]
                            let value = UInt8(truncatingIfNeeded: (v &+ 32768) >> 16)
                            row[c] = max(row[c], value)  // branch-free: a data-dependent branch mispredicts half the time
                        }
                    }
                }
            }
        }
    }
}
