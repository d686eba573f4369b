public import Foundation
public import RecordIO
public import Examples

/// Deterministic digit-string-shaped records, for the demo and for testing any TFRecord reader
/// against a formula it can recompute (Tests/Interop does, with TensorFlow).
///
/// Record `i` holds `image` (28×140 bytes, byte `j` = `(i + 7j) mod 251`), `length`
/// (`1 + i mod 5`), `digits` (five int64: `(i + 3k) mod 10` for `k < length`, else 10), `weight`
/// (float32 `i / 4`) and `id` (UTF-8 `record-000042`).
public enum SyntheticRecords {
    /// Image rows and columns of every generated record.
    public static let imageShape = (height: 28, width: 140)

    /// Record `index`, as the type documentation describes.
    public static func example(index: Int) -> Example {
        let pixelCount = imageShape.height * imageShape.width
        var image = [UInt8](repeating: 0, count: pixelCount)
        for j in 0..<pixelCount { image[j] = UInt8((index + 7 * j) % 251) }
        let length = 1 + index % 5
        let digits = (0..<5).map { k in Int64(k < length ? (index + 3 * k) % 10 : 10) }
        return Example([
            "image": .bytes([image]),
            "length": .int64([Int64(length)]),
            "digits": .int64(digits),
            "weight": .float([Float(index) * 0.25]),
            "id": .bytes([Array(String(format: "record-%06d", index).utf8)]),
        ])
    }

    /// Writes `records` generated records as split `train` of dataset `name` into `shards` shards
    /// under `directory`, with index files and `manifest.json`; returns a one-line summary.
    public static func write(
        to directory: URL, name: String, records: Int, shards: Int, compression: Compression, quiet: Bool
    ) throws -> String {
        let progress = ProgressReporter(label: "generate \(name)/train", total: records, quiet: quiet)
        var schema = SchemaAccumulator()
        try createDirectory(directory)
        let writer = try ShardedWriter(
            directory: directory.path, name: name, split: "train",
            sharding: .shardCount(shards, totalRecords: records), compression: compression)
        var buffer: [UInt8] = []
        for index in 0..<records {
            let example = example(index: index)
            schema.observe(example)
            buffer.removeAll(keepingCapacity: true)
            example.serialize(into: &buffer)
            try writer.write(buffer)
            progress.advance()
        }
        let split = SplitManifest(shards: try writer.finish())
        progress.finish()
        let manifest = Manifest(
            name: name, version: "1.0.0", compression: compression, splits: ["train": split],
            features: schema.entries.map(FeatureSchema.init),
            metadata: ["generator": "shardkit generate", "records": String(records)])
        try manifest.write(to: directory.path)
        return "wrote \(records) records in \(shards) shards (\(split.bytes) bytes) to \(directory.path)"
    }
}
