import Foundation
import TestSupport
import Testing

/// `convert fashion-mnist`, `kmnist` and `emnist` end to end: class names in label.labels.txt
/// and features.json, EMNIST letters' labels 1–26 stored as 0–25, EMNIST's transposed images
/// upright (asymmetric letters, probed where a pixel differs from its mirror across the
/// diagonal), `--no-transpose`/`--transpose`, choosing an EMNIST set, and labels out of range.
@Suite struct MNISTVariantCommandTests {
    func expected(_ fixture: String) throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: FixturePaths.fixture("\(fixture)/expected.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
    }

    func ints(_ value: Any?) -> [Int] { (value as! [NSNumber]).map(\.intValue) }

    func convert(_ format: String, _ input: URL, _ output: URL, _ extra: [String] = []) throws -> ShardKitProcess.Result
    {
        try ShardKitProcess.run(
            ["convert", format, "--input", input.path, "--output", output.path, "--quiet", "--jobs", "2"] + extra)
    }

    /// label.labels.txt's lines and features.json's class count.
    func classes(_ output: URL) throws -> (names: [String], count: String) {
        let text = try String(contentsOf: output.appendingPathComponent("label.labels.txt"), encoding: .utf8)
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: output.appendingPathComponent("features.json")))
        let features = ((json as! [String: Any])["featuresDict"] as! [String: Any])["features"] as! [String: Any]
        let label = (features["label"] as! [String: Any])["classLabel"] as! [String: Any]
        return (
            text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init),
            label["numClasses"] as! String
        )
    }

    @Test(arguments: [
        (
            "fashion-mnist",
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        ),
        (
            "kmnist",
            ["お (o)", "き (ki)", "す (su)", "つ (tsu)", "な (na)", "は (ha)", "ま (ma)", "や (ya)", "れ (re)", "を (wo)"]
        ),
    ])
    func fashionAndKMNISTCarryTheirClassNames(format: String, names: [String]) throws {
        let output = try FixturePaths.makeScratchDirectory("shardkit-idx-cli")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try convert(format, FixturePaths.fixture(format), output)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("converted \(format) to "))
        let (lines, count) = try classes(output)
        #expect(lines == names)
        #expect(count == "10")
        let want = try expected(format)
        #expect(try dumpedRecords(output, split: "train").map(\.label) == ints(want["train"]!["labels"]))
        #expect(try dumpedRecords(output, split: "test").map(\.label) == ints(want["t10k"]!["labels"]))
        let manifest = try JSONSerialization.jsonObject(
            with: Data(contentsOf: output.appendingPathComponent("manifest.json")))
        let metadata = (manifest as! [String: Any])["metadata"] as! [String: String]
        #expect(metadata["classes"] == "10" && metadata["transposed"] == "false")
    }

    /// EMNIST letters: labels 1–26 become 0–25 named A/a…Z/z, and every image is upright: at each
    /// probe the pixel is the upright drawing's, which differs from the transposed one's.
    @Test func emnistLettersAreUprightWithTheirNames() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-idx-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let want = try expected("emnist")
        for (transpose, extra) in [(true, [String]()), (false, ["--no-transpose"])] {
            let output = root.appendingPathComponent("out-\(transpose)")
            let result = try convert(
                "emnist", FixturePaths.fixture("emnist"), output,
                ["--subset", "letters", "--image-encoding", "raw"] + extra)
            #expect(result.status == 0, "\(result.standardError)")
            let (names, count) = try classes(output)
            #expect(count == "26" && names.count == 26)
            #expect(names.first == "A/a" && names[5] == "F/f" && names.last == "Z/z")
            for split in ["train", "test"] {
                let records = try dumpedRecords(output, split: split)
                #expect(records.map(\.label) == ints(want["letters/\(split)"]!["labels"]).map { $0 - 1 })
                let probes = want["letters/\(split)"]!["probes"] as! [[String: NSNumber]]
                #expect(!probes.isEmpty)
                for probe in probes {
                    let (i, r, c, value) = (
                        probe["index"]!.intValue, probe["row"]!.intValue, probe["col"]!.intValue,
                        probe["value"]!.intValue
                    )
                    // Upright: (r, c) holds the drawing's value; as stored, it sits at (c, r).
                    let pixel = transpose ? records[i].image[r * 28 + c] : records[i].image[c * 28 + r]
                    #expect(Int(pixel) == value, "\(split) image \(i) at (\(r), \(c)), transposed: \(transpose)")
                }
            }
        }
        // The asymmetric letters really tell the two apart: the upright F's top bar runs to the right.
        let upright = try dumpedRecords(root.appendingPathComponent("out-true"), split: "train")
        let asStored = try dumpedRecords(root.appendingPathComponent("out-false"), split: "train")
        #expect(upright[0].label == 5)  // F
        #expect(upright[0].image != asStored[0].image)
        let storedTopRowRight = asStored[0].image[(4 * 28 + 14)..<(5 * 28)].reduce(0) { $0 + Int($1) }
        let uprightTopRowRight = upright[0].image[(4 * 28 + 14)..<(5 * 28)].reduce(0) { $0 + Int($1) }
        #expect(uprightTopRowRight > storedTopRowRight)  // F's top bar runs right; stored, the stem runs down instead
    }

    /// One set in the folder is found by itself; several need `--subset`; other sets' names.
    @Test func emnistSetChoice() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-idx-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let both = try convert("emnist", FixturePaths.fixture("emnist"), root.appendingPathComponent("both"))
        #expect(both.status == 64)
        #expect(
            both.standardError.contains("the folder holds EMNIST sets letters, digits: choose one with --subset"),
            "\(both.standardError)")
        let letters = root.appendingPathComponent("letters")
        try FileManager.default.createDirectory(at: letters, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: FixturePaths.fixture("emnist").path)
        where name.hasPrefix("emnist-letters-") {
            try FileManager.default.copyItem(
                at: FixturePaths.fixture("emnist/" + name), to: letters.appendingPathComponent(name))
        }
        let found = try convert("emnist", letters, root.appendingPathComponent("found"))
        #expect(found.status == 0, "\(found.standardError)")
        #expect(try classes(root.appendingPathComponent("found")).count == "26")
        let digits = root.appendingPathComponent("digits")
        #expect(try convert("emnist", FixturePaths.fixture("emnist"), digits, ["--subset", "digits"]).status == 0)
        #expect(try classes(digits).names == (0...9).map(String.init))
        #expect(
            try dumpedRecords(digits, split: "train").map(\.label)
                == ints(try expected("emnist")["digits/train"]!["labels"]))
        let absent = try convert(
            "emnist", FixturePaths.fixture("emnist"), root.appendingPathComponent("x"), ["--subset", "byclass"])
        #expect(absent.status == 66, "\(absent.standardError)")
        #expect(absent.standardError.contains("no idx files named emnist-byclass-"))
        let none = try convert("emnist", FixturePaths.fixture("kmnist"), root.appendingPathComponent("y"))
        #expect(none.status == 66 && none.standardError.contains("no EMNIST idx files"), "\(none.standardError)")
        let wrong = try ShardKitProcess.run([
            "convert", "kmnist", "-i", FixturePaths.fixture("kmnist").path, "-o", root.appendingPathComponent("z").path,
            "--subset", "letters",
        ])
        #expect(wrong.status == 64 && wrong.standardError.contains("--subset applies to emnist only"))
    }

    /// `--transpose` works on any idx format: MNIST's images come out as their transposes.
    @Test func transposeFlagOnMNIST() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-idx-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let plain = root.appendingPathComponent("plain")
        let turned = root.appendingPathComponent("turned")
        #expect(try convert("mnist", FixturePaths.fixture("mnist"), plain, ["--image-encoding", "raw"]).status == 0)
        #expect(
            try convert("mnist", FixturePaths.fixture("mnist"), turned, ["--image-encoding", "raw", "--transpose"])
                .status == 0)
        let a = try dumpedRecords(plain, split: "test")
        let b = try dumpedRecords(turned, split: "test")
        #expect(a.count == 10 && b.count == 10)
        for (x, y) in zip(a, b) {
            #expect(x.label == y.label)
            var transposed = [UInt8](repeating: 0, count: 28 * 28)
            for r in 0..<28 {
                for c in 0..<28 { transposed[c * 28 + r] = x.image[r * 28 + c] }
            }
            #expect(y.image == transposed)
        }
        #expect(a.map(\.image) != b.map(\.image))
    }

    /// A stored label outside the set's range (EMNIST letters' 0) is bad input: 65, naming the
    /// label file and the record.
    @Test func aLabelOutOfRangeExitsSixtyFive() throws {
        let root = try FixturePaths.makeScratchDirectory("shardkit-idx-cli")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = try Data(contentsOf: FixturePaths.fixture("mnist/expected.json"))
        let labels = ints(
            ((try JSONSerialization.jsonObject(with: data) as! [String: Any])["train"] as! [String: Any])["labels"])
        let firstZero = try #require(labels.firstIndex(of: 0), "the mnist fixture has a 0 label")
        let input = root.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        for kind in ["images-idx3-ubyte", "labels-idx1-ubyte"] {
            try FileManager.default.copyItem(
                at: FixturePaths.fixture("mnist/train-\(kind)"),
                to: input.appendingPathComponent("emnist-letters-train-\(kind)"))
        }
        let result = try convert("emnist", input, root.appendingPathComponent("out"))
        #expect(result.status == 65, "\(result.standardError)")
        #expect(
            result.standardError.hasPrefix(
                "shardkit: error: \(input.path)/emnist-letters-train-labels-idx1-ubyte: record \(firstZero): label 0 is not one of emnist/letters's (expected 1…26)"
            ),
            "\(result.standardError)")
    }
}
