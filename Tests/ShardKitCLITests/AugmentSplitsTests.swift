import Foundation
import TestSupport
import Testing

/// `--augment` augments (and `--copies` multiplies) the train split only, unless
/// `--augment-splits` says otherwise; a spec that cannot apply and a split that would be empty
/// are usage errors that say why.
@Suite struct AugmentSplitsTests {
    static func shards(_ directory: URL, split: String) throws -> [String: Data] {
        var found: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.contains("-\(split).tfrecord-") {
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
            run.standardError.contains("--augment cannot apply to split train: crop=40 needs images of at least 40×40, these are 28×28"),
            "\(run.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output.path), "a refused run left its output folder")
        let synth = try ShardKitProcess.run([
            "synth", "--digits", FixturePaths.fixture("digits").path, "-o", output.path, "--count", "10",
            "--augment", "crop=80",
        ])
        #expect(synth.status == 64)
        #expect(synth.standardError.contains("crop=80 needs images of at least 80×80, these are 64×64"), "\(synth.standardError)")
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
            #expect(run.standardError.contains("leaves split validation empty (train 3, validation 0 records)"), "\(run.standardError)")
            #expect(!FileManager.default.fileExists(atPath: output.path), "an empty split's run left its output folder")
        }
        // The default fraction is not the user's choice: no validation split, and a note.
        let output = directory.appendingPathComponent("default")
        let run = try ShardKitProcess.run(["convert", "svhn", "-i", svhn, "-o", output.path, "--seed", "3"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("no validation split: the default --validation-fraction 0.1 gives it none of 3 records"))
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path)
        #expect(!names.contains { $0.contains("-validation.") }, "\(names)")
        let manifest = try String(contentsOf: output.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(!manifest.contains("\"validation\""))
        #expect(try ShardKitProcess.run(["verify", output.path]).status == 0)
    }
}
