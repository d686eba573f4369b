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
enum MNISTConversion: FormatRecipe {
    static let words = [
        FormatWord(
            format: .mnist, input: "*-idx3-ubyte[.gz] + *-idx1-ubyte[.gz]: their folder, or one of them",
            examples: ["shardkit convert mnist --input mnist --output out/mnist --shards 4"],
            options: [.transpose]),
        FormatWord(format: .fashionMNIST, input: "as mnist", options: [.transpose]),
        FormatWord(format: .kmnist, input: "as mnist", options: [.transpose]),
        FormatWord(
            format: .emnist, input: "emnist-<set>-{train,test}-{images,labels}-idx…[.gz]",
            examples: ["shardkit convert emnist -i gzip -o out/letters --subset letters"],
            note:
                "--subset picks one of EMNIST's six sets when the folder holds several; images are turned upright (--no-transpose keeps them as stored).",
            options: [.transpose, .subset]),
    ]

    static func fingerprint(_ options: ConvertOptions, format: DatasetFormat) -> [String: String] {
        var pairs: [String: String] = [:]
        if let transpose = options.transpose { pairs["transpose"] = String(transpose) }
        if let subset = options.emnistSubset { pairs["emnist subset"] = subset.rawValue }
        return pairs
    }

    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding) throws(DatasetError)
        -> ConversionPlan
    {
        let (place, search) = try resolveInput(options)
        let folder = URL(fileURLWithPath: place.path)
        let names = place.files { _ in true }.map(\.name)
        let variant = try variant(of: format, options, names: names, folder: folder)
        let dataset = try reading { () throws(FormatError) in
            try MNISTDataset(names: names, in: folder, prefix: variant.filePrefix)
        }
        /// A reader over a split's files (on disk, hashed as they are read; or entries of a zip,
        /// hashed as part of it), each gunzipped as a stream.
        func reader(_ files: MNISTDataset.Files) throws(FormatError) -> MNISTReader {
            func file(_ url: URL) throws(FormatError) -> InputFile {
                guard let file = place.file(url.lastPathComponent) else {
                    throw FormatError(.missingFile, path: url.path, "cannot open: No such file or directory")
                }
                return file
            }
            return try MNISTReader(images: file(files.images), labels: file(files.labels))
        }
        let transpose = options.transpose ?? variant.storesTransposed
        func step(labels: URL) -> Step {
            Step(
                transpose: transpose, variant: variant, classes: variant.classCount, offset: variant.labelOffset,
                labelsPath: labels.path)
        }
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
                        DatasetSource([files.images], skip: skip, open: { _ throws(FormatError) in try reader(files) })
                            .records(step(labels: files.labels))
                    }))
        }
        let (classes, offset) = (variant.classCount, variant.labelOffset)
        var metadata: [String: String] = [:]
        if variant != .mnist {
            metadata["classes"] = String(classes)
            metadata["transposed"] = String(transpose)
            if case .emnist(let subset) = variant { metadata["emnist_subset"] = subset.rawValue }
            if offset != 0 { metadata["label_offset"] = "stored label − \(offset)" }
        }
        var plan = ConversionPlan(
            passes: passes,
            spec: DatasetSpec(
                features: [
                ("image", .image(shape: shape, encoding: encoding)),
                ("label", .classLabel(count: classes, names: variant.classNames)),
            ],
            supervisedKeys: ("image", "label")),
            description: "\(variant.longName) converted by shardkit from \(folder.lastPathComponent)",
            metadata: metadata)
        plan.finishInputs = { () throws(DatasetError) in
            try search.metadata(strict: options.strictInputs, quiet: options.quiet)
        }
        return plan
    }

    /// The per-sample step: the label moved by the variant's offset and checked against its
    /// classes, the image as stored or transposed.
    struct Step: SampleRecipe {
        /// Whether images are turned (EMNIST stores them transposed).
        var transpose: Bool
        var variant: MNISTVariant
        /// The variant's class count and label offset, worked out once (not per record).
        var classes: Int
        var offset: Int
        /// The labels file, named by a label out of range.
        var labelsPath: String

        func record(_ sourced: SourcedSample<MNISTSample>) throws(DatasetError) -> PendingRecord {
            let sample = sourced.sample
            let label = sample.label - offset
            guard label >= 0 && label < classes else {
                throw DatasetError(
                    .badInput, path: labelsPath, recordIndex: sourced.index,
                    "label \(sample.label) is not one of \(variant.name)'s (expected \(offset)…\(classes - 1 + offset))")
            }
            return PendingRecord(
                split: 0, path: sourced.file.path, index: sourced.index, key: sourced.key,
                image: .decoded(transpose ? sample.image.transposed() : sample.image),
                features: ["label": .int64([Int64(label)])])
        }
    }

    /// `--input` for idx files, which the authors ship as four `.gz` files (MNIST, Fashion-MNIST,
    /// KMNIST) or in one zip (EMNIST's `gzip.zip`, its `gzip/` folder holding every set): the
    /// folder holding the files, one of the files (its folder is read), the zip, or the folder
    /// above (the one subfolder holding idx files, else a `gzip.zip`; several subfolders are
    /// refused, listed). Returns the place of the files.
    static func resolveInput(_ options: ConvertOptions) throws(DatasetError)
        -> (InputPlace, InputSearch)
    {
        let search = InputSearch(options.input)
        let forms = "the folder of idx files, one of them, EMNIST's gzip.zip, or the folder above"
        func isIDX(_ name: String) -> Bool { name.contains("idx1-ubyte") || name.contains("idx3-ubyte") }
        func holdsIDX(_ folder: URL) -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).contains(where: isIDX)
        }
        /// The one folder of `zip` holding idx entries (at its top, or `gzip/` as shipped).
        func idxPlace(in zip: URL) throws(DatasetError) -> InputPlace {
            guard let archive = try search.archive(zip) else {
                throw search.refusal("not an idx file or zip", forms: forms)
            }
            let folders = Set(
                archive.entries.filter { isIDX($0.fileName) }.map { String($0.name.dropLast($0.fileName.count)) })
            guard folders.count == 1, let prefix = folders.first else {
                throw search.refusal(
                    folders.isEmpty
                        ? "no idx files in \(zip.lastPathComponent)"
                        : "idx files in several folders of \(zip.lastPathComponent) (\(folders.sorted().joined(separator: ", ")))",
                    forms: forms)
            }
            try search.checkListedArchives(strict: options.strictInputs, quiet: options.quiet)
            return InputPlace(storage: .archive(archive, prefix: prefix), digests: search.digests)
        }
        var folder = search.input
        if search.isFile(folder) {
            if ArchiveFile.kind(of: ArchiveFile.leadingBytes(ofFileAt: folder.path)) == .zip {
                search.note("\(folder.path): a zip holding idx files (EMNIST's gzip.zip)")
                return (try idxPlace(in: folder), search)
            }
            search.note("\(folder.path): one of the idx files (…-images-idx3-ubyte[.gz], …-labels-idx1-ubyte[.gz])")
            guard folder.lastPathComponent.contains("-ubyte") else {
                throw search.refusal("not an idx file or zip", forms: forms)
            }
            folder = folder.deletingLastPathComponent()
        }
        search.note("…-images-idx3-ubyte[.gz] and …-labels-idx1-ubyte[.gz] in \(folder.path)")
        if !holdsIDX(folder) {
            search.note("a subfolder of \(folder.path) holding them")
            let below = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted(by: bytewise)
                .map { folder.appendingPathComponent($0) }.filter { search.isFolder($0) && holdsIDX($0) }
            let zip = folder.appendingPathComponent("gzip.zip")
            if below.isEmpty {
                search.note(zip.path)
                if search.isFile(zip) { return (try idxPlace(in: zip), search) }
            }
            guard below.count == 1 else {
                let several = below.map(\.lastPathComponent).joined(separator: ", ")
                throw search.refusal(
                    below.isEmpty ? "no idx files" : "idx files in several subfolders (\(several)): pass one",
                    forms: forms)
            }
            folder = below[0]
        }
        return (search.folder(folder), search)
    }

    /// The idx dataset `format` names; for `emnist`, the set `--subset` names, or else the one
    /// EMNIST set whose files the folder holds.
    private static func variant(of format: DatasetFormat, _ options: ConvertOptions, names: [String], folder: URL)
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
        let prefixes = MNISTDataset.prefixes(names: names)
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

extension DatasetFormat {
    /// MNIST's idx files (`*-images-idx3-ubyte[.gz]`, `*-labels-idx1-ubyte[.gz]`).
    public static let mnist = DatasetFormat(word: "mnist")
    /// Fashion-MNIST's idx files.
    public static let fashionMNIST = DatasetFormat(word: "fashion-mnist")
    /// Kuzushiji-MNIST's idx files.
    public static let kmnist = DatasetFormat(word: "kmnist")
    /// EMNIST's idx files (one of its six sets).
    public static let emnist = DatasetFormat(word: "emnist")
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
