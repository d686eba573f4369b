import Imaging
import ShardKitSupport
@testable import Synth
import Testing

/// `DigitStringSynthesizer.draw` and its `TentTaps` against a plain reference written here: the
/// tent weights computed one output at a time with libm's rounding, and every output pixel as a
/// direct double sum over the source, with no ink clipping, no pass order, no vectors. The fast
/// code must give the same bytes, not close ones: synth's shards are pinned by their hashes.
@Suite struct DigitDrawingTests {
    /// The weight of every source pixel 0..<size for output `o` of a box from `origin`, `length`
    /// long: a tent of radius max(1, shrink factor) over the integer taps around the output's
    /// centre, normalised over all of them (taps outside the source read zero), quantised to
    /// 1/256 from the rounded running sum so that they add up to 256.
    static func referenceWeights(output o: Int, origin: Double, length: Double, size: Int) -> [Int32] {
        let factor = Double(size) / length
        let radius = max(1, factor)
        let centre = (Double(o) + 0.5 - origin) * factor - 0.5
        let first = Int((centre - radius).rounded(.up))
        let raw = (0..<Int((2 * radius).rounded(.up)) + 1).map {
            max(0, 1 - abs(Double(first + $0) - centre) / radius)
        }
        let total = raw.reduce(0, +)
        var weights = [Int32](repeating: 0, count: size)
        var cumulative = 0.0
        var given: Int32 = 0
        for (k, value) in raw.enumerated() {
            cumulative += value
            let upTo = Int32((cumulative / total * 256).rounded(.toNearestOrAwayFromZero))
            if (0..<size).contains(first + k) { weights[first + k] = upTo - given }
            given = upTo
        }
        return weights
    }

    /// `digit` drawn into `canvas` pixel by pixel: every pixel whose centre lies in `box` gets the
    /// rounded double sum of source pixels times row and column weights, if that is brighter.
    static func referenceDraw(_ digit: Image, into canvas: inout [UInt8], width: Int, height: Int, box: DigitBox) {
        for y in 0..<height {
            let cy = Double(y) + 0.5
            guard cy >= box.top, cy < box.top + box.height else { continue }
            let rowWeights = referenceWeights(output: y, origin: box.top, length: box.height, size: digit.height)
            for x in 0..<width {
                let cx = Double(x) + 0.5
                guard cx >= box.left, cx < box.left + box.width else { continue }
                let columnWeights = referenceWeights(
                    output: x, origin: box.left, length: box.width, size: digit.width)
                var sum = 0
                for sy in 0..<digit.height where rowWeights[sy] != 0 {
                    for sx in 0..<digit.width where columnWeights[sx] != 0 {
                        sum += Int(rowWeights[sy]) * Int(columnWeights[sx]) * Int(digit.pixels[sy * digit.width + sx])
                    }
                }
                canvas[y * width + x] = max(canvas[y * width + x], UInt8((sum + 32768) >> 16))
            }
        }
    }

    /// A random digit: blank, or ink (random values, some zero) in a random block, which may
    /// touch the image's border or be a single pixel.
    static func randomDigit(height: Int, width: Int, using rng: inout SeededGenerator) -> Image {
        var pixels = [UInt8](repeating: 0, count: height * width)
        if Int.random(in: 0..<8, using: &rng) != 0 {
            let top = Int.random(in: 0..<height, using: &rng)
            let bottom = Int.random(in: top + 1...height, using: &rng)
            let left = Int.random(in: 0..<width, using: &rng)
            let right = Int.random(in: left + 1...width, using: &rng)
            for y in top..<bottom {
                for x in left..<right where Int.random(in: 0..<4, using: &rng) != 0 {
                    pixels[y * width + x] = UInt8.random(in: 1...255, using: &rng)
                }
            }
        }
        return Image(height: height, width: width, channels: 1, pixels: pixels)
    }

    /// A random extent along one axis of `canvas` pixels: enlarged, shrunk, tiny, or reaching
    /// past either edge, at arbitrary or at whole and half pixel positions.
    static func randomSpan(canvas: Int, source: Int, using rng: inout SeededGenerator) -> (origin: Double, length: Double) {
        var length: Double
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: length = Double.random(in: 0.05...2, using: &rng)
        case 1: length = Double(source) * Double.random(in: 0.1...1, using: &rng)
        case 2: length = Double(source) * Double.random(in: 1...4, using: &rng)
        default: length = Double(canvas) * Double.random(in: 0.2...1.6, using: &rng)
        }
        var origin = Double.random(in: -length...Double(canvas), using: &rng)
        if Int.random(in: 0..<4, using: &rng) == 0 {
            origin = (origin * 2).rounded() / 2
            length = max(0.5, (length * 2).rounded() / 2)
        }
        return (origin, length)
    }

    /// The libm-free rounding the taps use, at the values where truncation-based forms go wrong:
    /// halves, just below and above them, integers, negatives and signed zero.
    @Test func roundingMatchesLibm() {
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, 255.5, 256, 1e-300, 0.49999999999999994, 7, -7, -0.5, -2.5]
        for base in [0.5, 1, 1.5, 2, 127.5, 255.5, 255.99999999999997, 3] {
            values += [base.nextDown, base, base.nextUp, -base.nextDown, -base, -base.nextUp]
        }
        var rng = SeededGenerator(seed: 3)
        values += (0..<10_000).map { _ in Double.random(in: -300...300, using: &rng) }
        for value in values {
            #expect(Int(ceilingOf: value) == Int(value.rounded(.up)), "ceiling of \(value)")
            if value >= 0 && value <= 256 {
                #expect(
                    Int32(roundingHalfUp: value) == Int32(value.rounded(.toNearestOrAwayFromZero)),
                    "rounding of \(value)")
            }
        }
    }

    @Test func tapsMatchTheReferenceWeights() {
        var rng = SeededGenerator(seed: 15)
        for _ in 0..<4000 {
            let size = Int.random(in: 1...40, using: &rng)
            let canvas = Int.random(in: 1...90, using: &rng)
            let (origin, length) = Self.randomSpan(canvas: canvas, source: size, using: &rng)
            let low = Int.random(in: 0..<canvas, using: &rng)
            let outputs = low..<Int.random(in: low + 1...canvas, using: &rng)
            // Ink everywhere, or in a random block.
            let inkLow = Int.random(in: 0..<size, using: &rng)
            let ink = Bool.random(using: &rng) ? 0..<size : inkLow..<Int.random(in: inkLow + 1...size, using: &rng)
            TentTaps.with(outputs: outputs, origin: origin, length: length, sourceSize: size, ink: ink) { taps in
                #expect(taps.count == outputs.count)
                for (o, output) in outputs.enumerated() {
                    var dense = [Int32](repeating: 0, count: size)
                    for k in 0..<taps.stride where taps.weights[o * taps.stride + k] != 0 {
                        dense[Int(taps.sources[o * taps.stride + k])] += taps.weights[o * taps.stride + k]
                    }
                    let expected = Self.referenceWeights(output: output, origin: origin, length: length, size: size)
                    // All of an output's weights where it reaches the ink; all or none where it
                    // does not (it reads only zeros).
                    let reaches = ink.contains { expected[$0] != 0 }
                    #expect(
                        dense == expected || (!reaches && dense.allSatisfy { $0 == 0 }),
                        "output \(output) of \(origin) + \(length) over \(size), ink \(ink)")
                }
            }
        }
    }

    @Test func drawMatchesADirectSumByteForByte() {
        var rng = SeededGenerator(seed: 10)
        var drawn = 0
        for case_ in 0..<1500 {
            let width = Int.random(in: 1...80, using: &rng)
            let height = Int.random(in: 1...80, using: &rng)
            let sourceHeight = Int.random(in: 1...36, using: &rng)
            let sourceWidth = Int.random(in: 1...36, using: &rng)
            // A canvas already holding values: the digits may only raise them.
            var canvas = (0..<width * height).map { _ in
                Int.random(in: 0..<3, using: &rng) == 0 ? UInt8.random(in: 0...255, using: &rng) : 0
            }
            var expected = canvas
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let digit = Self.randomDigit(height: sourceHeight, width: sourceWidth, using: &rng)
                let (left, boxWidth) = Self.randomSpan(canvas: width, source: sourceWidth, using: &rng)
                let (top, boxHeight) = Self.randomSpan(canvas: height, source: sourceHeight, using: &rng)
                let box = DigitBox(left: left, top: top, width: boxWidth, height: boxHeight)
                DigitStringSynthesizer.draw(
                    digit, ink: InkBox(digit), into: &canvas, width: width, height: height, box: box)
                Self.referenceDraw(digit, into: &expected, width: width, height: height, box: box)
                #expect(canvas == expected, "case \(case_): \(sourceHeight)×\(sourceWidth) into \(height)×\(width) at \(box)")
                if canvas != expected { return }
            }
            drawn += 1
        }
        #expect(drawn == 1500)
    }

    /// The fit's extent and scale against the formula evaluated term by term and a bisection
    /// that always runs its 60 steps: the same doubles, bit for bit (the fit decides pixels).
    @Test func inkSpansMatchAPlainEvaluation() {
        var rng = SeededGenerator(seed: 8)
        for _ in 0..<2000 {
            let count = Int.random(in: 1...5, using: &rng)
            let length = Double(Int.random(in: 1...40, using: &rng))
            let scales = (0..<count).map { _ in Double.random(in: 0.5...1.5, using: &rng) }
            let starts = (0..<count).map { _ in Double.random(in: -40...160, using: &rng) }
            let ink: [Range<Int>?] = (0..<count).map { _ in
                guard Int.random(in: 0..<5, using: &rng) != 0 else { return nil }
                let low = Int.random(in: 0..<Int(length), using: &rng)
                return low..<Int.random(in: low + 1...Int(length), using: &rng)
            }
            func span(_ k: Double) -> Double {
                let inked = (0..<count).filter { ink[$0] != nil }
                let lows = inked.map { i in
                    max(k * (starts[i] + scales[i] * (Double(ink[i]!.lowerBound) + 0.5)) - max(k * scales[i], 1), k * starts[i])
                }
                let highs = inked.map { i in
                    min(k * (starts[i] + scales[i] * (Double(ink[i]!.upperBound) - 0.5)) + max(k * scales[i], 1),
                        k * (starts[i] + scales[i] * length))
                }
                if inked.isEmpty {
                    return starts.indices.map { k * (starts[$0] + scales[$0] * length) }.max()! - starts.map { k * $0 }.min()!
                }
                return highs.max()! - lows.min()!
            }
            let size = Double.random(in: 1...300, using: &rng)
            var below = 0.0
            var above = 1.0
            var doublings = 0
            while span(above) <= size && doublings < 60 {
                below = above
                above *= 2
                doublings += 1
            }
            for _ in 0..<60 {
                let middle = (below + above) / 2
                if span(middle) <= size { below = middle } else { above = middle }
            }
            let spans = InkSpans(starts: starts, scales: scales, length: length, ink: ink)
            #expect(spans.scale(fitting: size).bitPattern == below.bitPattern, "\(starts) \(scales) \(ink) \(size)")
            let k = Double.random(in: 0...4, using: &rng)
            let (low, high) = spans.extent(scale: k)
            #expect((high - low).bitPattern == span(k).bitPattern)
        }
    }

    /// The synthesizer's own strings, on canvases whose rows are not whole vectors, drawn again
    /// by the reference from the boxes they report.
    @Test(arguments: [(64, 64), (37, 45), (32, 100), (9, 7)])
    func stringsMatchTheReferenceByteForByte(height: Int, width: Int) throws {
        let source = try TestDigits.source()
        let synth = try DigitStringSynthesizer(
            source: source, configuration: .init(layout: .free, height: height, width: width, seed: 21))
        for index in 0..<40 {
            let string = synth.synthesize(split: "train", index: index)
            var expected = [UInt8](repeating: 0, count: height * width)
            for (box, sourceIndex) in zip(string.boxes, string.sourceIndices) {
                Self.referenceDraw(source.images[sourceIndex], into: &expected, width: width, height: height, box: box)
            }
            #expect(string.image.pixels == expected, "string \(index)")
        }
    }
}
