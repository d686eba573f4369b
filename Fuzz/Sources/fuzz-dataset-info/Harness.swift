// `dataset_info.json` as verify reads it: a one-shard dataset (one record, its manifest) is made
// once; each input becomes its dataset_info.json and the dataset is verified. Whatever the file
// holds, verify reports problems and never fails otherwise.
import Examples
import FuzzSupport
import RecordIO
import Shards

/// The dataset folder, made on first use.
private let dataset: String = {
    let directory = Scratch.path("dataset")
    Scratch.makeDirectory(directory)
    let shardName = "fuzz-train.tfrecord-00000-of-00001"
    let shardPath = "\(directory)/\(shardName)"
    do {
        var writer = try RecordWriter(path: shardPath)
        try writer.write(Example(["label": .int64(7)]).serialized())
        let summary = try writer.close()
        let shard = ShardManifest(
            file: shardName, records: summary.records, bytes: summary.fileBytes,
            sha256: try sha256(fileAt: shardPath), index: nil)
        try Manifest(name: "fuzz", version: "1.0.0", splits: ["train": SplitManifest(shards: [shard])])
            .write(to: directory)
    } catch {
        fatalError("fuzz harness: cannot make the dataset: \(error)")
    }
    return directory
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDatasetInfo(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let directory = dataset
    Scratch.write(fuzzInput(data, size), to: "dataset/dataset_info.json")
    guard let found = try? ShardFiles.resolve([directory]) else {
        fuzzCheck(false, "the dataset folder cannot be listed")
        return 0
    }
    let report = ShardVerifier().verify(found)
    fuzzCheck(report.records == 1, "verify did not read the shard's one record")
    return 0
}
