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
    /// Opens the pass's files and returns its record pull.
    var open: () throws(DatasetError) -> RecordPull
}

/// Reason → count of source records left out on purpose (not errors).
final class SkipCounter {
    var counts: [String: Int] = [:]

    func add(_ reason: String, _ count: Int = 1) {
        counts[reason, default: 0] += count
    }
}

/// What a format's converter hands to `DatasetConverter`: the passes, the TFDS feature
/// description, side files and manifest metadata.
struct ConversionPlan {
    var passes: [ConversionPass]
    var features: [(String, TFDSFeature)]
    var supervisedKeys: (String, String)?
    var description: String
    /// Extra files written beside the shards (e.g. `characters.json`).
    var files: [(String, [UInt8])] = []
    var metadata: [String: String] = [:]
    var skips = SkipCounter()
}

/// A file being read by `chainedPull`, with the strings records need worked out once per file
/// rather than once per record (`URL.path` costs about a microsecond).
struct SourceFile {
    let url: URL
    /// `url.path`.
    let path: String
    /// The file name without its extension.
    let stem: String

    init(_ url: URL) {
        self.url = url
        path = url.path
        stem = url.deletingPathExtension().lastPathComponent
    }
}

/// A pull over several files read one after another with readers made by `open`; `map` turns a
/// sample into a record (or nil to leave it out), given the file it came from.
func chainedPull<Reader: FormatReader>(
    _ files: [URL], open: @escaping (URL) throws(FormatError) -> Reader,
    map: @escaping (Reader.Sample, SourceFile) throws(DatasetError) -> PendingRecord?,
    atEndOfFile: @escaping (Reader) -> Void = { _ in }
) -> RecordPull {
    var fileIndex = 0
    var reader: Reader?
    var file: SourceFile?
    return { () throws(DatasetError) -> PendingRecord? in
        while fileIndex < files.count {
            if reader == nil {
                let url = files[fileIndex]
                reader = try reading { () throws(FormatError) in try open(url) }
                file = SourceFile(url)
            }
            let file = file!
            let current = reader!
            while let sample = try reading({ () throws(FormatError) in try current.next() }) {
                if let record = try map(sample, file) { return record }
            }
            atEndOfFile(current)
            reader = nil
            fileIndex += 1
        }
        return nil
    }
}
