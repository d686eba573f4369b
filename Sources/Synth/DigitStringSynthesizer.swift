import Imaging

/// Makes digit strings from a `DigitSource`, each a pure function of (seed, record key): record
/// `index` of `split` uses `SeededGenerator(seed: seed, key: "split/index")`, so the output does
/// not depend on thread count or on the order records are made in.
///
/// Draw order for one string: the length (one draw, `LengthDistribution.draw`), then one source
/// index per digit, left to right (uniform over the whole source); then, for `.free` only, per
/// digit left to right: its scale, its gap (not for the first digit), its vertical jitter
/// (see `FreeLayout`). `.fixed` makes no further draws.
public struct DigitStringSynthesizer: Sendable {
    /// What to make.
    public struct Configuration: Sendable, Equatable {
        /// Longest string, 1…5 (the `digits` feature has five slots; longer is refused).
        public var maxLength: Int
        /// Length weights; `nil` means uniform over 1…`maxLength`.
        public var lengths: LengthDistribution?
        public var layout: DigitLayout
        /// Canvas of the free layout (the fixed layout's size follows from the digits).
        public var height: Int
        public var width: Int
        public var seed: UInt64

        public init(
            maxLength: Int = 5, lengths: LengthDistribution? = nil, layout: DigitLayout = .free, height: Int = 64,
            width: Int = 64, seed: UInt64 = 0
        ) {
            self.maxLength = maxLength
            self.lengths = lengths
            self.layout = layout
            self.height = height
            self.width = width
            self.seed = seed
        }
    }

    public let source: DigitSource
    public let configuration: Configuration
    /// The length distribution in use.
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
        case .free: (configuration.height, configuration.width, 3)
        case .fixed: (source.digitHeight, source.digitWidth * configuration.maxLength, 3)
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
        var rng = SeededGenerator(seed: configuration.seed, key: key)
        let length = lengths.draw(using: &rng)
        var indices: [Int] = []
        indices.reserveCapacity(length)
        for _ in 0..<length { indices.append(SynthDraw.index(below: source.count, using: &rng)) }
        let digits = indices.map { source.labels[$0] }
        switch configuration.layout {
        case .fixed:
            return renderFixed(indices: indices, digits: digits)
        case .free:
            var scales: [Double] = []
            var gaps: [Double] = []
            var jitters: [Double] = []
            for i in 0..<length {
                scales.append(SynthDraw.uniform(FreeLayout.scale.lowerBound, FreeLayout.scale.upperBound, using: &rng))
                gaps.append(
                    i == 0 ? 0 : SynthDraw.uniform(FreeLayout.gap.lowerBound, FreeLayout.gap.upperBound, using: &rng))
                jitters.append(
                    SynthDraw.uniform(FreeLayout.jitter.lowerBound, FreeLayout.jitter.upperBound, using: &rng))
            }
            return renderFree(indices: indices, digits: digits, scales: scales, gaps: gaps, jitters: jitters)
        }
    }

    // MARK: Rendering

    private func renderFixed(indices: [Int], digits: [Int]) -> DigitString {
        let dh = source.digitHeight
        let dw = source.digitWidth
        let width = dw * configuration.maxLength
        var pixels = [UInt8](repeating: 0, count: dh * width * 3)
        var boxes: [DigitBox] = []
        for (slot, sourceIndex) in indices.enumerated() {
            let digit = source.images[sourceIndex].pixels
            for y in 0..<dh {
                var to = (y * width + slot * dw) * 3
                for x in 0..<dw {
                    let v = digit[y * dw + x]
                    pixels[to] = v
                    pixels[to + 1] = v
                    pixels[to + 2] = v
                    to += 3
                }
            }
            boxes.append(DigitBox(left: Double(slot * dw), top: 0, width: Double(dw), height: Double(dh)))
        }
        return DigitString(
            image: Image(height: dh, width: width, channels: 3, pixels: pixels), digits: digits,
            sourceIndices: indices, boxes: boxes)
    }

    /// Places the digits on a line in digit units, fits the line's bounding box into the canvas
    /// keeping its aspect, centres it, and draws each digit into its box by bilinear sampling
    /// (zero outside the digit), combining overlaps by the brighter value (ink is bright).
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
        var minX = Double.infinity
        var maxX = -Double.infinity
        var minY = Double.infinity
        var maxY = -Double.infinity
        for i in 0..<indices.count {
            minX = min(minX, lefts[i])
            maxX = max(maxX, lefts[i] + dw * scales[i])
            minY = min(minY, tops[i])
            maxY = max(maxY, tops[i] + dh * scales[i])
        }
        let canvasH = configuration.height
        let canvasW = configuration.width
        let k = min(Double(canvasW) / (maxX - minX), Double(canvasH) / (maxY - minY))
        let offsetX = (Double(canvasW) - k * (maxX - minX)) / 2
        let offsetY = (Double(canvasH) - k * (maxY - minY)) / 2
        var gray = [UInt8](repeating: 0, count: canvasH * canvasW)
        var boxes: [DigitBox] = []
        for i in 0..<indices.count {
            let box = DigitBox(
                left: offsetX + k * (lefts[i] - minX), top: offsetY + k * (tops[i] - minY),
                width: k * dw * scales[i], height: k * dh * scales[i])
            boxes.append(box)
            draw(source.images[indices[i]], into: &gray, width: canvasW, height: canvasH, box: box)
        }
        let pixelCount = canvasH * canvasW
        let pixels = [UInt8](unsafeUninitializedCapacity: pixelCount * 3) { rgb, initialized in
            gray.withUnsafeBufferPointer { gray in
                for p in 0..<pixelCount {
                    let v = gray[p]
                    rgb[3 * p] = v
                    rgb[3 * p + 1] = v
                    rgb[3 * p + 2] = v
                }
            }
            initialized = pixelCount * 3
        }
        return DigitString(
            image: Image(height: canvasH, width: canvasW, channels: 3, pixels: pixels), digits: digits,
            sourceIndices: indices, boxes: boxes)
    }

    /// Draws `digit` (gray) into the pixels of `canvas` whose centres lie in `box`.
    private func draw(_ digit: Image, into canvas: inout [UInt8], width: Int, height: Int, box: DigitBox) {
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
        // Each output pixel blends two source columns and two source rows. Pixel centres lie
        // inside the box, so source coordinates are ≥ −0.5 and `Int(v + 1) - 1` is their floor;
        // a tap outside the digit reads sample 0 with weight 0 (the same sum as reading a zero).
        // Values are ≥ 0, so `v + 0.5` truncated rounds them half up, as `rounded()` does.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * columns) { taps in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * columns) { weights in
                for c in 0..<columns {
                    let sx = (Double(x0 + c) + 0.5 - box.left) * fx - 0.5
                    let ix = Int(sx + 1) - 1
                    let wx = sx - Double(ix)
                    let leftValid = ix >= 0 && ix < sw
                    let rightValid = ix + 1 >= 0 && ix + 1 < sw
                    taps[2 * c] = leftValid ? ix : 0
                    weights[2 * c] = leftValid ? 1 - wx : 0
                    taps[2 * c + 1] = rightValid ? ix + 1 : 0
                    weights[2 * c + 1] = rightValid ? wx : 0
                }
                digit.pixels.withUnsafeBufferPointer { src in
                    canvas.withUnsafeMutableBufferPointer { dst in
                        let src = src.baseAddress!
                        let dst = dst.baseAddress!
                        for py in y0..<y1 {
                            let sy = (Double(py) + 0.5 - box.top) * fy - 0.5
                            let iy = Int(sy + 1) - 1
                            let wy = sy - Double(iy)
                            let upperValid = iy >= 0 && iy < sh
                            let lowerValid = iy + 1 >= 0 && iy + 1 < sh
                            let upper = src + (upperValid ? iy * sw : 0)
                            let lower = src + (lowerValid ? (iy + 1) * sw : 0)
                            let upperWeight = upperValid ? 1 - wy : 0
                            let lowerWeight = lowerValid ? wy : 0
                            var at = py * width + x0
                            for c in 0..<columns {
                                let a = taps[2 * c]
                                let b = taps[2 * c + 1]
                                let wa = weights[2 * c]
                                let wb = weights[2 * c + 1]
                                let top = Double(upper[a]) * wa + Double(upper[b]) * wb
                                let bottom = Double(lower[a]) * wa + Double(lower[b]) * wb
                                let v = min(255, top * upperWeight + bottom * lowerWeight + 0.5)
                                let value = UInt8(truncatingIfNeeded: Int(v))
                                if value > dst[at] { dst[at] = value }
                                at += 1
                            }
                        }
                    }
                }
            }
        }
    }
}
