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
        let (folder, search) = try resolveInput(options, format: format)
        let variant = try variant(of: format, options, folder: folder)
        let dataset = try reading { () throws(FormatError) in
            try MNISTDataset(directory: folder, prefix: variant.filePrefix)
        }
        /// A reader over a split's files, hashing them as it reads.
        func reader(_ files: MNISTDataset.Files) throws(FormatError) -> MNISTReader {
            try MNISTReader(
                images: InputFile(disk: files.images, digests: search.digests),
                labels: InputFile(disk: files.labels, digests: search.digests))
        }
        let transpose = options.transpose ?? variant.storesTransposed
        let (classes, offset) = (variant.classCount, variant.labelOffset)
        var passes: [ConversionPass] = []
        var shape = [28, 28, 1]
        for split in MNISTDataset.Split.allCases {
            guard let files = dataset.splits[split] else { continue }
            let first = try reading { () throws(FormatError) in try reader(files) }
            shape = transpose ? [first.columns, first.rows, 1] : [first.rows, first.columns, 1]
            passes.append(
                ConversionPass(
                    label: split.rawValue, splits: [split.rawValue],
                    counts: { () throws(DatasetError) in [first.count] }, countIsCheap: true,
                    canSkip: true,
                    open: { skip throws(DatasetError) in
                        chainedPull(
                            [files.images], skip: skip,
                            open: { _ throws(FormatError) in try reader(files) },
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
        var plan = ConversionPlan(
            passes: passes,
            features: [
                ("image", .image(shape: shape, encoding: encoding)),
                ("label", .classLabel(count: classes, names: variant.classNames)),
            ],
            supervisedKeys: ("image", "label"),
            description: "\(variant.longName) converted by shardkit from \(folder.lastPathComponent)",
            metadata: metadata)
        plan.finishInputs = { () throws(DatasetError) in
            try search.metadata(strict: options.strictInputs, quiet: options.quiet)
        }
        return plan
    }

    /// `--input` for idx files, which the authors ship as four `.gz` files (no archive): the
    /// folder holding them, one of the files (its folder is read), or the folder above (the one
    /// subfolder holding idx files; several are refused, listed). Returns the folder.
    static func resolveInput(_ options: ConvertOptions, format: DatasetFormat) throws(DatasetError)
        -> (URL, InputSearch)
    {
        let search = InputSearch(options.input, format: format)
        let forms = "the folder of idx files, one of them, or the folder above"
        func holdsIDX(_ folder: URL) -> Bool {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.contains { $0.contains("idx1-ubyte") || $0.contains("idx3-ubyte") }
        }
        var folder = search.input
        if search.isFile(folder) {
            search.note("\(folder.path): one of the idx files (…-images-idx3-ubyte[.gz], …-labels-idx1-ubyte[.gz])")
            guard folder.lastPathComponent.contains("-ubyte") else {
                throw search.refusal("not an idx file", forms: forms)
            }
            folder = folder.deletingLastPathComponent()
        }
        search.note("…-images-idx3-ubyte[.gz] and …-labels-idx1-ubyte[.gz] in \(folder.path)")
        if !holdsIDX(folder) {
            search.note("a subfolder of \(folder.path) holding them")
            let below = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted(by: bytewise)
                .map { folder.appendingPathComponent($0) }.filter { search.isFolder($0) && holdsIDX($0) }
            guard below.count == 1 else {
                let several = below.map(\.lastPathComponent).joined(separator: ", ")
                throw search.refusal(
                    below.isEmpty ? "no idx files" : "idx files in several subfolders (\(several)): pass one",
                    forms: forms)
            }
            folder = below[0]
        }
        return (folder, search)
    }

    /// The idx dataset `format` names; for `emnist`, the set `--subset` names, or else the one
    /// EMNIST set whose files the folder holds.
    private static func variant(of format: DatasetFormat, _ options: ConvertOptions, folder: URL)
        throws(DatasetError) -> MNISTVariant
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
        let prefixes = try reading { () throws(FormatError) in try MNISTDataset.prefixes(in: folder) }
        let subsets = EMNISTSubset.allCases.filter { prefixes.contains("emnist-\($0.rawValue)-") }
        guard subsets.count == 1 else {
            throw DatasetError(
                subsets.isEmpty ? .noInput : .usage, path: folder.path,
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
