internal import ShardKitSupport
import Shards
import Examples
import Formats
import Foundation

/// CIFAR-10 / CIFAR-100 binary → `id` ("train_00042"), `image` (32×32×3), `label` (fine label for
/// CIFAR-100) and, for CIFAR-100, `coarse_label`, as TFDS's `cifar10` / `cifar100`.
enum CIFARConversion {
    static func plan(_ options: ConvertOptions, variant: CIFARVariant, encoding: ImageEncoding)
        throws(DatasetError) -> ConversionPlan
    {
        let directory = options.input
        func present(_ names: [String]) -> [URL] {
            names.map { directory.appendingPathComponent($0) }.filter {
                FileManager.default.fileExists(atPath: $0.path)
            }
        }
        let splitFiles: [(String, [URL])]
        switch variant {
        case .cifar10:
            splitFiles = [
                ("train", present((1...5).map { "data_batch_\($0).bin" })), ("test", present(["test_batch.bin"])),
            ]
        case .cifar100:
            splitFiles = [("train", present(["train.bin"])), ("test", present(["test.bin"]))]
        }
        guard splitFiles.contains(where: { !$0.1.isEmpty }) else {
            let expected =
                variant == .cifar10 ? "data_batch_1.bin … data_batch_5.bin, test_batch.bin" : "train.bin, test.bin"
            throw DatasetError(.noInput, path: directory.path, "no \(variant.rawValue) binary files (\(expected))")
        }
        let names = try reading { () throws(FormatError) in try CIFARLabelNames.load(from: directory, variant: variant)
        }
        var passes: [ConversionPass] = []
        for (split, files) in splitFiles where !files.isEmpty {
            var running = 0
            passes.append(
                ConversionPass(
                    label: split, splits: [split],
                    counts: { () throws(DatasetError) in
                        var total = 0
                        for file in files {
                            let reader = try reading { () throws(FormatError) in
                                try CIFARReader(file: file, variant: variant)
                            }
                            if let count = reader.count {
                                total += count
                            } else {
                                while try reading({ () throws(FormatError) in try reader.next() }) != nil { total += 1 }
                            }
                        }
                        return [total]
                    },
                    countIsCheap: true,
                    canSkip: true,
                    open: { skip throws(DatasetError) in
                        running = skip  // the id numbers records across the split's files
                        return chainedPull(
                            files, skip: skip, open: { url throws(FormatError) in try CIFARReader(file: url, variant: variant) },
                            map: { sample, file in
                                defer { running += 1 }
                                var features: [String: Feature] = [
                                    "id": .bytes([Array("\(split)_\(pad5(running))".utf8)]),
                                    "label": .int64([Int64(sample.label)]),
                                ]
                                if let coarse = sample.coarseLabel {
                                    features["coarse_label"] = .int64([Int64(coarse)])
                                }
                                return PendingRecord(
                                    split: 0, path: file.path, index: sample.index, image: .decoded(sample.image),
                                    features: features)
                            })
                    }))
        }
        var features: [(String, TFDSFeature)] = [
            ("id", .text), ("image", .image(shape: [32, 32, 3], encoding: encoding)),
            ("label", .classLabel(count: variant.classCount, names: names?.names)),
        ]
        if variant == .cifar100 {
            features.append(("coarse_label", .classLabel(count: 20, names: names?.coarseNames)))
        }
        return ConversionPlan(
            passes: passes, features: features, supervisedKeys: ("image", "label"),
            description: "\(variant == .cifar10 ? "CIFAR-10" : "CIFAR-100") converted by shardkit")
    }

    static func pad5(_ value: Int) -> String {
        let digits = String(value)
        return digits.count >= 5 ? digits : String(repeating: "0", count: 5 - digits.count) + digits
    }
}
