import Foundation
import Imaging
import TestSupport
import Testing

@_spi(Benchmarks) @testable import Trainer

/// Checkpoints carry the input preparation, and eval/predict read it back instead of rebuilding
/// it from the model's name; models refuse data they cannot take.
@Suite("Checkpoint metadata and model fit")
struct CheckpointMetadataTests {
    @Test(arguments: ["mnist", "digits", "cifar", "hwdb"])
    func everyBuiltinSpecRoundTripsThroughMetadata(name: String) throws {
        let model = try #require(Model.named(name, classes: 12))
        let spec = InputSpec.forModel(model)
        let back = try InputSpec(
            metadata: spec.metadata,
            fallback: InputSpec(inputShape: [1, 1, 1], labels: .classifier(key: "x", classes: 1), normalization: .scale))
        #expect(back == spec)
    }

    @Test func metadataDescribesThePreparation() {
        let spec = InputSpec.forModel(.digits())
        #expect(
            spec.metadata == [
                "input_shape": "54,54,3", "labels": "digit_string:length:digits", "image_key": "image",
                "normalization": "standardize", "train_augment": "crop=54", "eval_augment": "center=54",
            ])
    }

    @Test func malformedMetadataNamesTheKey() {
        let fallback = InputSpec.forModel(.mnist())
        for (key, value) in [
            ("normalization", "zscore"), ("labels", "regression:y"), ("eval_augment", "center=0"), ("input_shape", "28,28"),
        ] {
            let error = #expect(throws: InputSpecMetadataError.self) {
                _ = try InputSpec(metadata: [key: value], fallback: fallback)
            }
            #expect(error?.key == key)
            #expect(error?.description.hasPrefix("metadata '\(key)' = \"\(value)\": ") == true)
        }
    }

    /// Writes an mnist checkpoint with `metadata` added; returns its path.
    func checkpoint(_ metadata: [String: String], in dir: URL, name: String) throws -> String {
        var c = Model.mnist(seed: 3).checkpoint()
        for (k, v) in metadata { c.metadata[k] = v }
        let url = dir.appendingPathComponent(name)
        try c.write(to: url)
        return url.path
    }

    @Test func evalAndPredictUseTheRecordedPreparationNotTheModelName() throws {
        let dir = try FixturePaths.makeScratchDirectory("ckpt-meta")
        defer { try? FileManager.default.removeItem(at: dir) }
        // mnist's own preparation is x/255 without augmentation; this checkpoint says otherwise.
        let recorded = try checkpoint(
            ["normalization": "standardize", "eval_augment": "center=20", "source_shape": "28x28x1"], in: dir,
            name: "recorded.safetensors")
        let plain = try checkpoint(["source_shape": "28x28x1"], in: dir, name: "plain.safetensors")
        let trained = try TrainedModel(checkpoint: recorded)
        #expect(trained.spec.normalization == .standardize)
        #expect(trained.spec.evalAugment == AugmentSpec(steps: [.centerCrop(height: 20, width: 20)]))
        #expect(try TrainedModel(checkpoint: plain).spec == InputSpec.forModel(.mnist()))

        // The same weights and image give other probabilities under the recorded preparation.
        let image = Image(
            height: 28, width: 28, channels: 1, pixels: (0..<784).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let a = try Predictor(checkpoint: recorded).predict(image)
        let b = try Predictor(checkpoint: plain).predict(image)
        #expect(a.probability != b.probability)
        #expect(a.adaptation == nil && b.adaptation == nil)
    }

    @Test func predictSaysHowItAdaptedAnImageOfAnotherSize() throws {
        let dir = try FixturePaths.makeScratchDirectory("ckpt-meta")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try checkpoint(["source_shape": "28x28x1"], in: dir, name: "m.safetensors")
        let predictor = try Predictor(checkpoint: path)
        let wide = predictor.predict(Image(height: 30, width: 40, channels: 3))
        #expect(
            wide.adaptation
                == "converted its 3 channels to 1 and resized it from 30×40 to the training images' 28×28 (bilinear, aspect ratio not kept)"
        )
        let square = predictor.predict(Image(height: 56, width: 56, channels: 1))
        #expect(square.adaptation == "resized it from 56×56 to the training images' 28×28 (bilinear)")
    }

    @Test func aModelThatCannotTakeTheImagesIsAnErrorNamingBothShapes() {
        let cifar = #expect(throws: DataError.self) {
            _ = try ModelFit.input(model: "cifar", datasetShape: [28, 28, 1], dataset: "out/mnist")
        }
        #expect(cifar?.kind == .unusable)
        #expect(
            cifar?.description
                == "out/mnist: the dataset's images are 28×28×1; --model cifar takes colour images of at least 24×24 (its input is 24×24×3). Models that take 28×28×1 images: mnist, hwdb, classifier"
        )
        let mnist = #expect(throws: DataError.self) {
            _ = try ModelFit.input(model: "mnist", datasetShape: [32, 32, 3], dataset: "d")
        }
        #expect(mnist?.message.contains("--model mnist takes 28×28×1 images") == true)
        #expect(mnist?.message.hasSuffix("Models that take 32×32×3 images: cifar, hwdb, classifier") == true)
        let digits = #expect(throws: DataError.self) {
            _ = try ModelFit.input(model: "digits", datasetShape: [32, 32, 3], dataset: "d")
        }
        #expect(digits?.message.contains("--model digits takes images of at least 54×54, colour or gray") == true)
        let gray = #expect(throws: DataError.self) {
            _ = try ModelFit.input(model: "cifar", datasetShape: [-1, -1, 1], dataset: "d")
        }
        #expect(gray?.message.hasPrefix("the dataset's images are ?×?×1; --model cifar takes colour images") == true)
    }

    @Test func fittingPairsPass() throws {
        #expect(try ModelFit.input(model: "mnist", datasetShape: [28, 28, 1], dataset: "d").note == nil)
        #expect(try ModelFit.input(model: "digits", datasetShape: [64, 64, 3], dataset: "d").note == nil)
        // The gray strings synth writes.
        #expect(try ModelFit.input(model: "digits", datasetShape: [54, 54, 1], dataset: "d").note == nil)
        #expect(try ModelFit.input(model: "cifar", datasetShape: [32, 32, 3], dataset: "d").note == nil)
        #expect(try ModelFit.input(model: "cifar", datasetShape: nil, dataset: "d").shape == nil)
        let hwdb = try ModelFit.input(model: "hwdb", datasetShape: [64, 64, 1], dataset: "d")
        #expect(hwdb.shape == [64, 64, 1] && hwdb.note == nil)
        // hwdb follows the data, and says so when that is not the size it is designed for.
        let small = try ModelFit.input(model: "hwdb", datasetShape: [28, 28, 1], dataset: "d")
        #expect(small.shape == [28, 28, 1])
        #expect(small.note == "hwdb: the model's input follows the dataset's images, 28×28×1 (it is designed for 64×64×1)")
        let colour = try ModelFit.input(model: "hwdb", datasetShape: [32, 32, 3], dataset: "d")
        #expect(colour.shape == [32, 32, 1])
        #expect(
            colour.note
                == "hwdb: the model's input follows the dataset's images, 32×32×1 (it is designed for 64×64×1); colour images are read as gray"
        )
        // A folder of images of any size: 64×64, with the dataset's channels for classifier.
        let folder = try ModelFit.input(model: "classifier", datasetShape: [-1, -1, 3], dataset: "d")
        #expect(folder.shape == [64, 64, 3])
        #expect(folder.note == "classifier: the dataset's images vary in size; each is resized to 64×64")
        #expect(try ModelFit.input(model: "classifier", datasetShape: [28, 28, 1], dataset: "d") == ([28, 28, 1], nil))
        let mnist = try ModelFit.input(model: "mnist", datasetShape: [-1, -1, 1], dataset: "d")
        #expect(mnist.shape == nil)
        #expect(mnist.note == "mnist: the dataset's images vary in size; each is resized to the model's input")
    }
}
