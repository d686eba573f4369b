import ArgumentParser
import Foundation
import Imaging
import Pipeline
import Shards
import Synth

/// `shardkit synth`: multi-digit strings from an MNIST-format digit set, as shards.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write shards of synthesized multi-digit strings made from an MNIST-format digit set.",
        discussion: """
            The train split draws digits only from the digit set's train file, the test split \
            only from its test file. Records have the SVHN schema: `image` (raw HxWxC bytes, or \
            PNG; gray unless --channels 3), `length` (int64) and `digits` (five int64, 10 = no \
            digit). The same arguments give the same bytes, whatever --jobs. See \
            formats/digit-strings.md.

            Examples:
              shardkit synth --digits Fixtures/digits --output /tmp/strings --count 10000
              shardkit synth --digits mnist -o /tmp/fixed --layout fixed --lengths 1:1,5:4
              shardkit synth --digits mnist --output /tmp/aug --augment crop=54,resize=64
              shardkit synth --digits mnist --output /tmp/strings --preview preview.png
            """)

    @Option(help: "Folder of MNIST-format idx files (train and test, plain or .gz).")
    var digits: String

    @Option(name: .shortAndLong, help: "Directory to write the shards and manifest.json into.")
    var output: String

    @Option(help: "Strings in the train split.")
    var count: Int = 10_000

    @Option(help: "Strings in the test split (0: no test split).")
    var testCount: Int = 1_000

    @Option(help: "Longest string, 1 to 5 (the digits feature has five slots).")
    var maxLength: Int = 5

    @Option(
        help: "Length weights, e.g. 1:1,2:1,3:2,4:2,5:4, or uniform: each length from 1 to --max-length equally often.")
    var lengths: String = "uniform"

    @Option(help: "free (random spacing, jitter and scale, fitted to --size) or fixed (28x28 slots side by side).")
    var layout: DigitLayout = .free

    @Option(help: "Canvas of the free layout: N for NxN, or HxW.")
    var size: String = "64"

    @Option(
        help:
            "1 (gray, as the source digits; a third of the bytes) or 3 (the gray value in R, G and B, the shape of SVHN's images; the trainer reads either)."
    )
    var channels: Int = 1

    @Option(help: "Seed of every random draw.")
    var seed: UInt64 = 0

    @Option(help: "Shards per split.")
    var shards: Int = 4

    @OptionGroup var jobs: JobsOptions

    @Option(help: "raw (HxWxC bytes), png or jpeg (quality 95).")
    var imageEncoding: ImageEncoding = .raw

    @Option(help: "Dataset name used in shard file names.")
    var name: String = "synth"

    @Option(help: "Write a contact sheet of the first --preview-count train records to this PNG file.")
    var preview: String?

    @Option(help: "Records on the preview sheet.")
    var previewCount: Int = 32

    @OptionGroup var augmentation: AugmentationOptions

    @OptionGroup var datasetOutput: DatasetOutputOptions

    @OptionGroup var outputOptions: OutputOptions

    @OptionGroup var scaleOut: ScaleOutOptions

    func validate() throws {
        guard count >= 0, testCount >= 0, count + testCount > 0 else {
            throw ValidationError("--count and --test-count must be 0 or more, and not both 0")
        }
        guard (1...5).contains(maxLength) else {
            throw ValidationError("--max-length must be 1 to 5 (the digits feature has five slots), not \(maxLength)")
        }
        do { _ = try LengthDistribution(parsing: lengths, maxLength: maxLength) } catch {
            throw ValidationError("--lengths: \(error.message)")
        }
        guard parsedSize != nil else { throw ValidationError("--size must be N or HxW with numbers from 1 to 4096") }
        if let problem = ShardingPolicy.shards(shards).problem { throw ValidationError("--shards: \(problem)") }
        guard channels == 1 || channels == 3 else { throw ValidationError("--channels must be 1 or 3") }
        guard previewCount >= 1 else { throw ValidationError("--preview-count must be at least 1") }
    }

    private var parsedSize: (Int, Int)? {
        let parts = size.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard (1...2).contains(parts.count), let h = parts[0], let w = parts.last!, (1...4096).contains(h),
            (1...4096).contains(w)
        else { return nil }
        return (h, w)
    }

    func run() throws {
        HeapPolicy.applyForStreaming()
        try reportingErrors {
            let (height, width) = parsedSize!
            var request = SynthRequest(
                digits: URL(fileURLWithPath: digits), output: URL(fileURLWithPath: output), trainCount: count,
                testCount: testCount,
                configuration: .init(
                    maxLength: maxLength, lengths: try LengthDistribution(parsing: lengths, maxLength: maxLength),
                    layout: layout, height: height, width: width, channels: channels,
                    seed: seed),
                shards: shards, jobs: jobs.count, imageEncoding: imageEncoding,
                name: name, augment: augmentation.augment, copies: augmentation.copies,
                preview: preview.map { URL(fileURLWithPath: $0) }, previewCount: previewCount,
                quiet: outputOptions.quiet)
            request.worker = try scaleOut.slot()
            request.resume = scaleOut.resume
            request.overwrite = datasetOutput.overwrite
            request.augmentSplits = augmentation.splits
            print(try SynthWriter.write(request))
        }
    }
}
