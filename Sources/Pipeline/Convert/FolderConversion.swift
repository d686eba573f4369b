import Dispatch
import Examples
import Formats
import Foundation
import Imaging
internal import ShardKitSupport
import Shards

/// Any folder of images with one subfolder per class (`Formats.ImageFolder`) → `image`,
/// `label` (the class folder's index, names from the folder names) and `filename` (the path
/// relative to the input), as TFDS's `image_folder` builder has them. One pass per split
/// folder; without split folders everything is `train`, and `--validation-fraction` routes a
/// seeded share of train to `validation` per file (the key is the file's relative path, as SVHN's
/// routing keys on its file names), so the division never depends on order or `--jobs`.
///
/// Images are read and decoded by the encoding workers (`FolderImageFile`). The image
/// shape is declared from the options alone, so that every worker of a scaled-out run declares
/// the same one: `[S, S, C]` with `--size S`, else `[None, None, C]` (each image keeps its size);
/// `C` is `--channels`, else the first image's (in path order), and images with other channels
/// are converted to it.
enum FolderConversion: FormatRecipe {
    /// The skip reason of files left out by `--skip-corrupt`.
    static let unreadableReason = "not a readable image (--skip-corrupt)"

    static let words = [
        FormatWord(
            format: .folder, input: "<class>/*.png|jpg [in train/, validation/ or val/, test/]",
            examples: [
                "shardkit convert folder -i notMNIST_small -o out/nm --skip-corrupt",
                "shardkit convert folder -i photos -o out/p --size 64 --channels 3",
            ],
            note:
                "class names are the folder names; images are stored as they are unless --size, --channels, --augment or another encoding changes them; an unreadable image is an error unless --skip-corrupt.",
            options: [.validationFraction, .size, .channels, .skipCorrupt]),
    ]

    static func fingerprint(_ options: ConvertOptions, format: DatasetFormat) -> [String: String] {
        [
            "validation fraction": String(options.validationFraction),
            "size": options.folder.size.map(String.init) ?? "as stored",
            "channels": options.folder.channels.map(String.init) ?? "the first image's",
            "skip corrupt": String(options.folder.skipCorrupt),
        ]
    }

    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding)
        throws(DatasetError) -> ConversionPlan
    {
        let settings = options.folder
        if let channels = settings.channels, channels != 1 && channels != 3 {
            throw DatasetError(.usage, "--channels must be 1 or 3, not \(channels)")
        }
        if let size = settings.size, size < 1 { throw DatasetError(.usage, "--size must be at least 1") }
        if encoding == .raw && settings.size == nil {
            throw DatasetError(
                .usage, "--image-encoding raw needs --size: raw pixels carry no shape, and folder images differ in size"
            )
        }
        let folder = try reading { () throws(FormatError) in try ImageFolder(directory: options.input) }
        let fraction = options.validationFraction
        if fraction > 0 {
            if folder.splits.contains(where: { $0.name == "validation" }) {
                throw DatasetError(
                    .usage, path: options.input.path,
                    "--validation-fraction with a validation folder: the folder already gives the validation split")
            }
            if !folder.splits.contains(where: { $0.name == "train" }) {
                throw DatasetError(
                    .usage, path: options.input.path, "--validation-fraction needs a train split to divide")
            }
        }
        var splits = folder.splits
        var unreadable: [String] = []
        if settings.skipCorrupt {
            (splits, unreadable) = try droppingUnreadable(splits, of: folder, jobs: options.jobs, quiet: options.quiet)
        }
        guard let firstFile = splits.lazy.flatMap(\.files).first else {
            throw DatasetError(
                .badInput, path: options.input.path,
                "no readable image: all \(unreadable.count) image files are unreadable")
        }
        let channels: Int
        let channelsFrom: String
        if let given = settings.channels {
            (channels, channelsFrom) = (given, "--channels")
        } else {
            let first = try reading { () throws(FormatError) in try FolderImage.load(path: folder.path(of: firstFile)) }
            (channels, channelsFrom) = (first.image.channels, "the first image, \(firstFile.relativePath)")
        }

        let seed = options.seed
        let size = settings.size
        var passes: [ConversionPass] = []
        for split in splits where !split.files.isEmpty {
            let routed = split.name == "train" && fraction > 0
            let names = routed ? ["train", "validation"] : [split.name]
            let files = split.files
            let step = Step(routed: routed, seed: seed, fraction: fraction, channels: channels, size: size)
            passes.append(
                ConversionPass(
                    label: names.joined(separator: "+"), splits: names,
                    counts: { () throws(DatasetError) in
                        var counts = Array(repeating: 0, count: names.count)
                        for file in files { counts[step.split(of: file.relativePath)] += 1 }
                        return counts
                    },
                    countIsCheap: true,
                    // A routed pass's records of one split are not a run of files: it cannot start midway.
                    canSkip: !routed,
                    open: { skip throws(DatasetError) in
                        // The split's image files are one source whose samples are keyed by their
                        // own files.
                        DatasetSource(
                            [folder.directory], skip: skip,
                            open: { _ throws(FormatError) in ImageFolderReader(folder: folder, files: files) },
                            keyPath: { entry, _ in entry.path }
                        ).records(step)
                    }))
        }
        // Skips are the whole input's, counted here: every worker reports the same ones.
        var skipped: [String: Int] = [:]
        for file in folder.ignored { skipped[file.reason.rawValue, default: 0] += 1 }
        if !unreadable.isEmpty { skipped[unreadableReason] = unreadable.count }
        passes.first?.skips.setUpFront(skipped)

        var metadata = [
            "classes": String(folder.classNames.count),
            "channels": String(channels),
            "channels_from": channelsFrom,
            "size": size.map(String.init) ?? "as stored",
            "layout": folder.hasSplitFolders ? "split folders" : "class folders",
        ]
        if fraction > 0 { metadata["validation_fraction"] = String(fraction) }
        if settings.skipCorrupt {
            metadata["unreadable_files"] = "[" + unreadable.map(JSONText.string).joined(separator: ", ") + "]"
        }
        let side = size ?? -1  // TFDS's unknown dimension
        return ConversionPlan(
            passes: passes,
            spec: DatasetSpec(
                features: [
                ("image", .image(shape: [side, side, channels], encoding: encoding)),
                ("label", .classLabel(count: folder.classNames.count, names: folder.classNames)),
                ("filename", .text),
            ],
            supervisedKeys: ("image", "label")),
            description: "Images in class folders converted by shardkit from \(options.input.lastPathComponent)",
            metadata: metadata)
    }

    /// `--skip-corrupt`: decodes every image once up front, on `jobs` threads, and returns the
    /// splits without the files that do not decode, and those files' relative paths. Knowing
    /// them before the conversion keeps record counts exact (shard counts, workers, resume) and
    /// every worker's list the same. A file that cannot be read at all is still an error.
    private static func droppingUnreadable(
        _ splits: [ImageFolder.Split], of folder: ImageFolder, jobs: Int, quiet: Bool
    )
        throws(DatasetError) -> ([ImageFolder.Split], [String])
    {
        let root = folder.directory.path
        let total = splits.reduce(0) { $0 + $1.files.count }
        let progress = ProgressReporter(
            label: "convert folder/checking images", total: total, quiet: quiet,
            lineInterval: DatasetConverter.lineInterval(total: total))
        var kept: [ImageFolder.Split] = []
        var unreadable: [String] = []
        for split in splits {
            var files: [ImageFolder.File] = []
            let window = 4096
            var start = 0
            while start < split.files.count {
                let batch = Array(split.files[start..<min(split.files.count, start + window)])
                let failures = Failures(count: batch.count)
                let workers = max(1, min(jobs, batch.count))
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var i = worker
                    while i < batch.count {
                        do throws(FormatError) {
                            _ = try FolderImage.load(path: root + "/" + batch[i].relativePath)
                        } catch {
                            failures.errors[i] = error
                        }
                        i += workers
                    }
                }
                for (i, file) in batch.enumerated() {
                    guard let error = failures.errors[i] else {
                        files.append(file)
                        continue
                    }
                    guard error.kind == .decode else { throw DatasetError(error) }
                    unreadable.append(file.relativePath)
                }
                progress.advance(by: batch.count)
                start += window
            }
            kept.append(ImageFolder.Split(name: split.name, files: files))
        }
        progress.finish()
        if !unreadable.isEmpty && !quiet {
            FileHandle.standardError.write(
                Data(
                    "shardkit: leaving out \(HumanReadable.count(unreadable.count, "unreadable image")) (--skip-corrupt; listed in the manifest)\n"
                        .utf8))
        }
        return (kept, unreadable)
    }

    /// The errors of one window of files. `@unchecked Sendable` is safe: slot i is written by
    /// the one worker that owns index i, and read only after `concurrentPerform` returns.
    private final class Failures: @unchecked Sendable {
        var errors: [FormatError?]
        init(count: Int) { errors = Array(repeating: nil, count: count) }
    }
}

extension FolderConversion {
    /// The per-sample step: the split (train, or validation for a seeded share of train keyed by
    /// the relative path), `label` from the class folder, `filename`, and the image file left to
    /// the workers (`FolderImageFile`).
    struct Step: SampleRecipe {
        /// Whether this split is train divided into train and validation.
        var routed: Bool
        var seed: UInt64
        var fraction: Double
        var channels: Int
        var size: Int?

        /// 1 (validation) or 0 (the pass's first split) for the file at `relativePath`.
        func split(of relativePath: String) -> Int {
            routed && isValidation(key: relativePath, seed: seed, fraction: fraction) ? 1 : 0
        }

        func record(_ sourced: SourcedSample<FolderEntry>) throws(DatasetError) -> PendingRecord {
            let entry = sourced.sample
            return PendingRecord(
                split: split(of: entry.relativePath), path: entry.path, index: sourced.index, key: sourced.key,
                image: .deferred(FolderImageFile(path: entry.path, channels: channels)), resizeSide: size,
                features: [
                    "label": .int64([Int64(entry.classIndex)]),
                    "filename": .bytes([Array(entry.relativePath.utf8)]),
                ])
        }
    }
}

/// An image file of a folder dataset, read and decoded on an encoding worker
/// (`FolderImage.load`) and given `channels`. Its bytes are stored as they are when nothing
/// changes them: the same encoding, a plain file (`FolderImage.isPlain`), no channel conversion,
/// no resize, no augmentation engine.
struct FolderImageFile: DeferredImage {
    var path: String
    var channels: Int

    func load(_ request: DeferredImageRequest) throws(DatasetError) -> LoadedImage {
        let file: FolderImage
        do {
            file = try FolderImage.load(path: path)
        } catch {
            var placed = error
            placed.record = request.index
            throw DatasetError(placed)
        }
        let image = file.image.converted(toChannels: channels)
        let sameSize = request.resizeSide.map { $0 == image.height && $0 == image.width } ?? true
        let sameEncoding =
            (file.format == .png && request.encoding == .png) || (file.format == .jpeg && request.encoding == .jpeg)
        let unchanged = file.isPlain && file.image.channels == channels && sameSize && sameEncoding
        return LoadedImage(image: image, original: unchanged && !request.augmenting ? file.bytes : nil)
    }
}

extension DatasetFormat {
    /// Any folder of images with one subfolder per class (optionally inside split folders).
    public static let folder = DatasetFormat(word: "folder")
}
