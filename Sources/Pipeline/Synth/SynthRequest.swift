internal import ShardKitSupport
public import Shards
public import Foundation
public import Imaging
public import Synth

/// Everything `shardkit synth` needs: where the digits are, what to make, where to write it.
public struct SynthRequest: Sendable {
    /// An MNIST-format folder with a train and a test split.
    public var digits: URL
    /// The dataset folder to write; it must not hold a dataset already.
    public var output: URL
    /// Strings in the train split (drawn from the train digits) and the test split (test digits).
    public var trainCount: Int
    /// Strings in the test split (0 for none).
    public var testCount: Int
    /// Layout, length distribution, canvas and seed.
    public var configuration: DigitStringSynthesizer.Configuration
    /// Shards per split.
    public var shards: Int
    /// Threads making records; the output does not depend on it.
    public var jobs: Int
    /// How the `image` feature holds the pixels (raw bytes by default, as the SVHN conversion).
    public var imageEncoding: ImageEncoding
    /// Dataset name in shard file names and the manifest.
    public var name: String
    /// Applied to each string `copies` times, with draws keyed by (seed, split/index/copy).
    public var augment: AugmentSpec?
    /// Records per string in the augmented splits, each augmented on its own.
    public var copies: Int
    /// A contact sheet of the first `previewCount` train records, written before the shards.
    public var preview: URL?
    /// Records on the preview sheet.
    public var previewCount: Int
    /// No progress lines on standard error.
    public var quiet: Bool
    /// This process is one worker of several (see `ConvertOptions.worker`).
    public var worker: WorkerSlot? = nil
    /// Take over a killed run's staging and write only the shards it lacks.
    public var resume = false
    /// Replace a dataset already in `output` (see `ConvertOptions.overwrite`).
    public var overwrite = false
    /// The splits `augment` and `copies` apply to (train only by default).
    public var augmentSplits: Set<String> = ["train"]

    /// A request with the CLI's defaults: 10,000 train and 1,000 test strings, 4 shards per split.
    public init(
        digits: URL, output: URL, trainCount: Int = 10_000, testCount: Int = 1_000,
        configuration: DigitStringSynthesizer.Configuration = .init(), shards: Int = 4, jobs: Int = 1,
        imageEncoding: ImageEncoding = .raw, name: String = "synth", augment: AugmentSpec? = nil, copies: Int = 1,
        preview: URL? = nil, previewCount: Int = 32, quiet: Bool = false
    ) {
        self.digits = digits
        self.output = output
        self.trainCount = trainCount
        self.testCount = testCount
        self.configuration = configuration
        self.shards = shards
        self.jobs = jobs
        self.imageEncoding = imageEncoding
        self.name = name
        self.augment = augment
        self.copies = copies
        self.preview = preview
        self.previewCount = previewCount
        self.quiet = quiet
    }
}
