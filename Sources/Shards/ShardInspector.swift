internal import ShardKitSupport
public import Foundation
public import Examples
import RecordIO

/// Reads shards once to count records, infer the feature schema, dump records as JSON and count
/// the values of an int64 feature per split. Files are read in `DatasetContext.readingOrder`:
/// train, validation, test, then other splits.
public struct ShardInspector: Sendable {
    /// What one record file holds.
    public struct FileSummary: Sendable {
        /// The file as it was given.
        public var path: String
        /// The split the file belongs to (its manifest, else its name); nil when unknown.
        public var split: String?
        /// Records read from the file.
        public var records: Int
        /// The file's size on disk.
        public var bytes: Int64
        /// The compression detected from the first bytes: `none`, `gzip` or `zlib`.
        public var compression: String
    }

    /// How often each value of the histogram feature occurs in one split.
    public struct SplitHistogram: Sendable, Equatable {
        /// The split, or nil for files of no known split.
        public var split: String?
        /// Value → number of records holding it (each value of a multi-valued feature counts).
        public var counts: [Int64: Int]

        /// A histogram of one split.
        public init(split: String?, counts: [Int64: Int]) {
            self.split = split
            self.counts = counts
        }
    }

    /// Everything `inspect` prints.
    public struct Report: Sendable {
        /// The files in the order they were read (train, validation, test, others).
        public var files: [FileSummary]
        /// Every key seen, with its kind and value counts, over all files.
        public var schema: [SchemaEntry]
        /// The int64 feature the histograms count; nil when none was asked for.
        public var histogramKey: String?
        /// One histogram per split, in the order of `files`.
        public var histograms: [SplitHistogram]
        /// Value → what it stands for: a class name (`label.labels.txt`) or, for HWDB, the
        /// character the records carry beside the label.
        public var valueNames: [Int64: String]

        /// All splits' counts together.
        public var histogram: [Int64: Int] {
            histograms.reduce(into: [:]) { total, split in total.merge(split.counts, uniquingKeysWith: +) }
        }

        /// The report as aligned plain text: a table of files with a header row, totals, the
        /// schema and a histogram per split.
        public func rendered() -> String {
            var lines: [String] = []
            let header = ["file", "split", "records", "size", "compression"]
            let rows = files.map { file in
                [
                    (file.path as NSString).lastPathComponent, file.split ?? "-", String(file.records),
                    HumanReadable.bytes(file.bytes), file.compression,
                ]
            }
            let rightAligned: Set<Int> = [2, 3]
            let widths = header.indices.map { column in
                ([header] + rows).map { HumanReadable.displayWidth($0[column]) }.max() ?? 0
            }
            for row in [header] + rows {
                let cells = row.enumerated().map { column, text in
                    rightAligned.contains(column)
                        ? HumanReadable.leftPadded(text, toWidth: widths[column])
                        : HumanReadable.padded(text, toWidth: widths[column])
                }
                lines.append(cells.joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression))
            }
            let total = files.reduce(0) { $0 + $1.records }
            let bytes = files.reduce(Int64(0)) { $0 + $1.bytes }
            lines.append(
                "total: \(HumanReadable.count(total, "record")) in \(HumanReadable.count(files.count, "file")), "
                    + HumanReadable.bytes(bytes))
            if !schema.isEmpty {
                lines.append("schema:")
                let keyWidth = max(3, schema.map { HumanReadable.displayWidth($0.key) }.max() ?? 0)
                for entry in schema {
                    let counts = entry.minCount == entry.maxCount ? "\(entry.minCount)" : "\(entry.minCount)-\(entry.maxCount)"
                    let values = entry.minCount == entry.maxCount ? HumanReadable.noun(entry.minCount, "value") : "values"
                    lines.append(
                        "  \(HumanReadable.padded(entry.key, toWidth: keyWidth))  "
                            + "\(HumanReadable.padded(entry.kind.rawValue, toWidth: 5))  \(counts) \(values)")
                }
            }
            if let histogramKey {
                for histogram in histograms {
                    lines.append(contentsOf: renderedHistogram(histogram, key: histogramKey))
                }
                if histograms.allSatisfy({ $0.counts.isEmpty }) { lines.append("  (no int64 values under \(histogramKey))") }
            }
            return lines.joined(separator: "\n")
        }

        /// `histogram of label in train:` and a line per value: the value, its name when known,
        /// the count and a bar scaled to the split's most frequent value.
        private func renderedHistogram(_ histogram: SplitHistogram, key: String) -> [String] {
            guard !histogram.counts.isEmpty else { return [] }
            let total = histogram.counts.values.reduce(0, +)
            var lines = ["histogram of \(key) in \(histogram.split ?? "files of no known split") (\(HumanReadable.count(total, "value"))):"]
            let sorted = histogram.counts.sorted { $0.key < $1.key }
            let named = sorted.contains { valueNames[$0.key] != nil }
            let valueWidth = max(5, sorted.map { String($0.key).count }.max() ?? 0)
            let nameWidth = max(4, sorted.map { HumanReadable.displayWidth(valueNames[$0.key] ?? "") }.max() ?? 0)
            let countWidth = max(5, sorted.map { String($0.value).count }.max() ?? 0)
            let most = histogram.counts.values.max() ?? 0
            var header = "  " + HumanReadable.leftPadded("value", toWidth: valueWidth)
            if named { header += "  " + HumanReadable.padded("name", toWidth: nameWidth) }
            header += "  " + HumanReadable.leftPadded("count", toWidth: countWidth)
            lines.append(header)
            for (value, count) in sorted {
                var line = "  " + HumanReadable.leftPadded(String(value), toWidth: valueWidth)
                if named { line += "  " + HumanReadable.padded(valueNames[value] ?? "", toWidth: nameWidth) }
                line += "  " + HumanReadable.leftPadded(String(count), toWidth: countWidth)
                line += "  " + String(repeating: "#", count: most > 0 ? max(1, count * 40 / most) : 0)
                lines.append(line)
            }
            return lines
        }
    }

    /// How many records, from the first in reading order, to hand to `dumpLine` as JSON.
    public var dumpCount: Int
    /// The int64 feature whose values to count per split (e.g. `label`); nil for none.
    public var histogramKey: String?
    /// In dumped JSON, bytes values longer than this are cut (base64 of the first bytes plus the
    /// full length); `nil` prints them whole.
    public var bytesPreview: Int?

    /// The defaults dump nothing and count nothing: files and schema only.
    public init(dumpCount: Int = 0, histogramKey: String? = nil, bytesPreview: Int? = nil) {
        self.dumpCount = dumpCount
        self.histogramKey = histogramKey
        self.bytesPreview = bytesPreview
    }

    /// Reads every record of `files` (train first: `DatasetContext.readingOrder`); calls
    /// `dumpLine` with the JSON of each of the first `dumpCount` records. A bad record is an
    /// error naming its file, index and offset.
    public func inspect(_ files: [URL], quiet: Bool = true, dumpLine: (String) -> Void) throws -> Report {
        var context = DatasetContext(files: files)
        var summaries: [FileSummary] = []
        var schema = SchemaAccumulator()
        var histograms: [SplitHistogram] = []
        var valueNames: [Int64: String] = [:]
        if let histogramKey, let names = context.classNames(of: histogramKey) {
            for (index, name) in names.enumerated() where !name.isEmpty { valueNames[Int64(index)] = name }
        }
        let namedByFile = !valueNames.isEmpty
        let binaryKeys: Set<String> = context.imageKey.map { [$0] } ?? []
        var dumped = 0
        let progress = ProgressReporter(label: "inspect", total: nil, quiet: quiet, lineInterval: 100_000)
        for (url, split) in context.readingOrder(files) {
            var reader: RecordReader
            do { reader = try RecordReader(path: url.path) } catch { throw DatasetError(error) }
            if histograms.last.map({ $0.split != split }) ?? true {
                histograms.append(SplitHistogram(split: split, counts: [:]))
            }
            var count = 0
            while true {
                let payload: UnsafeRawBufferPointer?
                do { payload = try reader.nextRecord() } catch { throw DatasetError(error) }
                guard let payload else { break }
                let example: Example
                do { example = try Example(serializedBytes: payload) } catch {
                    throw DatasetError(.badInput, path: url.path, recordIndex: count, byteOffset: reader.lastRecordOffset,
                                        "not a tf.train.Example: \(error)")
                }
                schema.observe(example)
                if let histogramKey, let values = example.int64s(histogramKey) {
                    for value in values { histograms[histograms.count - 1].counts[value, default: 0] += 1 }
                    // HWDB records carry their character beside the class index.
                    if !namedByFile, values.count == 1, valueNames[values[0]] == nil,
                        let character = example.bytes("character")?.first, JSONBytes.isText(character[...])
                    {
                        valueNames[values[0]] = String(decoding: character, as: UTF8.self)
                    }
                }
                if dumped < dumpCount {
                    dumpLine(example.jsonString(maxBytesPreview: bytesPreview, binaryKeys: binaryKeys))
                    dumped += 1
                }
                count += 1
                progress.advance()
            }
            let size = ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? Int64) ?? 0
            summaries.append(
                FileSummary(path: url.path, split: split, records: count, bytes: size, compression: reader.compression.rawValue))
        }
        progress.finish()
        return Report(
            files: summaries, schema: schema.entries, histogramKey: histogramKey, histograms: histograms,
            valueNames: valueNames)
    }
}

extension DatasetError {
    /// Wraps a record layer error, keeping its place (file, record index and byte offset), its
    /// category and the error itself.
    init(_ error: RecordIOError) {
        self.init(
            Kind(error.category), path: error.path, recordIndex: error.recordIndex, byteOffset: error.byteOffset,
            error.reason, underlying: error)
    }
}
