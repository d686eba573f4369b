internal import ShardKitSupport
import Shards
import Formats
import Foundation

/// Pulls the next record of a pass, `nil` at its end.
typealias RecordPull = () throws(DatasetError) -> PendingRecord?

/// One sequential read over source files, feeding one or more splits (SVHN's train and extra
/// feed train and validation in one read).
struct ConversionPass {
    /// For progress lines, e.g. `train` or `train+validation`.
    var label: String
    var splits: [String]
    /// Exact record counts per split. Called when sharding by count, and for the progress total
    /// when `countIsCheap` (headers only).
    var counts: () throws(DatasetError) -> [Int]
    var countIsCheap: Bool
    /// A cheap upper bound of the pass's records for the progress bar when the exact count is
    /// not worth a pass of its own (SVHN: the entries in digitStruct.mat, skips included).
    var estimatedTotal: () -> Int? = { nil }
    /// Whether every sample the pass reads is one record of its one split, so that a worker can
    /// start at its first record (MNIST, CIFAR, HWDB; not SVHN, which leaves samples out).
    var canSkip = false
    /// Opens the pass's files and returns its record pull, starting `skip` samples in (0 unless
    /// `canSkip`); the readers move past those without decoding them (`FormatReader.skip`).
    var open: (_ skip: Int) throws(DatasetError) -> RecordPull
    /// What the pass leaves out on purpose.
    var skips = SkipCounter()
}

extension ConversionPass {
    /// A pass of one split over `files` read one after another, each sample one record (so a
    /// worker can start midway: `canSkip`), counted by opening each file with `reader` and summing
    /// what `count` says of it (CIFAR, HWDB). `open` makes the record pull, as for any pass.
    init<Reader: FormatReader>(
        split: String, files: [InputFile], countIsCheap: Bool,
        reader: @escaping (InputFile) throws(FormatError) -> Reader,
        count: @escaping (Reader) throws(FormatError) -> Int,
        open: @escaping (_ skip: Int) throws(DatasetError) -> RecordPull
    ) {
        self.init(
            label: split, splits: [split],
            counts: { () throws(DatasetError) in
                var total = 0
                for file in files {
                    total += try reading { () throws(FormatError) in try count(reader(file)) }
                }
                return [total]
            },
            countIsCheap: countIsCheap, canSkip: true, open: open)
    }
}

/// Whether record `key` goes to validation when a `fraction` of train is routed there (SVHN, a
/// folder): one uniform draw from `RecordKey("validation/" + key).generator(seed:)`, so the
/// division depends on neither the order of the records nor `--jobs`.
func isValidation(key: String, seed: UInt64, fraction: Double) -> Bool {
    var generator = RecordKey("validation/" + key).generator(seed: seed)
    return Double(generator.next() >> 11) / Double(1 << 53) < fraction
}

/// Reason → count of source records a pass leaves out on purpose (not errors). Counted while
/// reading, or, when the pass counts its records up front (`ConversionPass.counts`), by that
/// count: then every worker and every resumed run reports the skips of the whole input, whatever
/// part of it they read.
final class SkipCounter {
    private(set) var counts: [String: Int] = [:]
    private var countedUpFront = false

    func add(_ reason: String, _ count: Int = 1) {
        guard !countedUpFront else { return }
        counts[reason, default: 0] += count
    }

    /// The pass's skips, counted without reading a record; later `add`s are ignored.
    func setUpFront(_ counts: [String: Int]) {
        self.counts = counts
        countedUpFront = true
    }
}

/// What a format's converter hands to `DatasetConverter`: the passes, the spec of the records
/// they make (features, image shape and encoding, class names), side files and manifest metadata.
struct ConversionPlan {
    var passes: [ConversionPass]
    var spec: DatasetSpec
    var description: String
    /// Extra files written beside the shards (e.g. `characters.json`).
    var files: [(String, [UInt8])] = []
    var metadata: [String: String] = [:]
    /// Called once every pass has run: finishes the input files' SHA-256s and checks them
    /// against the published checksums (`InputSearch.metadata`), returning more metadata.
    var finishInputs: () throws(DatasetError) -> [String: String] = { [:] }

    /// Reason → count over every pass.
    var skipped: [String: Int] {
        passes.reduce(into: [:]) { all, pass in all.merge(pass.skips.counts, uniquingKeysWith: +) }
    }
}
