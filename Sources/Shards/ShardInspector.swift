internal import ShardKitSupport
public import Foundation
public import Examples
import RecordIO

/// Reads shards once to count records, infer the feature schema, dump records as JSON and count
/// the values of an int64 feature.
public struct ShardInspector: Sendable {
    /// What one record file holds.
    public struct FileSummary: Sendable {
        public var path: String
        public var records: Int
        public var bytes: Int64
        public var compression: String
    }

    /// Everything `inspect` prints.
    public struct Report: Sendable {
        public var files: [FileSummary]
        public var schema: [SchemaEntry]
        public var histogramKey: String?
        /// Value → number of records holding it (each value of a multi-valued feature counts).
        public var histogram: [Int64: Int]

        /// The report as aligned plain text.
        public func rendered() -> String {
            var lines: [String] = []
            let width = files.map { ($0.path as NSString).lastPathComponent.count }.max() ?? 0
            for file in files {
                let name = (file.path as NSString).lastPathComponent
                let padding = String(repeating: " ", count: width - name.count)
                lines.append("\(name)\(padding)  \(file.records) records  \(file.bytes) bytes  \(file.compression)")
            }
            let total = files.reduce(0) { $0 + $1.records }
            lines.append("total: \(total) records in \(files.count) file\(files.count == 1 ? "" : "s")")
            if !schema.isEmpty {
                lines.append("schema:")
                let keyWidth = max(3, schema.map(\.key.count).max() ?? 0)
                for entry in schema {
                    let padding = String(repeating: " ", count: keyWidth - entry.key.count)
                    let counts = entry.minCount == entry.maxCount ? "\(entry.minCount)" : "\(entry.minCount)-\(entry.maxCount)"
                    lines.append("  \(entry.key)\(padding)  \(entry.kind.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))  \(counts) value\(counts == "1" ? "" : "s")")
                }
            }
            if let histogramKey {
                lines.append("histogram of \(histogramKey):")
                let most = histogram.values.max() ?? 0
                for (value, count) in histogram.sorted(by: { $0.key < $1.key }) {
                    let bar = String(repeating: "#", count: most > 0 ? max(1, count * 40 / most) : 0)
                    lines.append("  \(String(value).padding(toLength: 6, withPad: " ", startingAt: 0)) \(String(count).padding(toLength: 8, withPad: " ", startingAt: 0)) \(bar)")
                }
                if histogram.isEmpty { lines.append("  (no int64 values under this key)") }
            }
            return lines.joined(separator: "\n")
        }
    }

    public var dumpCount: Int
    public var histogramKey: String?
    /// In dumped JSON, bytes values longer than this are cut (base64 of the first bytes plus the
    /// full length); `nil` prints them whole.
    public var bytesPreview: Int?

    public init(dumpCount: Int = 0, histogramKey: String? = nil, bytesPreview: Int? = nil) {
        self.dumpCount = dumpCount
        self.histogramKey = histogramKey
        self.bytesPreview = bytesPreview
    }

    /// Reads every record of `files`; calls `dumpLine` with the JSON of each of the first
    /// `dumpCount` records. A bad record is an error naming its file, index and offset.
    public func inspect(_ files: [URL], quiet: Bool = true, dumpLine: (String) -> Void) throws -> Report {
        var summaries: [FileSummary] = []
        var schema = SchemaAccumulator()
        var histogram: [Int64: Int] = [:]
        var dumped = 0
        let progress = ProgressReporter(label: "inspect", total: nil, quiet: quiet, lineInterval: 100_000)
        for url in files {
            var reader: RecordReader
            do { reader = try RecordReader(path: url.path) } catch { throw DatasetError(error) }
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
                    for value in values { histogram[value, default: 0] += 1 }
                }
                if dumped < dumpCount {
                    dumpLine(example.jsonString(maxBytesPreview: bytesPreview))
                    dumped += 1
                }
                count += 1
                progress.advance()
            }
            let size = ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size]) as? Int64) ?? 0
            summaries.append(FileSummary(path: url.path, records: count, bytes: size, compression: reader.compression.rawValue))
        }
        progress.finish()
        return Report(files: summaries, schema: schema.entries, histogramKey: histogramKey, histogram: histogram)
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
