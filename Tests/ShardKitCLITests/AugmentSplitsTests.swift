import Foundation
import TestSupport
import Testing

/// `--augment` augments (and `--copies` multiplies) the train split only, unless
/// `--augment-splits` says otherwise; a spec that cannot apply and a split that would be empty
/// are usage errors that say why.
@Suite struct AugmentSplitsTests {
    static func shards(_ directory: URL, split: String) throws -> [String: Data] {
        var found: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where name.contains("-\(split).tfrecord-") {
            found[name] = try Data(contentsOf: directory.appendingPathComponent(name))
        }
        return found
    }

    @Test func onlyTrainIsAugmentedByDefault() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mnist = FixturePaths.fixture("mnist").path
        let plain = directory.appendingPathComponent("plain")
        let augmented = directory.appendingPathComponent("augmented")
        let both = directory.appendingPathComponent("both")
        #expect(try ShardKitProcess.run(["convert", "mnist", "-i", mnist, "-o", plain.path, "-q"]).status == 0)
        let run = try ShardKitProcess.run([
            "convert", "mnist", "-i", mnist, "-o", augmented.path, "--augment", "crop=24,resize=28", "--copies", "3",
        ])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("train: 60 records"), "\(run.standardOutput)")
        #expect(run.standardOutput.contains("test: 10 records"), "\(run.standardOutput)")
        // The test split is exactly the unaugmented one.
        #expect(try Self.shards(augmented, split: "test") == Self.shards(plain, split: "test"))
        #expect(try Self.shards(augmented, split: "train") != Self.shards(plain, split: "train"))
        let manifest = try String(contentsOf: augmented.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains("\"augment_splits\" : \"train\""))

        let all = try ShardKitProcess.run([
            "convert", "mnist", "-i", mnist, "-o", both.path, "--augment", "crop=24,resize=28", "--copies", "3",
            "--augment-splits", "train,test",
        ])
        #expect(all.status == 0, "\(all.standardError)")
        #expect(all.standardOutput.contains("test: 30 records"), "\(all.standardOutput)")
    }

    @Test func aSpecThatCannotApplyIsAUsageError() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out")
        let run = try ShardKitProcess.run([
            "convert", "mnist", "-i", FixturePaths.fixture("mnist").path, "-o", output.path, "--augment", "crop=40",
        ])
        #expect(run.status == 64)
        #expect(
            run.standardError.contains(
                "--augment cannot apply to split train: crop=40 needs images of at least 40×40, these are 28×28"),
            "\(run.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "a refused run left its output folder")
        let synth = try ShardKitProcess.run([
            "synth", "--digits", FixturePaths.fixture("digits").path, "-o", output.path, "--count", "10",
            "--augment", "crop=80",
        ])
        #expect(synth.status == 64)
        #expect(
            synth.standardError.contains("crop=80 needs images of at least 80×80, these are 64×64"),
            "\(synth.standardError)")
        // synth stores raw pixels by default: cropping train only would give raw images of two
        // shapes, refused before any string is made.
        let twoShapes = try ShardKitProcess.run([
            "synth", "--digits", FixturePaths.fixture("digits").path, "-o", output.path, "--count", "10",
            "--test-count", "5", "--augment", "crop=54",
        ])
        #expect(twoShapes.status == 64, "\(twoShapes.standardError)")
        #expect(
            twoShapes.standardError.contains(
                "stores train as 54x54x1 raw images but test as 64x64x1; raw images have one shape per dataset"),
            "\(twoShapes.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "a refused run left its output folder")
    }

    /// An augmentation that crops changes the stored shape: the manifest declares each split's
    /// own (train 24×24, test 28×28), features.json leaves the differing sizes unknown (-1, as
    /// TFDS writes None), `get --image` and the trainer read each split as declared, and raw
    /// images of two shapes in one dataset are refused.
    @Test func aCroppingAugmentationDeclaresEachSplitsShape() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mnist = FixturePaths.fixture("mnist").path
        let output = directory.appendingPathComponent("cropped")
        let run = try ShardKitProcess.run([
            "convert", "mnist", "-i", mnist, "-o", output.path, "--augment", "crop=24", "-q",
        ])
        #expect(run.status == 0, "\(run.standardError)")
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("manifest.json")))
            as? [String: Any]
        let splits = manifest?["splits"] as? [String: [String: Any]]
        #expect((manifest?["image"] as? [String: Any])?["shape"] as? [Int] == [28, 28, 1])
        #expect((splits?["train"]?["image"] as? [String: Any])?["shape"] as? [Int] == [24, 24, 1])
        #expect(splits?["test"]?["image"] == nil)
        let features = try String(contentsOf: output.appendingPathComponent("features.json"), encoding: .utf8)
        #expect(features.contains("\"-1\""), "\(features)")
        let png = directory.appendingPathComponent("train0.png")
        let get = try ShardKitProcess.run(["get", output.path, "--split", "train", "--index", "0", "--image", png.path])
        #expect(
            get.status == 0 && get.standardOutput.contains("(24x24, 1 channel)"),
            "\(get.standardOutput) \(get.standardError)")
        let getTest = try ShardKitProcess.run([
            "get", output.path, "--split", "test", "--index", "0", "--image", png.path,
        ])
        #expect(
            getTest.status == 0 && getTest.standardOutput.contains("(28x28, 1 channel)"), "\(getTest.standardOutput)")
        let train = try ShardKitProcess.run([
            "train", "--data", output.path, "--model", "classifier", "--batch", "4", "--jobs", "1", "--steps", "2",
            "--run-dir", directory.appendingPathComponent("run").path,
        ])
        #expect(train.status == 0, "\(train.standardError)")
        // Crop every split: one shape for the dataset, no per-split entries.
        let all = directory.appendingPathComponent("all")
        let both = try ShardKitProcess.run([
            "convert", "mnist", "-i", mnist, "-o", all.path, "--augment", "crop=24", "--augment-splits", "train,test",
            "-q",
        ])
        #expect(both.status == 0, "\(both.standardError)")
        let allManifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: all.appendingPathComponent("manifest.json")))
            as? [String: Any]
        #expect((allManifest?["image"] as? [String: Any])?["shape"] as? [Int] == [24, 24, 1])
        let allSplits = allManifest?["splits"] as? [String: [String: Any]]
        #expect(allSplits?["train"]?["image"] == nil && allSplits?["test"]?["image"] == nil)
        // Raw pixels of two shapes: refused before anything is written.
        let raw = directory.appendingPathComponent("raw")
        let refused = try ShardKitProcess.run([
            "convert", "mnist", "-i", mnist, "-o", raw.path, "--augment", "crop=24", "--image-encoding", "raw",
        ])
        #expect(refused.status == 64, "\(refused.standardError)")
        #expect(
            refused.standardError.contains(
                "stores train as 24x24x1 raw images but test as 28x28x1; raw images have one shape per dataset"),
            "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: raw.path), "a refused run left its output folder")
    }

    @Test func noSplitIsWrittenEmpty() throws {
        let directory = try FixturePaths.makeScratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svhn = FixturePaths.fixture("svhn").path
        for extra in [[String](), ["--shards", "1"]] {
            let output = directory.appendingPathComponent("out\(extra.count)")
            let run = try ShardKitProcess.run(
                ["convert", "svhn", "-i", svhn, "-o", output.path, "--validation-fraction", "0.25"] + extra)
            #expect(run.status == 64, "\(run.standardError)")
            #expect(
                run.standardError.contains("leaves split validation empty (train 3, validation 0 records)"),
                "\(run.standardError)")
            #expect(!FileManager.default.fileExists(atPath: output.path), "an empty split's run left its output folder")
        }
        // The default fraction is not the user's choice: no validation split, and a note.
        let output = directory.appendingPathComponent("default")
        let run = try ShardKitProcess.run(["convert", "svhn", "-i", svhn, "-o", output.path, "--seed", "3"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(
            run.standardError.contains(
                "no validation split: the default --validation-fraction 0.1 gives it none of 3 records"))
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path)
        #expect(!names.contains { $0.contains("-validation.") }, "\(names)")
        let manifest = try String(contentsOf: output.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(!manifest.contains("\"validation\""))
        #expect(try ShardKitProcess.run(["verify", output.path]).status == 0)
    }
}
