internal import ShardKitSupport
import Shards
import Examples
import Formats
import Foundation

/// MNIST idx (also Fashion-MNIST, EMNIST) → `image` (28×28×1) and `label` (int64), as TFDS's
/// `mnist`. Splits `train` and `test`, whichever the folder holds.
enum MNISTConversion {
    static func plan(_ options: ConvertOptions, encoding: ImageEncoding) throws(DatasetError) -> ConversionPlan {
        let dataset = try reading { () throws(FormatError) in try MNISTDataset(directory: options.input) }
        var passes: [ConversionPass] = []
        var shape = [28, 28, 1]
        for split in MNISTDataset.Split.allCases {
            guard let files = dataset.splits[split] else { continue }
            let first = try reading { () throws(FormatError) in try dataset.reader(for: split) }
            shape = [first.rows, first.columns, 1]
            passes.append(
                ConversionPass(
                    label: split.rawValue, splits: [split.rawValue],
                    counts: { () throws(DatasetError) in [first.count] }, countIsCheap: true,
                    canSkip: true,
                    open: { skip throws(DatasetError) in
                        chainedPull(
                            [files.images], skip: skip, open: { _ throws(FormatError) in try dataset.reader(for: split) },
                            map: { sample, file in
                                PendingRecord(
                                    split: 0, path: file.path, index: sample.index, image: .decoded(sample.image),
                                    features: ["label": .int64([Int64(sample.label)])])
                            })
                    }))
        }
        return ConversionPlan(
            passes: passes,
            features: [
                ("image", .image(shape: shape, encoding: encoding)), ("label", .classLabel(count: 10, names: nil)),
            ],
            supervisedKeys: ("image", "label"),
            description: "MNIST-style handwritten digits converted by shardkit from \(options.input.lastPathComponent)")
    }
}
