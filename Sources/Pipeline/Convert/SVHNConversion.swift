internal import ShardKitSupport
import Shards
import Examples
import Formats
import Foundation
import Imaging

/// SVHN format 1 (`train/`, `test/`, optionally `extra/`, each digitStruct.mat + PNGs) → records
/// with `image` (64×64×3 crop), `length`, `digits` (five, 10 = none), the original boxes
/// (`bbox/left|top|width|height|label`, label as the digit 0–9) and `filename` ("train/1.png").
/// train (+ extra) is divided into train and validation per record from (seed, filename), so the
/// assignment does not depend on order or on the number of jobs; test stays as it is.
enum SVHNConversion {
    static let maxDigits = 5

    static func plan(_ options: ConvertOptions, encoding: ImageEncoding) throws(DatasetError) -> ConversionPlan {
        let root = options.input
        func subfolder(_ name: String) -> URL? {
            let url = root.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
                ? url : nil
        }
        let train = subfolder("train")
        let test = subfolder("test")
        guard train != nil || test != nil else {
            throw DatasetError(
                .noInput, path: root.path, "no train/ or test/ folder (each with digitStruct.mat and PNGs)")
        }
        var trainSources: [(String, URL)] = train.map { [("train", $0)] } ?? []
        if options.includeExtra {
            guard let extra = subfolder("extra") else {
                throw DatasetError(
                    .noInput, path: root.appendingPathComponent("extra").path, "--include-extra: no extra/ folder")
            }
            trainSources.append(("extra", extra))
        }
        let plan = ConversionPlan(
            passes: [], features: features(encoding: encoding), supervisedKeys: nil,
            description: "SVHN format 1 (multi-digit) crops converted by shardkit",
            metadata: [
                "validation_fraction": String(options.validationFraction),
                "include_extra": String(options.includeExtra),
            ])
        var passes: [ConversionPass] = []
        let fraction = options.validationFraction
        let seed = options.seed
        let readerOptions = SVHNReader.Options(
            maxDigits: maxDigits, missingImages: options.skipMissing ? .skip : .fail)
        if !trainSources.isEmpty {
            let splits = fraction > 0 ? ["train", "validation"] : ["train"]
            passes.append(
                pass(
                    label: splits.joined(separator: "+"), splits: splits, sources: trainSources, options: readerOptions,
                    route: { key in fraction > 0 && isValidation(key: key, seed: seed, fraction: fraction) ? 1 : 0 }))
        }
        if let test {
            passes.append(
                pass(
                    label: "test", splits: ["test"], sources: [("test", test)], options: readerOptions,
                    route: { _ in 0 }))
        }
        var result = plan
        result.passes = passes
        return result
    }

    static func features(encoding: ImageEncoding) -> [(String, TFDSFeature)] {
        [
            ("image", .image(shape: [64, 64, 3], encoding: encoding)),
            ("length", .int64),
            ("digits", .int64Tensor(shape: [maxDigits])),
            (
                "bbox",
                .dict([
                    ("left", .int64Sequence), ("top", .int64Sequence), ("width", .int64Sequence),
                    ("height", .int64Sequence), ("label", .int64Sequence),
                ])
            ),
            ("filename", .text),
        ]
    }

    /// Whether record `key` goes to validation: one uniform draw from `RecordKey("validation/" + key).generator(seed:)`.
    static func isValidation(key: String, seed: UInt64, fraction: Double) -> Bool {
        var generator = RecordKey("validation/" + key).generator(seed: seed)
        return Double(generator.next() >> 11) / Double(1 << 53) < fraction
    }

    private static func pass(
        label: String, splits: [String], sources: [(String, URL)], options: SVHNReader.Options,
        route: @escaping (String) -> Int
    ) -> ConversionPass {
        let skips = SkipCounter()
        let tooManyDigits = "more than \(options.maxDigits) digits"
        let missingImage = "image file missing (--skip-missing)"
        return ConversionPass(
            label: label, splits: splits,
            counts: { () throws(DatasetError) in
                // digitStruct.mat only: the same skips the reader makes, without decoding a PNG.
                var counts = Array(repeating: 0, count: splits.count)
                var skipped: [String: Int] = [:]
                for (prefix, folder) in sources {
                    let entries = try reading { () throws(FormatError) in
                        try DigitStructReader(url: folder.appendingPathComponent("digitStruct.mat"))
                    }
                    while let entry = try reading({ () throws(FormatError) in try entries.next() }) {
                        if entry.boxes.count > options.maxDigits {
                            skipped[tooManyDigits, default: 0] += 1
                            continue
                        }
                        if options.missingImages == .skip
                            && !FileManager.default.fileExists(atPath: folder.appendingPathComponent(entry.name).path)
                        {
                            skipped[missingImage, default: 0] += 1
                            continue
                        }
                        counts[route("\(prefix)/\(entry.name)")] += 1
                    }
                }
                skips.setUpFront(skipped)
                return counts
            },
            countIsCheap: false,
            estimatedTotal: {
                var total = 0
                for (_, folder) in sources {
                    let url = folder.appendingPathComponent("digitStruct.mat")
                    guard let entries = try? DigitStructReader(url: url) else { return nil }
                    total += entries.count
                }
                return total
            },
            open: { _ throws(DatasetError) in
                // The reading thread reads digitStruct.mat and checks that each PNG is there;
                // reading, decoding, cropping and resizing it happen on the workers
                // (`PendingImage.svhnPNG`), so a scale-out worker reads only its own PNGs. Same
                // skips and errors as `SVHNReader`.
                let prefixes = Dictionary(uniqueKeysWithValues: sources.map { ($0.1.path, $0.0) })
                return chainedPull(
                    sources.map { $0.1.appendingPathComponent("digitStruct.mat") },
                    open: { url throws(FormatError) in try DigitStructReader(url: url) },
                    map: { entry, file throws(DatasetError) in
                        let folder = file.url.deletingLastPathComponent()
                        if entry.boxes.count > options.maxDigits {
                            skips.add(tooManyDigits)
                            return nil
                        }
                        let png = folder.appendingPathComponent(entry.name)
                        guard FileManager.default.fileExists(atPath: png.path) else {
                            if options.missingImages == .skip {
                                skips.add(missingImage)
                                return nil
                            }
                            throw DatasetError(
                                .noInput, path: png.path, recordIndex: entry.index, "image named by digitStruct is missing")
                        }
                        let filename = "\(prefixes[folder.path]!)/\(entry.name)"
                        let boxes = entry.boxes
                        let digits = boxes.map(\.digit)
                        return PendingRecord(
                            split: route(filename), path: png.path, index: entry.index,
                            image: .svhnPNG(path: png.path, entry: entry, size: options.size),
                            features: [
                                "length": .int64([Int64(digits.count)]),
                                "digits": .int64(
                                    (digits + Array(repeating: 10, count: options.maxDigits - digits.count)).map(
                                        Int64.init)),
                                "bbox/left": .int64(boxes.map { Int64($0.left.rounded()) }),
                                "bbox/top": .int64(boxes.map { Int64($0.top.rounded()) }),
                                "bbox/width": .int64(boxes.map { Int64($0.width.rounded()) }),
                                "bbox/height": .int64(boxes.map { Int64($0.height.rounded()) }),
                                "bbox/label": .int64(digits.map(Int64.init)),
                                "filename": .bytes([Array(filename.utf8)]),
                            ])
                    })
            }, skips: skips)
    }
}
