import ArgumentParser
import Formats
import Foundation
import Imaging
import Pipeline
import Shards
import RecordIO

/// `shardkit convert`: a raw dataset (MNIST and its kin, CIFAR-10/100, SVHN, HWDB, any image
/// folder) to TFRecord shards.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Convert a raw dataset (\(DatasetFormat.allCases.map(\.rawValue).joined(separator: ", "))) to TFRecord shards.",
        discussion: """
            Writes {name}-{split}.tfrecord-NNNNN-of-NNNNN shards of tf.train.Example records, an \
            index file per shard, features.json and dataset_info.json (so that \
            tfds.builder_from_directory loads the folder; uncompressed output only) and, last, \
            manifest.json. Nothing is placed in the output directory until every split is \
            complete: a failed run leaves no shard and no manifest. The output is byte-identical \
            whatever --jobs is. An output that holds a dataset is refused (exit 73) unless \
            --overwrite: the old dataset then stays intact until the new one is complete.

            --input: the archive as shipped, the folder it unpacks to, or the folder above \
            (archives are streamed; nothing is unpacked to disk):
            \(inputTable)

            The manifest records each input file's SHA-256; official downloads are checked \
            against their published checksums (a warning on mismatch, exit 65 with \
            --strict-inputs).

            \(notes)

            Examples:
            \(examples)

            Scaling out: with --shards N, --worker I/N (or a Slurm array / Kubernetes Indexed Job \
            index) writes only worker I's shards, in place, each with a receipt; `shardkit commit \
            DIR` then writes the manifest. The result is byte-identical whatever the worker count. \
            --resume continues a one-process run that was killed.
            """)

    /// `--input`'s table, a line per format from the registry (formats whose inputs read
    /// alike share a line: "fashion-mnist, kmnist  as mnist").
    static var inputTable: String {
        var rows: [(words: [String], input: String)] = []
        for format in DatasetFormat.allCases {
            if let last = rows.last, last.input == format.inputHelp {
                rows[rows.count - 1].words.append(format.rawValue)
            } else {
                rows.append(([format.rawValue], format.inputHelp))
            }
        }
        return rows.map { row in
            let words = row.words.joined(separator: ", ")
            return "  " + words + String(repeating: " ", count: max(2, 10 - words.count)) + row.input
        }.joined(separator: "\n")
    }

    /// One paragraph: each format's note, after its word.
    static var notes: String {
        DatasetFormat.allCases.compactMap { format in format.note.map { "\(format.rawValue): \($0)" } }
            .joined(separator: " ")
    }

    /// The formats' examples, then one of scaling out.
    static var examples: String {
        (DatasetFormat.allCases.flatMap(\.examples) + ["shardkit convert mnist -i mnist -o out/mnist --shards 8 --worker 0/2"])
            .map { "  " + $0 }.joined(separator: "\n")
    }

    /// The formats that take `option`, as help and errors name them ("hwdb, folder").
    static func formats(taking option: FormatOption) -> String {
        DatasetFormat.allCases.filter { $0.takes(option) }.map(\.rawValue).joined(separator: ", ")
    }

    /// The formats whose default differs from the common one, as "raw for svhn".
    static var imageEncodingDefault: String {
        let others = DatasetFormat.allCases.filter { $0.defaultImageEncoding != .png }
        return (["png"] + others.map { "\($0.defaultImageEncoding.rawValue) for \($0.rawValue)" }).joined(separator: "; ")
    }

    /// Each format that takes `--validation-fraction` with its default, as "svhn 0.1, folder 0".
    static var validationFractionDefault: String {
        DatasetFormat.allCases.filter { $0.takes(.validationFraction) }
            .map { format in
                let fraction = format.defaultValidationFraction
                return "\(format.rawValue) \(fraction == fraction.rounded() ? String(Int(fraction)) : String(fraction))"
            }.joined(separator: ", ")
    }

    @Argument(help: "The raw format.")
    var format: DatasetFormat

    @Option(
        name: .shortAndLong,
        help: "The dataset as shipped: its archive (.tar.gz, .zip), the folder it unpacks to, or the folder above.")
    var input: String

    @Option(name: .shortAndLong, help: "Directory to write the shards and metadata into.")
    var output: String

    @Option(help: "Shards per split (default: new shards every 128 MiB).")
    var shards: Int?

    @Option(help: "Start a new shard once the current one holds this many MiB.")
    var shardSize: Double?

    @Option(help: "How `image` is stored (default: \(Convert.imageEncodingDefault)).")
    var imageEncoding: ImageEncoding?

    @Option(help: "Seed of every per-record random choice (SVHN's validation split).")
    var seed: UInt64 = 0

    @Option(help: "Dataset name in shard file names and metadata (default: the format's name).")
    var name: String?

    @OptionGroup var jobs: JobsOptions

    @Option(help: "Compression of whole shard files, as TensorFlow's compression_type.")
    var compression: Compression = .none

    @Flag(help: "\(Convert.formats(taking: .skipMissing)): skip and count PNGs named in digitStruct.mat but missing, instead of failing.")
    var skipMissing = false

    @Option(
        help:
            "\(Convert.formats(taking: .validationFraction)): share of train (+ extra) records that go to the validation split, in [0, 1) (default: \(Convert.validationFractionDefault))."
    )
    var validationFraction: Double?

    @Flag(help: "\(Convert.formats(taking: .includeExtra)): also convert extra/ into train and validation.")
    var includeExtra = false

    @Option(help: "\(Convert.formats(taking: .size)): side of the square output images (default: hwdb 64; folder: as stored).")
    var size: Int?

    @Option(help: "\(Convert.formats(taking: .channels)): 1 (gray) or 3 (RGB) channels (default: the first image's).")
    var channels: Int?

    @Flag(help: "\(Convert.formats(taking: .skipCorrupt)): leave out and list files that are not readable images, instead of failing.")
    var skipCorrupt = false

    @Flag(
        inversion: .prefixedNo,
        help: "\(Convert.formats(taking: .transpose)): transpose every image (default: on for emnist only).")
    var transpose: Bool?

    @Option(help: "\(Convert.formats(taking: .subset)): the set (\(EMNISTSubset.allCases.map(\.rawValue).joined(separator: ", "))).")
    var subset: EMNISTSubset?

    @Option(help: "\(Convert.formats(taking: .dictionary)): character dictionary JSON to use instead of building one from train/.")
    var dictionary: String?

    @Flag(
        help: """
            Fail (exit 65) when an input file's SHA-256 differs from the published checksum of the official \
            file of its name, instead of warning.
            """)
    var strictInputs = false

    @OptionGroup var augmentation: AugmentationOptions

    @OptionGroup var scaleOut: ScaleOutOptions

    @OptionGroup var datasetOutput: DatasetOutputOptions

    @OptionGroup var outputOptions: OutputOptions

    /// The policy the flags ask for (`ShardingPolicy.default` without either).
    var sharding: ShardingPolicy {
        if let shards { return .shards(shards) }
        if let shardSize { return .shardBytes(Int64((shardSize * 1_048_576).rounded())) }
        return .default
    }

    func validate() throws {
        if shards != nil && shardSize != nil { throw ValidationError("use either --shards or --shard-size, not both") }
        if let problem = sharding.problem { throw ValidationError("--\(shards != nil ? "shards" : "shard-size"): \(problem)") }
        for (used, option) in [
            (skipMissing, FormatOption.skipMissing), (includeExtra, .includeExtra),
            (validationFraction != nil, .validationFraction), (size != nil, .size), (dictionary != nil, .dictionary),
            (channels != nil, .channels), (skipCorrupt, .skipCorrupt), (transpose != nil, .transpose),
            (subset != nil, .subset),
        ] where used && !format.takes(option) {
            throw ValidationError(
                "\(option.rawValue) applies to \(Self.formats(taking: option)) only, not \(format.rawValue)")
        }
        if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 or 3") }
        if let validationFraction, !(validationFraction >= 0 && validationFraction < 1) {
            throw ValidationError("--validation-fraction must be in [0, 1), not \(validationFraction)")
        }
        if let size, size < 1 || size > 4096 { throw ValidationError("--size must be between 1 and 4096") }
    }

    func run() throws {
        HeapPolicy.applyForStreaming()
        try reportingErrors {
            let options = ConvertOptions(
                input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output), name: name,
                sharding: sharding, imageEncoding: imageEncoding, compression: compression, seed: seed, jobs: jobs.count, quiet: outputOptions.quiet,
                skipMissing: skipMissing, validationFraction: validationFraction ?? format.defaultValidationFraction,
                includeExtra: includeExtra, size: size ?? 64, dictionary: dictionary.map { URL(fileURLWithPath: $0) },
                augment: augmentation.augment, copies: augmentation.copies, worker: try scaleOut.slot(),
                resume: scaleOut.resume,
                folder: FolderOptions(size: size, channels: channels, skipCorrupt: skipCorrupt), transpose: transpose,
                emnistSubset: subset)
            var withSplits = options
            withSplits.augmentSplits = augmentation.splits
            withSplits.validationFractionChosen = validationFraction != nil
            withSplits.strictInputs = strictInputs
            withSplits.overwrite = datasetOutput.overwrite
            let summary = try DatasetConverter.convert(format, options: withSplits)
            print(summary.rendered())
        }
    }
}
