import Imaging
import Synth
import Testing

@Suite struct DigitStringSynthesizerTests {
    func synthesizer(
        layout: DigitLayout = .free, maxLength: Int = 5, lengths: String = "", seed: UInt64 = 7, count: Int = 30,
        channels: Int = 3
    ) throws -> DigitStringSynthesizer {
        try DigitStringSynthesizer(
            source: TestDigits.source(count: count),
            configuration: .init(
                maxLength: maxLength, lengths: LengthDistribution(parsing: lengths, maxLength: maxLength),
                layout: layout, channels: channels, seed: seed))
    }

    @Test(arguments: DigitLayout.allCases)
    func isAPureFunctionOfSeedAndKey(layout: DigitLayout) throws {
        let a = try synthesizer(layout: layout)
        let b = try synthesizer(layout: layout)
        // Another instance, another order: the same strings.
        for index in (0..<50).reversed() {
            #expect(a.synthesize(split: "train", index: index) == b.synthesize(split: "train", index: index))
        }
        let other = try synthesizer(layout: layout, seed: 8)
        let differing = (0..<50).filter {
            other.synthesize(split: "train", index: $0) != a.synthesize(split: "train", index: $0)
        }
        #expect(differing.count > 40)
        #expect(a.synthesize(split: "train", index: 3) != a.synthesize(split: "test", index: 3))
    }

    @Test(arguments: DigitLayout.allCases)
    func labelsMatchTheDigitsUsed(layout: DigitLayout) throws {
        let synth = try synthesizer(layout: layout)
        for index in 0..<200 {
            let string = synth.synthesize(split: "train", index: index)
            #expect((1...5).contains(string.length))
            #expect(string.digits == string.sourceIndices.map { synth.source.labels[$0] })
            #expect(string.paddedDigits.count == 5)
            #expect(string.paddedDigits.prefix(string.length).elementsEqual(string.digits))
            #expect(string.paddedDigits.dropFirst(string.length).allSatisfy { $0 == 10 })
            #expect(string.boxes.count == string.length)
            #expect(string.text == string.digits.map(String.init).joined())
        }
    }

    @Test func lengthsFollowTheSpecOverFiveThousandStrings() throws {
        let synth = try synthesizer(layout: .fixed, lengths: "1:1,2:1,3:2,4:2,5:4")
        var counts = [Int](repeating: 0, count: 5)
        let n = 5_000
        for index in 0..<n { counts[synth.synthesize(split: "train", index: index).length - 1] += 1 }
        let probabilities = [0.1, 0.1, 0.2, 0.2, 0.4]
        var chiSquare = 0.0
        for k in 0..<5 {
            let expected = Double(n) * probabilities[k]
            chiSquare += (Double(counts[k]) - expected) * (Double(counts[k]) - expected) / expected
        }
        // 4 degrees of freedom: P(χ² > 18.47) = 0.001.
        #expect(chiSquare < 18.47, "counts \(counts)")
        // Uniform by default.
        let uniform = try synthesizer(layout: .fixed)
        var uniformCounts = [Int](repeating: 0, count: 5)
        for index in 0..<n { uniformCounts[uniform.synthesize(split: "train", index: index).length - 1] += 1 }
        let chiUniform = uniformCounts.reduce(0.0) { $0 + (Double($1) - 1000) * (Double($1) - 1000) / 1000 }
        #expect(chiUniform < 18.47, "counts \(uniformCounts)")
        // A single length.
        let five = try synthesizer(lengths: "5:1")
        #expect((0..<100).allSatisfy { five.synthesize(split: "train", index: $0).length == 5 })
    }

    @Test func digitsAreDrawnFromTheWholeSource() throws {
        let synth = try synthesizer(layout: .fixed, count: 30)
        var used = Set<Int>()
        for index in 0..<500 { used.formUnion(synth.synthesize(split: "train", index: index).sourceIndices) }
        #expect(used == Set(0..<30))
    }

    @Test func fixedLayoutCopiesTheSourceDigitsExactly() throws {
        let synth = try synthesizer(layout: .fixed, maxLength: 4, lengths: "")
        #expect(synth.imageShape == (28, 112, 3))
        for index in 0..<40 {
            let string = synth.synthesize(split: "test", index: index)
            #expect(string.image.height == 28 && string.image.width == 112 && string.image.channels == 3)
            var expected = [UInt8](repeating: 0, count: 28 * 112 * 3)
            for slot in 0..<string.length {
                let digit = synth.source.images[string.sourceIndices[slot]].pixels
                for y in 0..<28 {
                    for x in 0..<28 {
                        for c in 0..<3 { expected[(y * 112 + slot * 28 + x) * 3 + c] = digit[y * 28 + x] }
                    }
                }
            }
            #expect(string.image.pixels == expected)
        }
    }

    @Test func freeLayoutInksTheDigitBoxesAndNothingElse() throws {
        let synth = try synthesizer(layout: .free)
        #expect(synth.imageShape == (64, 64, 3))
        for index in 0..<100 {
            let string = synth.synthesize(split: "train", index: index)
            let image = string.image
            #expect(image.height == 64 && image.width == 64 && image.channels == 3)
            // The test digits' ink is columns 6..<22 and rows 4..<24 of 28. Ink reaches past the
            // outermost inked pixel centres by one source pixel where a digit is enlarged and one
            // canvas pixel where it is shrunk, within its box. That reach of every box, united and
            // grown by the margin on each side, is centred and fills the canvas's height exactly.
            func reach(_ size: Double) -> Double { max(size / 28, 1) }
            let inkLeft = string.boxes.map { max($0.left + $0.width * 6.5 / 28 - reach($0.width), $0.left) }.min()!
            let inkRight = string.boxes.map {
                min($0.left + $0.width * 21.5 / 28 + reach($0.width), $0.left + $0.width)
            }.max()!
            let inkTop = string.boxes.map { max($0.top + $0.height * 4.5 / 28 - reach($0.height), $0.top) }.min()!
            let inkBottom = string.boxes.map {
                min($0.top + $0.height * 23.5 / 28 + reach($0.height), $0.top + $0.height)
            }.max()!
            #expect(abs(inkLeft + inkRight - 64) < 1e-6, "centred horizontally")
            #expect(abs(inkTop + inkBottom - 64) < 1e-6, "centred vertically")
            let grown = 1 + 2 * FreeLayout.margin
            let (grownWidth, grownHeight) = (grown * (inkRight - inkLeft), grown * (inkBottom - inkTop))
            #expect(grownWidth <= 64 + 1e-6)
            #expect(abs(grownHeight - 64) < 1e-6, "fitted to the height")
            // Squeezed sideways only when too wide: then the width is filled too.
            let squeezed = string.boxes.contains { abs($0.width - $0.height) > 1e-9 }
            if squeezed { #expect(abs(grownWidth - 64) < 1e-6, "squeezed to fit the width") }
            // Ink in the middle of each digit's box (the test digits are solid there).
            for box in string.boxes {
                let x = Int(box.left + box.width / 2)
                let y = Int(box.top + box.height / 2)
                #expect(image.pixels[(y * 64 + x) * 3] >= 90)
            }
            // No ink outside the boxes; gray replicated to RGB.
            var stray = 0
            var unequal = 0
            for y in 0..<64 {
                for x in 0..<64 {
                    let at = (y * 64 + x) * 3
                    if image.pixels[at] != image.pixels[at + 1] || image.pixels[at] != image.pixels[at + 2] {
                        unequal += 1
                    }
                    let cx = Double(x) + 0.5
                    let cy = Double(y) + 0.5
                    let inside = string.boxes.contains {
                        cx >= $0.left && cx < $0.left + $0.width && cy >= $0.top && cy < $0.top + $0.height
                    }
                    if !inside && image.pixels[at] != 0 { stray += 1 }
                }
            }
            #expect(stray == 0)
            #expect(unequal == 0)
        }
    }

    /// SVHN's margin: the ink of every string, grown by 15% of its extent on each side, fits the
    /// canvas, centred, and fills its height (wide strings are squeezed sideways, as SVHN's
    /// preprocessing squeezes each grown box into a square). So the `digits` model's centre 54×54 crop of a
    /// 64×64 string keeps all of its ink (the layout that filled the canvas edge to edge cut the
    /// end digits of long strings), on square and other canvases alike.
    @Test(arguments: [(64, 64), (37, 45), (32, 100)])
    func freeLayoutLeavesSVHNsMarginAroundTheInk(height: Int, width: Int) throws {
        let synth = try DigitStringSynthesizer(
            source: TestDigits.source(),
            configuration: .init(layout: .free, height: height, width: width, channels: 1, seed: 9))
        let marginX = Double(width) * FreeLayout.margin / (1 + 2 * FreeLayout.margin)
        let marginY = Double(height) * FreeLayout.margin / (1 + 2 * FreeLayout.margin)
        var lengthsSeen = Set<Int>()
        for index in 0..<300 {
            let string = synth.synthesize(split: "train", index: index)
            lengthsSeen.insert(string.length)
            let image = string.image
            var (x0, x1, y0, y1) = (width, -1, height, -1)
            for y in 0..<height {
                for x in 0..<width where image.pixels[y * width + x] != 0 {
                    (x0, x1, y0, y1) = (min(x0, x), max(x1, x), min(y0, y), max(y1, y))
                }
            }
            try #require(x1 >= 0, "string \(index) has no ink")
            // Inked pixel centres keep the margin on every side.
            #expect(Double(x0) + 0.5 >= marginX - 1e-9 && Double(x1) + 0.5 <= Double(width) - marginX + 1e-9)
            #expect(Double(y0) + 0.5 >= marginY - 1e-9 && Double(y1) + 0.5 <= Double(height) - marginY + 1e-9)
            // Centred, within the half source pixel of bilinear fringe that may stay blank.
            #expect(abs(Double(x0 + x1 + 1) / 2 - Double(width) / 2) <= 2)
            #expect(abs(Double(y0 + y1 + 1) / 2 - Double(height) / 2) <= 2)
            // As tall as the margin allows, whatever the length: the ink spans most of the inner
            // region's height (before, a 5-digit string on a square canvas got a sixth of it).
            let fillsY = Double(y1 - y0 + 1) >= 0.85 * (Double(height) - 2 * marginY)
            #expect(fillsY, "string \(index) (\(string.length) digits): ink \(x0)...\(x1) × \(y0)...\(y1)")
            if height == 64 && width == 64 {
                // What the digits model sees at evaluation: its centre 54×54 crop keeps every inked pixel.
                let kept = image.centerCropped(height: 54, width: 54).pixels.reduce(0) { $0 + Int($1) }
                #expect(kept == image.pixels.reduce(0) { $0 + Int($1) }, "string \(index) loses ink to the crop")
            }
        }
        #expect(lengthsSeen == Set(1...5))
    }

    /// Digits whose ink reaches the source image's border (no blank border to spare) still keep
    /// the margin: the fit clips each digit's bilinear fringe to its box.
    @Test func freeLayoutKeepsTheMarginForDigitsInkedToTheirBorder() throws {
        let full = (0..<10).map { i in
            Image(height: 28, width: 28, channels: 1, pixels: [UInt8](repeating: UInt8(60 + i * 10), count: 28 * 28))
        }
        let synth = try DigitStringSynthesizer(
            source: DigitSource(images: full, labels: Array(0..<10)), configuration: .init(seed: 4))
        let margin = 64 * FreeLayout.margin / (1 + 2 * FreeLayout.margin)
        for index in 0..<100 {
            let string = synth.synthesize(split: "train", index: index)
            let inked = (0..<64 * 64).filter { string.image.pixels[$0] != 0 }
            let columns = inked.map { Double($0 % 64) + 0.5 }
            let rows = inked.map { Double($0 / 64) + 0.5 }
            #expect(columns.min()! >= margin && columns.max()! <= 64 - margin, "string \(index)")
            #expect(rows.min()! >= margin && rows.max()! <= 64 - margin, "string \(index)")
        }
    }

    /// The fast renderer (fixed-point weights, ink clipping, 16-pixel RGB stores) against a
    /// plain double-precision tent-filter sampler written here from the boxes it reports (radius
    /// one source pixel, or the shrink factor when a digit is shrunk): within ±1 per pixel, on a
    /// canvas whose pixel count is not a multiple of 16.
    @Test func freeLayoutMatchesAPlainTentFilterRendering() throws {
        let source = try TestDigits.source()
        let synth = try DigitStringSynthesizer(
            source: source, configuration: .init(layout: .free, height: 37, width: 45, channels: 3, seed: 5))
        /// Weights of source pixels 0..<size for an output centre at `position` in a box from
        /// `origin`, `length` long: a tent of radius max(1, shrink), normalised over all taps
        /// (taps outside the source read zero).
        func weights(_ position: Double, origin: Double, length: Double, size: Int) -> [Double] {
            let factor = Double(size) / length
            let radius = max(1, factor)
            let centre = (position - origin) * factor - 0.5
            var total = 0.0
            var inside = [Double](repeating: 0, count: size)
            for i in Int((centre - radius).rounded(.down))...Int((centre + radius).rounded(.up)) {
                let w = max(0, 1 - abs(Double(i) - centre) / radius)
                total += w
                if i >= 0 && i < size { inside[i] = w }
            }
            return inside.map { $0 / total }
        }
        var largest = 0
        var shrunk = 0
        for index in 0..<60 {
            let string = synth.synthesize(split: "train", index: index)
            var expected = [Double](repeating: 0, count: 37 * 45)
            for (box, sourceIndex) in zip(string.boxes, string.sourceIndices) {
                let digit = source.images[sourceIndex]
                if box.width < Double(digit.width) { shrunk += 1 }
                for y in 0..<37 {
                    for x in 0..<45 {
                        let cx = Double(x) + 0.5
                        let cy = Double(y) + 0.5
                        guard cx >= box.left, cx < box.left + box.width, cy >= box.top, cy < box.top + box.height
                        else { continue }
                        let wx = weights(cx, origin: box.left, length: box.width, size: digit.width)
                        let wy = weights(cy, origin: box.top, length: box.height, size: digit.height)
                        var value = 0.0
                        for sy in 0..<digit.height where wy[sy] > 0 {
                            for sx in 0..<digit.width where wx[sx] > 0 {
                                value += wy[sy] * wx[sx] * Double(digit.pixels[sy * digit.width + sx])
                            }
                        }
                        expected[y * 45 + x] = max(expected[y * 45 + x], value)
                    }
                }
            }
            for p in 0..<37 * 45 {
                let got = string.image.pixels[3 * p]
                #expect(string.image.pixels[3 * p + 1] == got && string.image.pixels[3 * p + 2] == got)
                largest = max(largest, abs(Int(got) - Int(expected[p].rounded())))
            }
        }
        #expect(shrunk > 20, "the strings must exercise the shrinking filter")
        #expect(largest <= 1)
    }

    @Test func blankDigitsDrawNothing() throws {
        let blank = (0..<10).map { _ in Image(height: 28, width: 28, channels: 1) }
        let synth = try DigitStringSynthesizer(
            source: DigitSource(images: blank, labels: Array(0..<10)), configuration: .init(seed: 3))
        for index in 0..<20 {
            let string = synth.synthesize(split: "train", index: index)
            #expect(!string.boxes.isEmpty)
            #expect(string.image.pixels.allSatisfy { $0 == 0 })
        }
    }

    @Test func freeLayoutUsesTheRequestedCanvas() throws {
        let synth = try DigitStringSynthesizer(
            source: TestDigits.source(), configuration: .init(layout: .free, height: 32, width: 100, seed: 1))
        let string = synth.synthesize(split: "train", index: 0)
        #expect(string.image.height == 32 && string.image.width == 100)
        #expect(synth.imageShape == (32, 100, 1))
    }

    @Test func eachSplitUsesOnlyItsOwnSource() throws {
        // Two sources standing for the train and test files.
        let train = try DigitStringSynthesizer(source: TestDigits.source(count: 20), configuration: .init(seed: 5))
        let test = try DigitStringSynthesizer(
            source: DigitSource(images: (100..<110).map(TestDigits.image), labels: Array(0..<10)),
            configuration: .init(seed: 5))
        let trainImages = Set(train.source.images.map(\.pixels))
        for index in 0..<100 {
            let string = test.synthesize(split: "test", index: index)
            #expect(string.sourceIndices.allSatisfy { !trainImages.contains(test.source.images[$0].pixels) })
        }
    }

    /// Gray (the default) is the red channel of the RGB rendering, for both layouts.
    @Test(arguments: DigitLayout.allCases)
    func grayIsTheRGBRenderingsOwnValue(layout: DigitLayout) throws {
        let gray = try synthesizer(layout: layout, channels: 1)
        let rgb = try synthesizer(layout: layout, channels: 3)
        #expect(gray.imageShape.channels == 1)
        for index in 0..<30 {
            let a = gray.synthesize(split: "train", index: index)
            let b = rgb.synthesize(split: "train", index: index)
            #expect(a.image.channels == 1 && b.image.channels == 3)
            #expect(b.image.pixels == a.image.pixels.flatMap { [$0, $0, $0] })
            #expect(a.digits == b.digits && a.boxes == b.boxes)
        }
    }

    @Test func refusesMoreThanFiveDigitsAndLengthsAboveTheMaximum() throws {
        #expect(throws: SynthError.self) {
            try DigitStringSynthesizer(source: TestDigits.source(), configuration: .init(channels: 2))
        }
        #expect(throws: SynthError.self) {
            try DigitStringSynthesizer(source: TestDigits.source(), configuration: .init(maxLength: 6))
        }
        #expect(throws: SynthError.self) {
            try DigitStringSynthesizer(
                source: TestDigits.source(),
                configuration: .init(maxLength: 3, lengths: LengthDistribution(weights: [1, 1, 1, 1])))
        }
    }
}
