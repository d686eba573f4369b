import Imaging
import Synth
import Testing
import ShardKitSupport

@Suite struct DigitSourceTests {
    @Test func acceptsOneGrayShape() throws {
        let source = try TestDigits.source()
        #expect(source.count == 30)
        #expect(source.digitHeight == 28 && source.digitWidth == 28)
    }

    @Test func rejectsEmptyMixedAndBadLabels() {
        #expect(throws: SynthError.self) { try DigitSource(images: [], labels: []) }
        #expect(throws: SynthError.self) {
            try DigitSource(images: [TestDigits.image(0), Image(height: 20, width: 28, channels: 1)], labels: [1, 2])
        }
        #expect(throws: SynthError.self) { try DigitSource(images: [TestDigits.image(0)], labels: [10]) }
        #expect(throws: SynthError.self) { try DigitSource(images: [TestDigits.image(0)], labels: [1, 2]) }
        #expect(throws: SynthError.self) {
            try DigitSource(images: [Image(height: 28, width: 28, channels: 3)], labels: [1])
        }
    }
}

@Suite struct LengthDistributionTests {
    @Test func parsesWeightsAndUniform() throws {
        let spec = try LengthDistribution(parsing: "1:1,2:1,3:2,4:2,5:4", maxLength: 5)
        #expect(spec.weights == [1, 1, 2, 2, 4])
        #expect(spec.description == "1:1,2:1,3:2,4:2,5:4")
        #expect(try LengthDistribution(parsing: "uniform", maxLength: 3) == .uniform(maxLength: 3))
        #expect(try LengthDistribution(parsing: "", maxLength: 3).weights == [1, 1, 1])
        #expect(try LengthDistribution(parsing: "5:1", maxLength: 5).weights == [0, 0, 0, 0, 1])
        #expect(try LengthDistribution(parsing: "5:1", maxLength: 5).maxLength == 5)
        #expect(try LengthDistribution(parsing: "2,3:0.5", maxLength: 3).weights == [0, 1, 0.5])
    }

    @Test(arguments: ["6:1", "0:1", "a:1", "1:x", "1:-1", "1:0", "1:1,1:2", "1:1:1"])
    func rejectsBadSpecs(text: String) {
        #expect(throws: SynthError.self) { try LengthDistribution(parsing: text, maxLength: 5) }
    }

    @Test func drawsFollowTheWeights() throws {
        let spec = try LengthDistribution(parsing: "1:1,2:1,3:2,4:2,5:4", maxLength: 5)
        var counts = [Int](repeating: 0, count: 5)
        let n = 5_000
        for i in 0..<n {
            var rng = RecordKey(UInt64(i)).generator(seed: 3)
            counts[spec.draw(using: &rng) - 1] += 1
        }
        let chiSquare = zip(counts, spec.probabilities).reduce(0.0) { sum, pair in
            let expected = Double(n) * pair.1
            return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
        }
        // 4 degrees of freedom: P(χ² > 18.47) = 0.001.
        #expect(chiSquare < 18.47, "counts \(counts)")
    }
}
