internal import ShardKitSupport
import Shards
import Examples
import Formats
import Foundation

/// CIFAR-10 / CIFAR-100 binary → `id` ("train_00042"), `image` (32×32×3), `label` (fine label for
/// CIFAR-100) and, for CIFAR-100, `coarse_label`, as TFDS's `cifar10` / `cifar100`.
enum CIFARConversion: FormatRecipe {
    static let words = [
        FormatWord(
            format: .cifar10, input: "cifar-10-binary.tar.gz, or cifar-10-batches-bin/",
            examples: ["shardkit convert cifar10 -i cifar-10-binary.tar.gz -o out/c10 --jobs 2"]),
        FormatWord(
            format: .cifar100, input: "cifar-100-binary.tar.gz, or cifar-100-binary/",
            examples: ["shardkit convert cifar100 --input cifar-100 --output out/c100 --shard-size 64"]),
    ]

    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding)
        throws(DatasetError) -> ConversionPlan
    {
        let variant: CIFARVariant = format == .cifar100 ? .cifar100 : .cifar10
        let (place, search) = try resolveInput(options, variant: variant)
        let splitFiles: [(String, [InputFile])]
        switch variant {
        case .cifar10:
            splitFiles = [
                ("train", (1...5).compactMap { place.file("data_batch_\($0).bin") }),
                ("test", [place.file("test_batch.bin")].compactMap { $0 }),
            ]
        case .cifar100:
            splitFiles = [
                ("train", [place.file("train.bin")].compactMap { $0 }),
                ("test", [place.file("test.bin")].compactMap { $0 }),
            ]
        }
        let names = try reading { () throws(FormatError) in
            try CIFARLabelNames.load(variant: variant) { place.file($0) }
        }
        var passes: [ConversionPass] = []
        for (split, files) in splitFiles where !files.isEmpty {
            passes.append(
                ConversionPass(
                    split: split, files: files, countIsCheap: true,
                    reader: { file throws(FormatError) in try CIFARReader(input: file, variant: variant) },
                    count: { reader throws(FormatError) in
                        if let count = reader.count { return count }
                        var total = 0
                        while try reader.next() != nil { total += 1 }
                        return total
                    },
                    open: { skip throws(DatasetError) in
                        DatasetSource(
                            files, skip: skip,
                            open: { file throws(FormatError) in try CIFARReader(input: file, variant: variant) }
                        ).records(Step(split: split))
                    }))
        }
        var features: [(String, TFDSFeature)] = [
            ("id", .text), ("image", .image(shape: [32, 32, 3], encoding: encoding)),
            ("label", .classLabel(count: variant.classCount, names: names?.names)),
        ]
        if variant == .cifar100 {
            features.append(("coarse_label", .classLabel(count: 20, names: names?.coarseNames)))
        }
        var plan = ConversionPlan(
            passes: passes, spec: DatasetSpec(features: features, supervisedKeys: ("image", "label")),
            description: "\(variant == .cifar10 ? "CIFAR-10" : "CIFAR-100") converted by shardkit")
        plan.finishInputs = { () throws(DatasetError) in
            try search.metadata(strict: options.strictInputs, quiet: options.quiet)
        }
        return plan
    }

    /// The per-sample step: `id` numbers the split's records across its files
    /// (`"train_00042"`, from the sample's position in the source), then the labels.
    struct Step: SampleRecipe {
        var split: String

        func record(_ sourced: SourcedSample<CIFARSample>) throws(DatasetError) -> PendingRecord {
            let sample = sourced.sample
            var features: [String: Feature] = [
                "id": .bytes([Array("\(split)_\(pad5(sourced.ordinal))".utf8)]),
                "label": .int64([Int64(sample.label)]),
            ]
            if let coarse = sample.coarseLabel {
                features["coarse_label"] = .int64([Int64(coarse)])
            }
            return PendingRecord(
                split: 0, path: sourced.file.path, index: sourced.index, key: sourced.key,
                image: .decoded(sample.image), features: features)
        }
    }

    /// `--input` for CIFAR: the tarball as shipped (`cifar-10-binary.tar.gz`,
    /// `cifar-100-binary.tar.gz`), the folder it unpacks to (`cifar-10-batches-bin/`,
    /// `cifar-100-binary/`, under any name), or the folder above that.
    static func resolveInput(_ options: ConvertOptions, variant: CIFARVariant) throws(DatasetError)
        -> (InputPlace, InputSearch)
    {
        let search = InputSearch(options.input)
        let folder = variant == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary"
        let archive = variant == .cifar10 ? "cifar-10-binary.tar.gz" : "cifar-100-binary.tar.gz"
        let data =
            variant == .cifar10
            ? (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"] : ["train.bin", "test.bin"]
        let nameFiles: Set<String> =
            variant == .cifar10 ? ["batches.meta.txt"] : ["fine_label_names.txt", "coarse_label_names.txt"]
        let what = variant == .cifar10 ? "data_batch_1.bin … data_batch_5.bin, test_batch.bin" : "train.bin, test.bin"
        guard
            let place = try search.find(
                folder: folder, archives: [archive], inputMayBeTheFolder: true, what: what,
                keep: { nameFiles.contains($0.fileName) }, holds: { place in data.contains { place.file($0) != nil } })
        else {
            throw search.refusal("no \(variant.rawValue) binary files")
        }
        try search.checkListedArchives(strict: options.strictInputs, quiet: options.quiet)
        return (place, search)
    }

    static func pad5(_ value: Int) -> String {
        let digits = String(value)
        return digits.count >= 5 ? digits : String(repeating: "0", count: 5 - digits.count) + digits
    }
}

extension DatasetFormat {
    /// CIFAR-10's binary batches (`data_batch_1..5.bin`, `test_batch.bin`).
    public static let cifar10 = DatasetFormat(word: "cifar10")
    /// CIFAR-100's binary files (`train.bin`, `test.bin`), fine and coarse labels.
    public static let cifar100 = DatasetFormat(word: "cifar100")
}
