import Examples
import Formats
import Foundation
import Imaging
internal import ShardKitSupport
import Shards

/// MNIST idx files (MNIST, Fashion-MNIST, KMNIST, EMNIST) → `image` (28×28×1) and `label`
/// (int64), as TFDS's `mnist`, `fashion_mnist`, `kmnist` and `emnist`. Splits `train` and
/// `test`, whichever the folder holds. The variant brings the class names, EMNIST letters'
/// labels 1–26 moved to 0–25, and EMNIST's transposed images turned upright.
enum MNISTConversion {
    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding) throws(DatasetError)
        -> ConversionPlan
    {
        let variant = try variant(of: format, options)
        let dataset = try reading { () throws(FormatError) in
            try MNISTDataset(directory: options.input, prefix: variant.filePrefix)
        }
        let transpose = options.transpose ?? variant.storesTransposed
        let (classes, offset) = (variant.classCount, variant.labelOffset)
        var passes: [ConversionPass] = []
        var shape = [28, 28, 1]
        for split in MNISTDataset.Split.allCases {
            guard let files = dataset.splits[split] else { continue }
            let first = try reading { () throws(FormatError) in try dataset.reader(for: split) }
            shape = transpose ? [first.columns, first.rows, 1] : [first.rows, first.columns, 1]
            passes.append(
                ConversionPass(
                    label: split.rawValue, splits: [split.rawValue],
                    counts: { () throws(DatasetError) in [first.count] }, countIsCheap: true,
                    canSkip: true,
                    open: { skip throws(DatasetError) in
                        chainedPull(
                            [files.images], skip: skip,
                            open: { _ throws(FormatError) in try dataset.reader(for: split) },
                            map: { sample, file throws(DatasetError) in
                                let label = sample.label - offset
                                guard label >= 0 && label < classes else {
                                    throw DatasetError(
                                        .badInput, path: files.labels.path, recordIndex: sample.index,
                                        "label \(sample.label) is not one of \(variant.name)'s (expected \(offset)…\(classes - 1 + offset))"
                                    )
                                }
                                return PendingRecord(
                                    split: 0, path: file.path, index: sample.index,
                                    image: .decoded(transpose ? sample.image.transposed() : sample.image),
                                    features: ["label": .int64([Int64(label)])])
                            })
                    }))
        }
        var metadata: [String: String] = [:]
        if variant != .mnist {
            metadata["classes"] = String(classes)
            metadata["transposed"] = String(transpose)
            if case .emnist(let subset) = variant { metadata["emnist_subset"] = subset.rawValue }
            if offset != 0 { metadata["label_offset"] = "stored label − \(offset)" }
        }
        return ConversionPlan(
            passes: passes,
            features: [
                ("image", .image(shape: shape, encoding: encoding)),
                ("label", .classLabel(count: classes, names: variant.classNames)),
            ],
            supervisedKeys: ("image", "label"),
            description: "\(variant.longName) converted by shardkit from \(options.input.lastPathComponent)",
            metadata: metadata)
    }

    /// The idx dataset `format` names; for `emnist`, the set `--subset` names, or else the one
    /// EMNIST set whose files the folder holds.
    private static func variant(of format: DatasetFormat, _ options: ConvertOptions) throws(DatasetError)
        -> MNISTVariant
    {
        if options.emnistSubset != nil && format != .emnist {
            throw DatasetError(.usage, "--subset applies to emnist only")
        }
        switch format {
        case .fashionMNIST: return .fashion
        case .kmnist: return .kmnist
        case .emnist: break
        default: return .mnist
        }
        if let subset = options.emnistSubset { return .emnist(subset) }
        let prefixes = try reading { () throws(FormatError) in try MNISTDataset.prefixes(in: options.input) }
        let subsets = EMNISTSubset.allCases.filter { prefixes.contains("emnist-\($0.rawValue)-") }
        guard subsets.count == 1 else {
            throw DatasetError(
                subsets.isEmpty ? .noInput : .usage, path: options.input.path,
                subsets.isEmpty
                    ? "no EMNIST idx files (emnist-<set>-train-images-idx3-ubyte[.gz], …)"
                    : "the folder holds EMNIST sets \(subsets.map(\.rawValue).joined(separator: ", ")): choose one with --subset"
            )
        }
        return .emnist(subsets[0])
    }
}

extension MNISTVariant {
    /// The format name people type (`fashion-mnist`, `emnist/letters`), for messages.
    var name: String {
        switch self {
        case .mnist: "mnist"
        case .fashion: "fashion-mnist"
        case .kmnist: "kmnist"
        case .emnist(let subset): "emnist/\(subset.rawValue)"
        }
    }

    /// The dataset's description's subject; MNIST's is the one every MNIST dataset so far has.
    var longName: String {
        switch self {
        case .mnist: "MNIST-style handwritten digits"
        case .fashion: "Fashion-MNIST (Zalando's article images)"
        case .kmnist: "Kuzushiji-MNIST (cursive hiragana)"
        case .emnist(let subset): "EMNIST \(subset.rawValue) (handwritten characters)"
        }
    }
}
