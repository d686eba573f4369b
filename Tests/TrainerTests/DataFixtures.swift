import Examples
import Foundation
import RecordIO
import Shards
import TestSupport

@_spi(Benchmarks) @testable import Trainer

/// Writes a small dataset of raw `size`×`size`×1 images: record i of a split has label
/// `labelOf(i)` and pixels `(i + 3·p) mod 256`, in the bytes feature `imageKey`. Returns the
/// directory (the caller removes it).
func writeClassifierDataset(
    splits: [String: Int], shards: Int = 3, size: Int = 28, classes: Int = 10, imageKey: String = "image",
    label labelOf: @escaping (Int) -> Int64 = { Int64($0 % 10) },
    corrupt: (split: String, record: Int)? = nil
) throws -> URL {
    let dir = try FixturePaths.makeScratchDirectory("trainer-data")
    var splitManifests: [String: SplitManifest] = [:]
    for (split, count) in splits.sorted(by: { $0.key < $1.key }) {
        let writer = try ShardedWriter(
            directory: dir.path, name: "toy", split: split, sharding: .shards(shards), records: count,
            durable: false)
        for i in 0..<count {
            let pixels = (0..<(size * size)).map { UInt8(truncatingIfNeeded: i + 3 * $0) }
            var features: [String: Feature] = [imageKey: .bytes([pixels]), "label": .int64(labelOf(i))]
            if let corrupt, corrupt.split == split, corrupt.record == i { features["label"] = .int64(Int64(classes)) }
            try writer.write(Example(features).serialized())
        }
        splitManifests[split] = SplitManifest(shards: try writer.finish())
    }
    let manifest = Manifest(
        name: "toy", version: "1.0.0", splits: splitManifests,
        features: [
            SchemaEntry(key: imageKey, kind: .bytes, minCount: 1, maxCount: 1),
            SchemaEntry(key: "label", kind: .int64, minCount: 1, maxCount: 1),
        ],
        image: ImageSpec(key: imageKey, height: size, width: size, channels: 1, encoding: .raw))
    try manifest.write(to: dir.path)
    return dir
}

/// The label of every record, in the order the loader delivers them.
func loadLabels(_ dir: URL, split: String = "train", spec: InputSpec, options: ShardLoader.Options) throws -> [Int32] {
    let loader = try ShardLoader(dataset: try Dataset(directory: dir.path), split: split, spec: spec, options: options)
    var labels: [Int32] = []
    while let batch = try loader.nextBatch() { labels += batch.labels[0] }
    return labels
}
