import Testing

@testable import Imaging
import ShardKitSupport

@Suite struct AugmentSpecTests {
    @Test(arguments: [
        "crop=54,resize=64,flip=lr,brightness=0.3,contrast=0.8:1.2",
        "center=20x30,area=10x15,flip=lrud,gray",
        "resize=64x32,flip=ud",
        "none",
    ])
    func roundTrips(_ text: String) throws {
        let spec = try AugmentSpec(parsing: text)
        #expect(spec.description == text)
        #expect(try AugmentSpec(parsing: spec.description) == spec)
    }

    @Test func parsesSteps() throws {
        let spec = try AugmentSpec(parsing: "crop=54, resize=64x60,contrast=0.5:1.5")
        #expect(
            spec.steps == [
                .randomCrop(height: 54, width: 54), .resizeBilinear(height: 64, width: 60),
                .contrast(lower: 0.5, upper: 1.5),
            ])
        #expect(try AugmentSpec(parsing: "").steps.isEmpty)
    }

    @Test(arguments: [
        ("crop=54,resize=0", "resize=0"), ("crop=abc", "crop=abc"), ("flip=x", "flip=x"),
        ("brightness=-1", "brightness=-1"), ("contrast=1.2", "contrast=1.2"), ("contrast=2:1", "contrast=2:1"),
        ("blur=3", "blur=3"), ("crop=5,,flip=lr", ""), ("gray=1", "gray=1"), ("brightness=nan", "brightness=nan"),
    ])
    func errorsNameTheToken(_ text: String, _ token: String) {
        let error = #expect(throws: AugmentSpecError.self) { try AugmentSpec(parsing: text) }
        #expect(error?.token == token)
        #expect(error?.description.contains("\"\(token)\"") == true)
    }
}

@Suite struct AugmentShapeTests {
    @Test func aCropLargerThanTheImageIsAProblemAndTheShapeClampsIt() throws {
        let crop = try AugmentSpec(parsing: "crop=40")
        #expect(crop.problem(height: 28, width: 28) == "crop=40 needs images of at least 40×40, these are 28×28")
        #expect(crop.problem(height: 40, width: 64) == nil)
        #expect(crop.outputShape(height: 28, width: 28, channels: 1) == (28, 28, 1))
        #expect(crop.outputShape(height: 64, width: 50, channels: 3) == (40, 40, 3))
    }

    @Test func stepsApplyInOrder() throws {
        // A resize first makes the later crop fit; a crop first is cut from the image as given.
        let grow = try AugmentSpec(parsing: "resize=64,crop=54,gray")
        #expect(grow.problem(height: 28, width: 28) == nil)
        #expect(grow.outputShape(height: 28, width: 28, channels: 3) == (54, 54, 1))
        let shrink = try AugmentSpec(parsing: "resize=32,crop=40")
        #expect(shrink.problem(height: 64, width: 64) == "crop=40 needs images of at least 40×40, these are 32×32")
        // A size that varies stays unknown through a crop and is set by a resize.
        #expect(try AugmentSpec(parsing: "crop=24").outputShape(height: nil, width: nil, channels: 3) == (nil, nil, 3))
        #expect(shrink.outputShape(height: nil, width: nil, channels: 3) == (32, 32, 3))
    }
}

@Suite struct AugmenterTests {
    /// The fused path must equal the step-by-step path bit for bit, for any draws.
    @Test(arguments: [
        "crop=54,resize=64,flip=lr,brightness=0.3,contrast=0.8:1.2",
        "crop=40x50,resize=33x71,flip=lrud,contrast=0.5:1.5,brightness=0.2,flip=lr",
        "center=60,resize=64,brightness=0.5",
        "resize=20,contrast=0.2:3,contrast=0.9:1.1",
        "crop=54,resize=64,gray",
        "flip=lr,resize=64",
        "crop=70,resize=32",
    ])
    func fusedEqualsStepByStep(_ text: String) throws {
        let spec = try AugmentSpec(parsing: text)
        let augmenter = Augmenter(spec: spec)
        for index in 0..<40 {
            let image = TestImages.smooth(height: 64, width: 64, channels: index % 5 == 0 ? 1 : 3, seed: UInt64(index))
            var a = RecordKey(UInt64(index)).generator(seed: 42)
            var b = a
            let fast = augmenter.apply(to: image, rng: &a)
            let slow = spec.applyStepByStep(to: image, rng: &b)
            #expect(fast == slow, "\(text) image \(index)")
            #expect(a.next() == b.next(), "same number of draws")
        }
    }

    @Test func chainShapeAndDeterminism() throws {
        let spec = try AugmentSpec(parsing: "crop=54,resize=64,flip=lr,brightness=0.3,contrast=0.8:1.2")
        let image = TestImages.smooth(height: 64, width: 64)
        var g1 = RecordKey("x").generator(seed: 1)
        var g2 = RecordKey("x").generator(seed: 1)
        let a = Augmenter(spec: spec).apply(to: image, rng: &g1)
        let b = Augmenter(spec: spec).apply(to: image, rng: &g2)
        #expect(a == b)
        #expect(a.height == 64 && a.width == 64 && a.channels == 3)
        var g3 = RecordKey("x").generator(seed: 2)
        #expect(Augmenter(spec: spec).apply(to: image, rng: &g3) != a)
    }
}
