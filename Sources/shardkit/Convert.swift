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
            "Convert a raw dataset (mnist, fashion-mnist, kmnist, emnist, cifar10, cifar100, svhn, hwdb, svhn-cropped, folder) to TFRecord shards.",
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
              mnist     *-idx3-ubyte[.gz] + *-idx1-ubyte[.gz]: their folder, or one of them
              cifar10   cifar-10-binary.tar.gz, or cifar-10-batches-bin/
              cifar100  cifar-100-binary.tar.gz, or cifar-100-binary/
              svhn      train.tar.gz test.tar.gz [extra.tar.gz], or train/ test/ [extra/]
              hwdb      CASIA's *_gnt.zip or their folders, or train/ + test/ of .gnt files
              svhn-cropped  train_32x32.mat, test_32x32.mat [, extra_32x32.mat]
              fashion-mnist, kmnist  as mnist
              emnist    emnist-<set>-{train,test}-{images,labels}-idx…[.gz]
              folder    <class>/*.png|jpg [in train/, validation/ or val/, test/]
            HWDB1.1trn_gnt.zip holds an ALZip archive: the error prints the unalz command.

            The manifest records each input file's SHA-256; official downloads are checked \
            against their published checksums (a warning on mismatch, exit 65 with \
            --strict-inputs).

            svhn: train (+ extra) is divided into train and validation per file name and \
            --seed. hwdb: the character dictionary is written as characters.json. \
            emnist: --subset picks one of EMNIST's six sets when the folder holds \
            several; images are turned upright (--no-transpose keeps them as stored). \
            folder: class names are the folder names; images are stored as they are \
            unless --size, --channels, --augment or another encoding changes them; an \
            unreadable image is an error unless --skip-corrupt.

            Examples:
              shardkit convert mnist --input mnist --output out/mnist --shards 4
              shardkit convert cifar10 -i cifar-10-binary.tar.gz -o out/c10 --jobs 2
              shardkit convert cifar100 --input cifar-100 --output out/c100 --shard-size 64
              shardkit convert svhn --input svhn --output out/svhn --include-extra
              shardkit convert hwdb --input hwdb --output out/hwdb --image-encoding jpeg
              shardkit convert svhn-cropped -i svhn -o out/svhn_cropped
              shardkit convert emnist -i gzip -o out/letters --subset letters
              shardkit convert folder -i notMNIST_small -o out/nm --skip-corrupt
              shardkit convert folder -i photos -o out/p --size 64 --channels 3
              shardkit convert mnist -i mnist -o out/mnist --shards 8 --worker 0/2

            Scaling out: with --shards N, --worker I/N (or a Slurm array / Kubernetes Indexed Job \
            index) writes only worker I's shards, in place, each with a receipt; `shardkit commit \
            DIR` then writes the manifest. The result is byte-identical whatever the worker count. \
            --resume continues a one-process run that was killed.
            """)

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

    @Option(
        help:
            "svhn, folder: share of train (+ extra) records that go to the validation split, in [0, 1) (default: svhn 0.1, folder 0)."
    )
    var validationFraction: Double?

    @Flag(help: "svhn: also convert extra/ into train and validation.")
    var includeExtra = false

    @Option(help: "hwdb, folder: side of the square output images (default: hwdb 64; folder: as stored).")
    var size: Int?

    @Option(help: "folder: 1 (gray) or 3 (RGB) channels (default: the first image's).")
    var channels: Int?

    @Flag(help: "folder: leave out and list files that are not readable images, instead of failing.")
    var skipCorrupt = false

    @Flag(
        inversion: .prefixedNo,
        help: "mnist, fashion-mnist, kmnist, emnist: transpose every image (default: on for emnist only).")
    var transpose: Bool?

    @Option(help: "emnist: the set (\(EMNISTSubset.allCases.map(\.rawValue).joined(separator: ", "))).")
    var subset: EMNISTSubset?

    @Option(help: "hwdb: character dictionary JSON to use instead of building one from train/.")
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
        let idxFormats: [DatasetFormat] = [.mnist, .fashionMNIST, .kmnist, .emnist]
        for (used, option, formats) in [
            (skipMissing, "--skip-missing", [DatasetFormat.svhn]), (includeExtra, "--include-extra", [.svhn]),
            (validationFraction != nil, "--validation-fraction", [.svhn, .folder]),
            (size != nil, "--size", [.hwdb, .folder]),
            (dictionary != nil, "--dictionary", [.hwdb]), (channels != nil, "--channels", [.folder]),
            (skipCorrupt, "--skip-corrupt", [.folder]), (transpose != nil, "--transpose", idxFormats),
            (subset != nil, "--subset", [.emnist]),
        ] where used && !formats.contains(format) {
            throw ValidationError(
                "\(option) applies to \(formats.map(\.rawValue).joined(separator: ", ")) only, not \(format.rawValue)")
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
