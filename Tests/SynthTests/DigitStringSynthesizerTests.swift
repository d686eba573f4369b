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
            // Every box lies inside the canvas; the string is centred and fitted to two edges.
            for box in string.boxes {
                #expect(box.left >= -1e-9 && box.top >= -1e-9)
                #expect(box.left + box.width <= 64 + 1e-9 && box.top + box.height <= 64 + 1e-9)
            }
            let minLeft = string.boxes.map(\.left).min()!
            let maxRight = string.boxes.map { $0.left + $0.width }.max()!
            let minTop = string.boxes.map(\.top).min()!
            let maxBottom = string.boxes.map { $0.top + $0.height }.max()!
            #expect(abs(minLeft + maxRight - 64) < 1e-6, "centred horizontally")
            #expect(abs(minTop + maxBottom - 64) < 1e-6, "centred vertically")
            #expect(abs(maxRight - minLeft - 64) < 1e-6 || abs(maxBottom - minTop - 64) < 1e-6)
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

    /// The fast renderer (fixed-point weights, ink clipping, 16-pixel RGB stores) against a
    /// plain double-precision bilinear sampler written here from the boxes it reports: within
    /// ±1 per pixel, on a canvas whose pixel count is not a multiple of 16.
    @Test func freeLayoutMatchesAPlainBilinearRendering() throws {
        let source = try TestDigits.source()
        let synth = try DigitStringSynthesizer(
            source: source, configuration: .init(layout: .free, height: 37, width: 45, channels: 3, seed: 5))
        func sample(_ digit: Image, _ x: Int, _ y: Int) -> Double {
            guard x >= 0, y >= 0, x < digit.width, y < digit.height else { return 0 }
            return Double(digit.pixels[y * digit.width + x])
        }
        var largest = 0
        for index in 0..<60 {
            let string = synth.synthesize(split: "train", index: index)
            var expected = [Double](repeating: 0, count: 37 * 45)
            for (box, sourceIndex) in zip(string.boxes, string.sourceIndices) {
                let digit = source.images[sourceIndex]
                for y in 0..<37 {
                    for x in 0..<45 {
                        let cx = Double(x) + 0.5
                        let cy = Double(y) + 0.5
                        guard cx >= box.left, cx < box.left + box.width, cy >= box.top, cy < box.top + box.height
                        else { continue }
                        let sx = (cx - box.left) * Double(digit.width) / box.width - 0.5
                        let sy = (cy - box.top) * Double(digit.height) / box.height - 0.5
                        let ix = Int(sx.rounded(.down))
                        let iy = Int(sy.rounded(.down))
                        let wx = sx - Double(ix)
                        let wy = sy - Double(iy)
                        let top = sample(digit, ix, iy) * (1 - wx) + sample(digit, ix + 1, iy) * wx
                        let bottom = sample(digit, ix, iy + 1) * (1 - wx) + sample(digit, ix + 1, iy + 1) * wx
                        expected[y * 45 + x] = max(expected[y * 45 + x], top * (1 - wy) + bottom * wy)
                    }
                }
            }
            for p in 0..<37 * 45 {
                let got = string.image.pixels[3 * p]
                #expect(string.image.pixels[3 * p + 1] == got && string.image.pixels[3 * p + 2] == got)
                largest = max(largest, abs(Int(got) - Int(expected[p].rounded())))
            }
        }
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
