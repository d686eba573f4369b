internal import ShardKitSupport
import Shards
import Examples
import Formats
import Foundation

/// MNIST idx (also Fashion-MNIST, EMNIST) → `image` (28×28×1) and `label` (int64), as TFDS's
/// `mnist`. Splits `train` and `test`, whichever the folder holds.
enum MNISTConversion {
    static func plan(_ options: ConvertOptions, encoding: ImageEncoding) throws(DatasetError) -> ConversionPlan {
        let (dataset, search) = try resolveInput(options)
        /// A reader over a split's files, hashing them as it reads.
        func reader(_ files: MNISTDataset.Files) throws(FormatError) -> MNISTReader {
            try MNISTReader(
                images: InputFile(disk: files.images, digests: search.digests),
                labels: InputFile(disk: files.labels, digests: search.digests))
        }
        var passes: [ConversionPass] = []
        var shape = [28, 28, 1]
        for split in MNISTDataset.Split.allCases {
            guard let files = dataset.splits[split] else { continue }
            let first = try reading { () throws(FormatError) in try reader(files) }
            shape = [first.rows, first.columns, 1]
            passes.append(
                ConversionPass(
                    label: split.rawValue, splits: [split.rawValue],
                    counts: { () throws(DatasetError) in [first.count] }, countIsCheap: true,
                    canSkip: true,
                    open: { skip throws(DatasetError) in
                        chainedPull(
                            [files.images], skip: skip, open: { _ throws(FormatError) in try reader(files) },
                            map: { sample, file in
                                PendingRecord(
                                    split: 0, path: file.path, index: sample.index, image: .decoded(sample.image),
                                    features: ["label": .int64([Int64(sample.label)])])
                            })
                    }))
        }
        var plan = ConversionPlan(
            passes: passes,
            features: [
                ("image", .image(shape: shape, encoding: encoding)), ("label", .classLabel(count: 10, names: nil)),
            ],
            supervisedKeys: ("image", "label"),
            description:
                "MNIST-style handwritten digits converted by shardkit from \(dataset.directory.lastPathComponent)")
        plan.finishInputs = { () throws(DatasetError) in
            try search.metadata(strict: options.strictInputs, quiet: options.quiet)
        }
        return plan
    }

    /// `--input` for idx files, which the authors ship as four `.gz` files (no archive): the
    /// folder holding them, one of the files (its folder is read), or the folder above (the one
    /// subfolder holding idx files; several are refused, listed).
    static func resolveInput(_ options: ConvertOptions) throws(DatasetError) -> (MNISTDataset, InputSearch) {
        let search = InputSearch(options.input, format: .mnist)
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
        let dataset = try reading { () throws(FormatError) in try MNISTDataset(directory: folder) }
        return (dataset, search)
    }
}
