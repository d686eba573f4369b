import ArgumentParser
import Foundation
import Imaging
import Pipeline
import Shards
import RecordIO

/// `shardkit convert`: a raw dataset (MNIST, CIFAR-10/100, SVHN, HWDB) to TFRecord shards.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a raw dataset (mnist, cifar10, cifar100, svhn, hwdb, svhn-cropped) to TFRecord shards.",
        discussion: """
            Writes {name}-{split}.tfrecord-NNNNN-of-NNNNN shards of tf.train.Example records, an \
            index file per shard, features.json and dataset_info.json (so that \
            tfds.builder_from_directory loads the folder; uncompressed output only) and, last, \
            manifest.json. Nothing is placed in the output directory until every split is \
            complete: a failed run leaves no shard and no manifest. The output is byte-identical \
            whatever --jobs is.

            Input folders:
              mnist     *-images-idx3-ubyte[.gz], *-labels-idx1-ubyte[.gz]
              cifar10   data_batch_1..5.bin, test_batch.bin, batches.meta.txt
              cifar100  train.bin, test.bin, fine/coarse_label_names.txt
              svhn      train/, test/ [, extra/]: digitStruct.mat + PNGs
              hwdb      train/*.gnt, test/*.gnt
              svhn-cropped  train_32x32.mat, test_32x32.mat [, extra_32x32.mat]

            svhn: train (+ extra) is divided into train and validation per file name and \
            --seed. hwdb: the character dictionary is written as characters.json.

            Examples:
              shardkit convert mnist --input mnist --output out/mnist --shards 4
              shardkit convert cifar10 --input cifar-10 --output out/c10 --jobs 2
              shardkit convert cifar100 --input cifar-100 --output out/c100 --shard-size 64
              shardkit convert svhn --input svhn --output out/svhn --include-extra
              shardkit convert hwdb --input hwdb --output out/hwdb --image-encoding jpeg
              shardkit convert svhn-cropped -i svhn -o out/svhn_cropped
              shardkit convert mnist -i mnist -o out/mnist --shards 8 --worker 0/2

            Scaling out: with --shards N, --worker I/N (or a Slurm array / Kubernetes Indexed Job \
            index) writes only worker I's shards, in place, each with a receipt; `shardkit commit \
            DIR` then writes the manifest. The result is byte-identical whatever the worker count. \
            --resume continues a one-process run that was killed.
            """)

    @Argument(help: "The raw format.")
    var format: DatasetFormat

    @Option(name: .shortAndLong, help: "The folder holding the raw dataset (svhn-cropped: or one .mat file).")
    var input: String

    @Option(name: .shortAndLong, help: "Directory to write the shards and metadata into.")
    var output: String

    @Option(help: "Shards per split (default: new shards every 128 MiB).")
    var shards: Int?

    @Option(help: "Start a new shard once the current one holds this many MiB.")
    var shardSize: Double?

    @Option(help: "How `image` is stored (default: png; raw for svhn).")
    var imageEncoding: ImageEncoding?

    @Option(help: "Seed of every per-record random choice (SVHN's validation split).")
    var seed: UInt64 = 0

    @Option(help: "Dataset name in shard file names and metadata (default: the format's name).")
    var name: String?

    @OptionGroup var jobs: JobsOptions

    @Option(help: "Compression of whole shard files, as TensorFlow's compression_type.")
    var compression: Compression = .none

    @Flag(help: "svhn: skip and count PNGs named in digitStruct.mat but missing, instead of failing.")
    var skipMissing = false

    @Option(help: "svhn: share of train (+ extra) records that go to the validation split, in [0, 1) (default: 0.1).")
    var validationFraction: Double?

    @Flag(help: "svhn: also convert extra/ into train and validation.")
    var includeExtra = false

    @Option(help: "hwdb: side of the square grayscale output images (default: 64).")
    var size: Int?

    @Option(help: "hwdb: character dictionary JSON to use instead of building one from train/.")
    var dictionary: String?

    @OptionGroup var augmentation: AugmentationOptions

    @OptionGroup var scaleOut: ScaleOutOptions

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
        if format != .svhn {
            for (used, option) in [
                (skipMissing, "--skip-missing"), (validationFraction != nil, "--validation-fraction"),
                (includeExtra, "--include-extra"),
            ] where used {
                throw ValidationError("\(option) applies to svhn only, not \(format.rawValue)")
            }
        }
        if format != .hwdb {
            for (used, option) in [(size != nil, "--size"), (dictionary != nil, "--dictionary")] where used {
                throw ValidationError("\(option) applies to hwdb only, not \(format.rawValue)")
            }
        }
        if let validationFraction, !(validationFraction >= 0 && validationFraction < 1) {
            throw ValidationError("--validation-fraction must be in [0, 1), not \(validationFraction)")
        }
        if let size, size < 1 || size > 4096 { throw ValidationError("--size must be between 1 and 4096") }
    }

    func run() throws {
        try reportingErrors {
            let options = ConvertOptions(
                input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output), name: name,
                sharding: sharding, imageEncoding: imageEncoding, compression: compression, seed: seed, jobs: jobs.count, quiet: outputOptions.quiet,
                skipMissing: skipMissing, validationFraction: validationFraction ?? 0.1, includeExtra: includeExtra,
                size: size ?? 64, dictionary: dictionary.map { URL(fileURLWithPath: $0) },
                augment: augmentation.augment, copies: augmentation.copies, worker: try scaleOut.slot(),
                resume: scaleOut.resume)
            let summary = try DatasetConverter.convert(format, options: options)
            print(summary.rendered())
        }
    }
}
