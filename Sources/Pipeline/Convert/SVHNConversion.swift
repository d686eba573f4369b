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
            passes: [], spec: DatasetSpec(features: features(encoding: encoding)),
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
                    label: splits.joined(separator: "+"), splits: splits, sources: trainSources,
                    step: Step(options: readerOptions, validationFraction: fraction, seed: seed)))
        }
        if let test {
            passes.append(
                pass(
                    label: "test", splits: ["test"], sources: [test],
                    step: Step(options: readerOptions, validationFraction: 0, seed: seed)))
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

    private static func pass(label: String, splits: [String], sources: [Source], step: Step) -> ConversionPass {
        let skips = SkipCounter()
        let options = step.options
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
                            skipped[step.tooManyDigits, default: 0] += 1
                            continue
                        }
                        if options.missingImages == .skip && !source.has(entry.name) {
                            skipped[Step.missingImage, default: 0] += 1
                            continue
                        }
                        counts[step.split(of: "\(source.name)/\(entry.name)")] += 1
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
                // samples, skips and errors as `SVHNReader`. Samples are keyed by their PNGs.
                DatasetSource(
                    sources.map(\.digitStruct),
                    open: { file throws(FormatError) in
                        try EntryReader(source: byPath[file.url.path]!, maxDigits: options.maxDigits)
                    },
                    keyPath: { sample, _ in sample.pngPath }
                ).records(step, skips: skips)
            }, skips: skips)
    }

    /// A digitStruct entry with its PNG, as the records pass reads them.
    struct Entry: Sendable {
        var entry: DigitStructEntry
        /// "train", "test" or "extra": the prefix of the `filename` feature.
        var sourceName: String
        /// Where the PNG is (on disk, or its place in the folder an archive holds), for errors.
        var pngPath: String
        /// The PNG: a file to read, or the bytes read out of an archive; nil when the input lacks
        /// it, or when it was not read because the entry is left out (too many digits).
        var png: SVHNImageData?
    }

    /// One split source's entries, each with its PNG: a file to read from a folder, or, from an
    /// archive (one stream), the bytes read here in digitStruct's order.
    final class EntryReader: FormatReader {
        typealias Sample = Entry
        private let source: Source
        private let maxDigits: Int
        private let entries: EntryStream
        private let pngs: ArchiveOrderedReader?

        init(source: Source, maxDigits: Int) throws(FormatError) {
            self.source = source
            self.maxDigits = maxDigits
            let entries = try source.stream()
            guard let archive = source.place.archive else {
                self.entries = entries
                pngs = nil
                return
            }
            // From an archive, the PNGs' order is needed before the first record: the entries
            // are read once, kept, and replayed (not walked again).
            var all: [DigitStructEntry] = []
            var order: [ArchiveEntry] = []
            while let entry = try entries.next() {
                all.append(entry)
                guard entry.boxes.count <= maxDigits, let png = source.place.entry(entry.name) else { continue }
                order.append(png)
            }
            pngs = ArchiveOrderedReader(archive: archive, order: order)
            self.entries = EntryStream(kept: all)
        }

        func next() throws(FormatError) -> Entry? {
            guard let entry = try entries.next() else { return nil }
            let pngPath = URL(fileURLWithPath: source.place.path).appendingPathComponent(entry.name).path
            var sample = Entry(entry: entry, sourceName: source.name, pngPath: pngPath)
            guard entry.boxes.count <= maxDigits, source.has(entry.name) else { return sample }
            if let pngs {
                guard let (read, data) = try pngs.next(), read.fileName == entry.name else {
                    throw FormatError(
                        .badRecord, path: pngPath, record: entry.index,
                        "internal: the archive's PNGs came out of digitStruct's order")
                }
                sample.png = .bytes(data)
            } else {
                sample.png = .file(path: pngPath)
            }
            return sample
        }
    }

    /// The per-sample step: entries with too many digits are left out, and so are those whose PNG
    /// is missing with `--skip-missing` (else an error); the record goes to validation for a
    /// seeded share of train (by `filename`), carries the boxes and digits, and leaves the crop to
    /// the workers (`SVHNCropStep`).
    struct Step: SampleRecipe {
        var options: SVHNReader.Options
        /// The share of the pass's records routed to validation (0 for test).
        var validationFraction: Double
        var seed: UInt64

        /// The skip reasons, as the manifest counts them.
        var tooManyDigits: String { "more than \(options.maxDigits) digits" }
        static let missingImage = "image file missing (--skip-missing)"

        /// 1 (validation) or 0 (the pass's first split) for the record stored as `filename`.
        func split(of filename: String) -> Int {
            validationFraction > 0 && isValidation(key: filename, seed: seed, fraction: validationFraction) ? 1 : 0
        }

        func skipReason(_ sourced: SourcedSample<Entry>) -> String? {
            if sourced.sample.entry.boxes.count > options.maxDigits { return tooManyDigits }
            if sourced.sample.png == nil && options.missingImages == .skip { return Self.missingImage }
            return nil
        }

        func record(_ sourced: SourcedSample<Entry>) throws(DatasetError) -> PendingRecord {
            let entry = sourced.sample.entry
            let pngPath = sourced.sample.pngPath
            guard let png = sourced.sample.png else {
                throw DatasetError(
                    .noInput, path: pngPath, recordIndex: sourced.index, "image named by digitStruct is missing")
            }
            let sample = SVHNSample(entry: entry, maxDigits: options.maxDigits, png: png)
            let filename = "\(sourced.sample.sourceName)/\(entry.name)"
            return PendingRecord(
                split: split(of: filename), path: pngPath, index: sourced.index, key: sourced.key,
                image: .deferred(SVHNCropStep(png: sample.png, boxes: sample.boxes, size: SVHNCrop.outputSize)),
                features: recordFeatures(sample, filename: filename))
        }
    }
}

extension DatasetFormat {
    /// SVHN format 1: `train/`, `test/` (and `extra/`), each `digitStruct.mat` and PNGs.
    public static let svhn = DatasetFormat(word: "svhn")
}
