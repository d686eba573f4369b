internal import ShardKitSupport
public import Foundation
public import Imaging
public import RecordIO
public import Shards
public import Formats

/// The settings of `convert folder`.
public struct FolderOptions: Sendable, Equatable {
    /// Resize every image to `size × size` (bilinear); nil keeps each image's size, and the
    /// dataset's image shape is declared `[None, None, C]`.
    public var size: Int?
    /// 1 (gray) or 3 (RGB); nil takes the channels of the first image in path order.
    public var channels: Int?
    /// Leave out and list files that are not readable images instead of failing on the first.
    public var skipCorrupt: Bool

    /// The defaults: images as stored, channels of the first image, fail on the first bad file.
    public init(size: Int? = nil, channels: Int? = nil, skipCorrupt: Bool = false) {
        self.size = size
        self.channels = channels
        self.skipCorrupt = skipCorrupt
    }
}

/// Everything one conversion needs; the CLI fills it from its options.
public struct ConvertOptions: Sendable {
    /// The raw dataset as its authors ship it: a folder (or, for some formats, one file).
    public var input: URL
    /// The dataset folder to write; it must not hold a dataset already.
    public var output: URL
    /// Shard file prefix and dataset name; the format's name when nil.
    public var name: String?
    /// How each split's records are spread over shards (`ShardingPolicy.default`: 128 MiB shards).
    public var sharding: ShardingPolicy
    /// The format's default when nil.
    public var imageEncoding: ImageEncoding?
    /// Whole-file compression of the shards, as TensorFlow's `compression_type` names it.
    public var compression: Compression
    /// Seeds every per-record random choice (SVHN's train/validation assignment).
    public var seed: UInt64
    /// Encoding threads (`init`'s default: the CPUs this process may use); the output does not
    /// depend on it.
    public var jobs: Int
    /// No progress lines on standard error.
    public var quiet: Bool
    /// Whether shards are fsynced before they are renamed (turn off only for scratch output).
    public var durable: Bool
    /// SVHN: skip and count PNGs named in digitStruct.mat but missing.
    public var skipMissing: Bool
    /// SVHN, folder: share of train (+ extra) records that go to `validation`, in [0, 1)
    /// (the CLI's default is the format's `defaultValidationFraction`).
    public var validationFraction: Double
    /// Whether the user chose `validationFraction` (else it is the format's default): a chosen
    /// fraction that leaves the validation split empty is an error; the default one just makes
    /// no validation split, and says so.
    public var validationFractionChosen = false
    /// SVHN: also convert `extra/` into train/validation.
    public var includeExtra: Bool
    /// HWDB: side of the square output images.
    public var size: Int
    /// HWDB: a character dictionary to use instead of building one from train.
    public var dictionary: URL?
    /// Augmentation applied to every image before encoding (recorded in the manifest).
    public var augment: AugmentSpec?
    /// Records written per source record: each an augmentation of its own (1 without `augment`).
    public var copies: Int
    /// The splits `augment` and `copies` apply to (train only by default: a test split stays as
    /// the authors made it).
    public var augmentSplits: Set<String> = ["train"]
    /// This process is one worker of several: it writes its share of the shards in place, with
    /// receipts, and no manifest (`shardkit commit` writes that). Needs a shard count.
    public var worker: WorkerSlot?
    /// Take over a killed run's staging in the output and write only the shards it lacks.
    public var resume: Bool
    /// folder: image size, channels, unreadable files.
    public var folder: FolderOptions
    /// idx formats: transpose every image; nil: the format's way (on for emnist, whose files
    /// store the images transposed).
    public var transpose: Bool?
    /// emnist: which of EMNIST's six sets to convert; nil: the one the folder holds.
    public var emnistSubset: EMNISTSubset?
    /// Fail (exit 65) when an input file's SHA-256 differs from the published checksum of the
    /// official file of its name, instead of warning.
    public var strictInputs: Bool = false
    /// Replace a dataset already in `output` (its files stay until the new one is complete)
    /// instead of failing with `.outputExists`.
    public var overwrite: Bool = false

    /// Options for converting `input` into `output`; every default is the CLI's.
    public init(
        input: URL, output: URL, name: String? = nil, sharding: ShardingPolicy = .default,
        imageEncoding: ImageEncoding? = nil, compression: Compression = .none, seed: UInt64 = 0,
        jobs: Int? = nil, quiet: Bool = false, durable: Bool = true,
        skipMissing: Bool = false, validationFraction: Double = 0.1, includeExtra: Bool = false, size: Int = 64,
        dictionary: URL? = nil, augment: AugmentSpec? = nil, copies: Int = 1, worker: WorkerSlot? = nil,
        resume: Bool = false, folder: FolderOptions = FolderOptions(), transpose: Bool? = nil,
        emnistSubset: EMNISTSubset? = nil
    ) {
        self.folder = folder
        self.transpose = transpose
        self.emnistSubset = emnistSubset
        self.worker = worker
        self.resume = resume
        self.augment = augment
        self.copies = copies
        self.input = input
        self.output = output
        self.name = name
        self.sharding = sharding
        self.imageEncoding = imageEncoding
        self.compression = compression
        self.seed = seed
        self.jobs = jobs ?? AvailableCPUs.count
        self.quiet = quiet
        self.durable = durable
        self.skipMissing = skipMissing
        self.validationFraction = validationFraction
        self.includeExtra = includeExtra
        self.size = size
        self.dictionary = dictionary
    }
}

/// What a conversion did, for the final summary.
public struct ConvertSummary: Sendable {
    /// One written split.
    public struct Split: Sendable, Equatable {
        /// `train`, `validation`, `test`, …
        public var name: String
        /// Records written into the split (by this process, for a worker).
        public var records: Int
        /// Shard files of the split (this process's, for a worker).
        public var shards: Int
        /// Bytes of those shard files.
        public var bytes: Int64
    }

    /// What was converted.
    public var format: DatasetFormat
    /// Where it was written.
    public var output: URL
    /// Splits in the order they were written.
    public var splits: [Split]
    /// Reason → number of source records skipped for it.
    public var skipped: [String: Int]
    /// Wall time of the whole conversion.
    public var seconds: Double
    /// For a worker: which shards it wrote (its summary lists only those).
    public var worker: String? = nil

    /// Records over every split.
    public var totalRecords: Int { splits.reduce(0) { $0 + $1.records } }
    /// Shard bytes over every split.
    public var totalBytes: Int64 { splits.reduce(0) { $0 + $1.bytes } }

    /// A few lines: one per split, then skipped records, then totals and time.
    public func rendered() -> String {
        var lines = [
            worker.map { "\($0); wrote into \(output.path) (run `shardkit commit` once every worker is done)" }
                ?? "converted \(format.rawValue) to \(output.path)"
        ]
        for split in splits {
            lines.append(
                "  \(split.name): \(HumanReadable.count(split.records, "record")) in "
                    + "\(HumanReadable.count(split.shards, "shard")), \(HumanReadable.bytes(split.bytes))")
        }
        if skipped.isEmpty {
            lines.append("  skipped: none")
        } else {
            for (reason, count) in skipped.sorted(by: { $0.key < $1.key }) {
                lines.append("  skipped \(count): \(reason)")
            }
        }
        let rate = seconds > 0 ? Double(totalRecords) / seconds : 0
        lines.append(
            "  total: \(HumanReadable.count(totalRecords, "record")), \(HumanReadable.bytes(totalBytes)) in "
                + String(format: "%.2f s (%.0f records/s)", seconds, rate))
        return lines.joined(separator: "\n")
    }
}
