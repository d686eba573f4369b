import Examples
import Formats
import Foundation
internal import ShardKitSupport
import Shards

/// SVHN format 2, the cropped digits (`*_32x32.mat`) → `image` (32×32×3) and `label` (int64 0–9,
/// the file's 10 read as 0), as TFDS's `svhn_cropped`. The input is a folder holding
/// `train_32x32.mat`, `test_32x32.mat` and optionally `extra_32x32.mat`, each converted to a
/// split of its own name, or a single `.mat` file.
enum SVHNCroppedConversion: FormatRecipe {
    static let words = [
        FormatWord(
            format: .svhnCropped, input: "train_32x32.mat, test_32x32.mat [, extra_32x32.mat]",
            examples: ["shardkit convert svhn-cropped -i svhn -o out/svhn_cropped"]),
    ]

    /// The splits in the order they are written, each from `{split}_32x32.mat`.
    static let splits = ["train", "test", "extra"]
    /// Class names as `label.labels.txt` lists them: the digits.
    static let classNames = (0...9).map(String.init)

    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding)
        throws(DatasetError) -> ConversionPlan
    {
        var passes: [ConversionPass] = []
        let files = try inputFiles(options.input)
        // The MAT reader reads X by positioned windows, not front to back: each file is hashed
        // once the records are written (`finishInputs`), a read of its own.
        let search = InputSearch(options.input)
        for (_, file) in files { search.digests.register(file.standardizedFileURL.path) }
        for (split, file) in files {
            passes.append(
                ConversionPass(
                    label: split, splits: [split],
                    counts: { () throws(DatasetError) in
                        // The header walk and the labels only: X is not inflated.
                        [try reading { () throws(FormatError) in try SVHNCroppedReader(file: file) }.count]
                    },
                    countIsCheap: true,
                    canSkip: true,
                    open: { skip throws(DatasetError) in
                        DatasetSource([file], skip: skip, open: { url throws(FormatError) in try SVHNCroppedReader(file: url) })
                            .records(Step())
                    }))
        }
        var plan = ConversionPlan(
            passes: passes,
            spec: DatasetSpec(
                features: [
                (
                    "image",
                    .image(
                        shape: [SVHNCroppedReader.side, SVHNCroppedReader.side, SVHNCroppedReader.channels],
                        encoding: encoding)
                ),
                ("label", .classLabel(count: 10, names: classNames)),
            ],
            supervisedKeys: ("image", "label")),
            description: "SVHN cropped digits (format 2, 32×32) converted by shardkit")
        plan.finishInputs = { () throws(DatasetError) in
            try search.metadata(strict: options.strictInputs, quiet: options.quiet)
        }
        return plan
    }

    /// The per-sample step: the image as stored and the label (0–9, the file's 10 already read
    /// as 0 by the reader).
    struct Step: SampleRecipe {
        func record(_ sourced: SourcedSample<SVHNCroppedSample>) throws(DatasetError) -> PendingRecord {
            PendingRecord(
                split: 0, path: sourced.file.path, index: sourced.index, key: sourced.key,
                image: .decoded(sourced.sample.image), features: ["label": .int64([Int64(sourced.sample.label)])])
        }
    }

    /// (split, file) pairs: the `{split}_32x32.mat` files a folder holds, or the one file given.
    /// A single file's split is the part of its name before `_32x32.mat` when that names a
    /// split, else `train`.
    static func inputFiles(_ input: URL) throws(DatasetError) -> [(String, URL)] {
        let wanted = splits.map { "\($0)_32x32.mat" }.joined(separator: ", ")
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory)
        guard isDirectory.boolValue else {
            guard input.pathExtension.lowercased() == "mat" else {
                throw DatasetError(
                    .noInput, path: input.path, "not a .mat file or a folder (svhn-cropped looks for \(wanted))")
            }
            let stem = input.deletingPathExtension().lastPathComponent
            let split = splits.first { stem == "\($0)_32x32" } ?? "train"
            return [(split, input)]
        }
        let found = splits.compactMap { split -> (String, URL)? in
            let url = input.appendingPathComponent("\(split)_32x32.mat")
            return FileManager.default.fileExists(atPath: url.path) ? (split, url) : nil
        }
        guard !found.isEmpty else {
            throw DatasetError(
                .noInput, path: input.path, "no SVHN format 2 files in the folder (looked for \(wanted))")
        }
        return found
    }
}

extension DatasetFormat {
    /// SVHN format 2: `train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat` (MAT v5).
    public static let svhnCropped = DatasetFormat(word: "svhn-cropped")
}
