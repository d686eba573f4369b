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
enum SVHNConversion: FormatRecipe {
    static let maxDigits = 5

    static let words = [
        FormatWord(
            format: .svhn, input: "train.tar.gz test.tar.gz [extra.tar.gz], or train/ test/ [extra/]",
            examples: ["shardkit convert svhn --input svhn --output out/svhn --include-extra"],
            note: "train (+ extra) is divided into train and validation per file name and --seed.",
            defaultImageEncoding: .raw, defaultValidationFraction: 0.1,
            options: [.skipMissing, .includeExtra, .validationFraction]),
    ]

    static func fingerprint(_ options: ConvertOptions, format: DatasetFormat) -> [String: String] {
        [
            "validation fraction": String(options.validationFraction),
            "include extra": String(options.includeExtra),
            "skip missing": String(options.skipMissing),
        ]
    }

    static func plan(_ options: ConvertOptions, format: DatasetFormat, encoding: ImageEncoding)
        throws(DatasetError) -> ConversionPlan
    {
        let (sources, search) = try resolveInput(options)
        var trainSources = sources.filter { $0.name == "train" }
        if options.includeExtra {
            guard let extra = sources.first(where: { $0.name == "extra" }) else {
                throw search.refusal("--include-extra: no extra/ folder or extra.tar.gz")
            }
            trainSources.append(extra)
        }
        let test = sources.first { $0.name == "test" }
        var plan = ConversionPlan(
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
                    label: "test", splits: ["test"], sources: [test], options: readerOptions,
                    route: { _ in 0 }))
        }
        plan.passes = passes
        let used = trainSources + (test.map { [$0] } ?? [])
        plan.finishInputs = { () throws(DatasetError) in
            // A folder's PNGs are read whole by the encoding workers: hashed afterwards, one line
            // per folder (an archive is hashed as a whole while it is read).
            try search.metadata(
                strict: options.strictInputs, quiet: options.quiet,
                pngFolders: used.compactMap { source in
                    if case .folder(let url) = source.place.storage { return url }
                    return nil
                })
        }
        return plan
    }

    /// One split's files: `train/`, `test/` or `extra/` on disk, or the same folder inside SVHN's
    /// `train.tar.gz`, `test.tar.gz` or `extra.tar.gz`.
    final class Source {
        /// "train", "test" or "extra": the prefix of the `filename` feature.
        let name: String
        let place: InputPlace
        let digitStruct: InputFile
        /// The reader of digitStruct.mat, kept open and restarted for each pass over it (counts,
        /// progress total, the records): from an archive, the file is read into memory once; on
        /// disk, the reader opened for the progress total is the one the records pass reads.
        private var opened: DigitStructReader?

        /// Child processes walking digitStruct.mat side by side (`DigitStructReader`).
        let walkers: Int

        init(name: String, place: InputPlace, walkers: Int = 1) {
            self.name = name
            self.place = place
            self.walkers = walkers
            digitStruct =
                place.file("digitStruct.mat")
                ?? InputFile(disk: URL(fileURLWithPath: place.path).appendingPathComponent("digitStruct.mat"))
        }

        /// digitStruct's entries from the first.
        func entries() throws(FormatError) -> DigitStructReader {
            if let opened {
                try opened.restart()
                return opened
            }
            let reader = try DigitStructReader(input: digitStruct, walkers: walkers)
            opened = reader
            return reader
        }

        /// Whether the PNG `name` is there (without reading it).
        func has(_ name: String) -> Bool { place.file(name) != nil }

        /// The entries the counting pass read (only with `--shards`, which needs exact counts up
        /// front), kept for the records pass so that digitStruct.mat is parsed once, not twice:
        /// libhdf5 walks its references at a few hundred µs per entry, the slowest step of the
        /// conversion. About 150 bytes per entry (5 MB for train). Without `--shards` nothing is
        /// counted first: the records pass reads the entries as the child walks them.
        private var counted: [DigitStructEntry]?

        /// Keeps `entries` (all of them, in order, read to the end without error) for the next
        /// `stream()`.
        func keep(_ entries: [DigitStructEntry]) { counted = entries }

        /// The entries for the records pass: those the counting pass kept (handed over once), or
        /// digitStruct.mat read again.
        func stream() throws(FormatError) -> EntryStream {
            if let counted {
                self.counted = nil
                return EntryStream(kept: counted)
            }
            return EntryStream(reader: try entries())
        }
    }

    /// digitStruct's entries from the counting pass's copy, or from a `DigitStructReader`.
    final class EntryStream: FormatReader {
        typealias Sample = DigitStructEntry
        private let kept: [DigitStructEntry]
        private var position = 0
        private let reader: DigitStructReader?

        init(kept: [DigitStructEntry]) {
            self.kept = kept
            reader = nil
        }

        init(reader: DigitStructReader) {
            kept = []
            self.reader = reader
        }

        func next() throws(FormatError) -> DigitStructEntry? {
            if let reader { return try reader.next() }
            guard position < kept.count else { return nil }
            position += 1
            return kept[position - 1]
        }

    }

    /// `--input` for SVHN format 1: per split (train, test, extra), the archive as shipped
    /// (`train.tar.gz`, holding `train/`), the folder it unpacks to (`train/`, holding
    /// digitStruct.mat and the PNGs), or the folder above, holding those folders or archives (a
    /// folder wins over the archive). `--input train.tar.gz` or `--input …/train` give that one
    /// split.
    static func resolveInput(_ options: ConvertOptions) throws(DatasetError) -> ([Source], InputSearch) {
        let search = InputSearch(options.input)
        var sources: [Source] = []
        // extra.tar.gz is large (1.3 GB): it is not even listed unless --include-extra asks for it.
        for split in ["train", "test"] + (options.includeExtra ? ["extra"] : []) {
            let place = try search.find(
                folder: split, archives: ["\(split).tar.gz"],
                inputMayBeTheFolder: search.input.lastPathComponent == split,
                what: "digitStruct.mat and PNGs", keep: { $0.fileName == "digitStruct.mat" },
                // A folder counts by its name (a missing digitStruct.mat is an error of its own);
                // an archive by the digitStruct.mat it holds.
                holds: { $0.archive == nil || $0.file("digitStruct.mat") != nil })
            // Two libhdf5 walkers when there are two jobs: the walk is the longest serial stretch.
            if let place { sources.append(Source(name: split, place: place, walkers: min(2, options.jobs))) }
        }
        guard sources.contains(where: { $0.name != "extra" }) else {
            throw search.refusal("no train/ or test/ folder (each with digitStruct.mat and PNGs) or archive")
        }
        try search.checkListedArchives(strict: options.strictInputs, quiet: options.quiet)
        return (sources, search)
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

    private static func pass(
        label: String, splits: [String], sources: [Source], options: SVHNReader.Options,
        route: @escaping (String) -> Int
    ) -> ConversionPass {
        let skips = SkipCounter()
        let tooManyDigits = "more than \(options.maxDigits) digits"
        let missingImage = "image file missing (--skip-missing)"
        let byPath = Dictionary(sources.map { ($0.digitStruct.url.path, $0) }, uniquingKeysWith: { first, _ in first })
        return ConversionPass(
            label: label, splits: splits,
            counts: { () throws(DatasetError) in
                // digitStruct.mat only: the same skips the reader makes, without decoding a PNG.
                var counts = Array(repeating: 0, count: splits.count)
                var skipped: [String: Int] = [:]
                for source in sources {
                    let entries = try reading { () throws(FormatError) in try source.entries() }
                    var all: [DigitStructEntry] = []
                    while let entry = try reading({ () throws(FormatError) in try entries.next() }) {
                        all.append(entry)
                        if entry.boxes.count > options.maxDigits {
                            skipped[tooManyDigits, default: 0] += 1
                            continue
                        }
                        if options.missingImages == .skip && !source.has(entry.name) {
                            skipped[missingImage, default: 0] += 1
                            continue
                        }
                        counts[route("\(source.name)/\(entry.name)")] += 1
                    }
                    source.keep(all)
                }
                skips.setUpFront(skipped)
                return counts
            },
            countIsCheap: false,
            estimatedTotal: {
                var total = 0
                for source in sources {
                    guard let entries = try? source.entries() else { return nil }
                    total += entries.count
                }
                return total
            },
            open: { _ throws(DatasetError) in
                // The reading thread reads digitStruct.mat and checks that each PNG is there. From
                // a folder, reading, decoding, cropping and resizing the PNG happen on the workers
                // (`SVHNCropStep`, `SVHNCrop.image`), so a scale-out worker reads only its
                // own PNGs; from an archive (one stream) this thread reads the PNG's bytes, in
                // digitStruct's order (`ArchiveOrderedReader`), and the workers do the rest. Same
                // samples, skips and errors as `SVHNReader`.
                var pngs: ArchiveOrderedReader?
                return chainedPull(
                    sources.map(\.digitStruct),
                    open: { file throws(FormatError) in
                        let source = byPath[file.url.path]!
                        let entries = try source.stream()
                        pngs = nil
                        guard let archive = source.place.archive else { return entries }
                        // From an archive, the PNGs' order is needed before the first record:
                        // the entries are read once, kept, and replayed (not walked again).
                        var all: [DigitStructEntry] = []
                        var order: [ArchiveEntry] = []
                        while let entry = try entries.next() {
                            all.append(entry)
                            guard entry.boxes.count <= options.maxDigits, let png = source.place.entry(entry.name)
                            else { continue }
                            order.append(png)
                        }
                        pngs = ArchiveOrderedReader(archive: archive, order: order)
                        return EntryStream(kept: all)
                    },
                    map: { entry, file throws(DatasetError) in
                        let source = byPath[file.path]!
                        if entry.boxes.count > options.maxDigits {
                            skips.add(tooManyDigits)
                            return nil
                        }
                        let pngURL = URL(fileURLWithPath: source.place.path).appendingPathComponent(entry.name)
                        guard source.has(entry.name) else {
                            if options.missingImages == .skip {
                                skips.add(missingImage)
                                return nil
                            }
                            throw DatasetError(
                                .noInput, path: pngURL.path, recordIndex: entry.index,
                                "image named by digitStruct is missing")
                        }
                        let png: SVHNImageData
                        if let reader = pngs {
                            guard let (read, data) = try reading({ () throws(FormatError) in try reader.next() }),
                                read.fileName == entry.name
                            else {
                                throw DatasetError(
                                    .badInput, path: pngURL.path, recordIndex: entry.index,
                                    "internal: the archive's PNGs came out of digitStruct's order")
                            }
                            png = .bytes(data)
                        } else {
                            png = .file(path: pngURL.path)
                        }
                        let sample = SVHNSample(entry: entry, maxDigits: options.maxDigits, png: png)
                        let filename = "\(source.name)/\(entry.name)"
                        return PendingRecord(
                            split: route(filename), path: pngURL.path, index: entry.index,
                            image: .deferred(SVHNCropStep(png: sample.png, boxes: sample.boxes, size: SVHNCrop.outputSize)),
                            features: recordFeatures(sample, filename: filename))
                    })
            }, skips: skips)
    }
}

extension DatasetFormat {
    /// SVHN format 1: `train/`, `test/` (and `extra/`), each `digitStruct.mat` and PNGs.
    public static let svhn = DatasetFormat(word: "svhn")
}
