internal import ShardKitSupport
internal import Foundation
package import Examples
package import RecordIO

/// What a writer leaves beside each complete shard, so that another process (a resumed run,
/// `shardkit commit`) can take the shard without reading it: its manifest entry, where its
/// records sit in the split, what its Examples hold, and the fingerprint of the job that wrote it.
///
/// A receipt is written (atomically) only after its shard and index file are complete and
/// fsynced (in place under their final names, or in a one-process run's staging folder), so a
/// receipt always describes a whole shard, and a shard without one is written again.
package struct ShardReceipt: Codable, Equatable, Sendable {
    package var split: String
    /// k of `-0000k-of-0000n`.
    package var shard: Int
    package var shardCount: Int
    /// The split's records `firstRecord ..< firstRecord + entry.records`.
    package var firstRecord: Int
    package var entry: ShardManifest
    /// The shard's name where it waits, when not its final name (a one-process run with a target
    /// size: `-of-n` is known only at the end, and the commit's one rename gives it).
    package var stagedAs: String?
    /// The index file's size, when the shard has one.
    package var indexBytes: Int64?
    /// The feature kinds and counts of the shard's Examples (merged over shards at commit).
    package var schema: SchemaAccumulator
    /// `DatasetJob.fingerprintDigest` of the job that wrote the shard.
    package var fingerprint: String
    /// `i/N` for a worker, `whole` for a one-process run.
    package var writer: String

    /// The receipt's file name: the shard's name and `.receipt.json`.
    package static func fileName(forShard file: String) -> String { file + ".receipt.json" }

    package func write(to directory: String, durable: Bool) throws(RecordIOError) {
        try writeFileAtomically(try canonicalJSON(self, path: directory), to: joinPath(directory, Self.fileName(forShard: entry.file)), durable: durable)
    }

    /// The receipt of `shardFile` in `directory`, or nil when there is none or it does not decode.
    package static func read(shardFile: String, in directory: String) -> ShardReceipt? {
        guard let data = FileManager.default.contents(atPath: joinPath(directory, fileName(forShard: shardFile))) else {
            return nil
        }
        return try? JSONDecoder().decode(ShardReceipt.self, from: data)
    }

    /// Why the shard this receipt describes, in `directory`, is not the shard it describes (a
    /// missing file, another size), or nil when it checks out. Sizes only: O(1) per shard, which
    /// is what `commit` can afford; `shardkit verify` reads every byte afterwards.
    package func mismatch(in directory: String) -> String? {
        let file = stagedAs ?? entry.file
        let path = joinPath(directory, file)
        guard let size = fileSize(path) else { return "\(file) is missing" }
        guard size == entry.bytes else { return "\(file) has \(size) bytes, its receipt says \(entry.bytes)" }
        if entry.index != nil, let indexBytes {
            let index = ShardIndex.relativePath(forShard: file)
            guard let size = fileSize(joinPath(directory, index)) else { return "\(index) is missing" }
            guard size == indexBytes else { return "\(index) has \(size) bytes, its receipt says \(indexBytes)" }
        }
        return nil
    }
}

/// A file's size, nil when it does not exist.
package func fileSize(_ path: String) -> Int64? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
        let size = attributes[.size] as? NSNumber
    else { return nil }
    return size.int64Value
}

/// JSON with sorted keys, pretty-printed and newline-terminated: the same value gives the same bytes.
package func canonicalJSON<T: Encodable>(_ value: T, path: String) throws(RecordIOError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
        return [UInt8](try encoder.encode(value)) + [UInt8(ascii: "\n")]
    } catch {
        throw RecordIOError(path: path, kind: .invalidArgument("cannot encode JSON: \(error)"))
    }
}

/// Everything `commit` needs to finish a dataset that other processes wrote: the description
/// (rendered side files, metadata), the plan (splits, record and shard counts) and the
/// fingerprint of the options and input the shards were made from. Each worker writes its own
/// copy when it ends; every copy of one dataset is the same.
package struct DatasetJob: Codable, Equatable, Sendable {
    package struct SplitPlan: Codable, Equatable, Sendable {
        package var name: String
        package var records: Int
        package var shards: Int

        package init(name: String, records: Int, shards: Int) {
            self.name = name
            self.records = records
            self.shards = shards
        }
    }

    /// A side file, as generated from the description.
    package struct SideFile: Codable, Equatable, Sendable {
        package var name: String
        /// The file's bytes, base64.
        package var base64: String
    }

    package var name: String
    package var description: String
    package var supervisedKeys: [String]?
    package var image: ImageSpec?
    /// Splits whose images differ from `image` (`DatasetSpec.splitImages`); nil when none do.
    package var splitImages: [String: ImageSpec]?
    package var metadata: [String: String]
    package var compression: Compression
    /// In the order they are written and listed.
    package var splits: [SplitPlan]
    /// Side files that do not depend on the shards (label names, `features.json`, …), in order.
    package var files: [SideFile]
    /// What the shards depend on: the options and the input, as readable `name → value` pairs.
    package var fingerprint: [String: String]

    /// The SHA-256 of the fingerprint's sorted `name=value` lines: what receipts carry.
    package var fingerprintDigest: String { Self.digest(fingerprint) }

    package static func digest(_ fingerprint: [String: String]) -> String {
        let lines = fingerprint.keys.sorted().map { "\($0)=\(fingerprint[$0]!)\n" }.joined()
        return sha256(of: Array(lines.utf8))
    }

    /// One line per difference between two fingerprints: `name: was A, now B`.
    package static func differences(_ old: [String: String], _ new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).sorted().compactMap { key in
            let (a, b) = (old[key], new[key])
            guard a != b else { return nil }
            return "\(key): was \(a ?? "unset"), now \(b ?? "unset")"
        }
    }

    /// The decoded side files.
    package var decodedFiles: [(String, [UInt8])] {
        files.map { ($0.name, [UInt8](Data(base64Encoded: $0.base64) ?? Data())) }
    }

    /// The side files that depend on the shards (`dataset_info.json`) and the manifest, for the
    /// finished `splits` (in this job's split order) and the `schema` their records showed.
    package func render(splits finished: [(name: String, manifest: SplitManifest)], schema: SchemaAccumulator)
        -> (files: [(String, [UInt8])], manifest: Manifest)
    {
        var files = decodedFiles
        if compression == .none {
            // TFDS reads uncompressed TFRecord shards only.
            files.append(
                (
                    "dataset_info.json",
                    TFDSMetadata.datasetInfoJSON(
                        name: name, version: DatasetDescription.version, description: description,
                        splits: finished, supervisedKeys: supervisedKeys.map { ($0[0], $0[1]) })
                ))
        }
        var manifest = Manifest(
            name: name, version: DatasetDescription.version, compression: compression,
            splits: Dictionary(uniqueKeysWithValues: finished.map { ($0.name, $0.manifest) }),
            features: schema.entries, image: image, metadata: metadata)
        for (split, image) in splitImages ?? [:] where manifest.splits[split] != nil {
            manifest.splits[split]?.image = image
        }
        return (files, manifest)
    }
}

extension DatasetDescription {
    /// This description as a job: side files rendered, with the plan and the fingerprint.
    package func job(compression: Compression, splits: [DatasetJob.SplitPlan], fingerprint: [String: String])
        -> DatasetJob
    {
        let rendered =
            TFDSMetadata.labelFiles(spec.features) + files
            + [("features.json", TFDSMetadata.featuresJSON(spec.tfdsFeatures))]
        return DatasetJob(
            name: name, description: description, supervisedKeys: spec.supervisedKeys.map { [$0.0, $0.1] }, image: spec.image,
            splitImages: spec.splitImages.isEmpty ? nil : spec.splitImages,
            metadata: metadata, compression: compression, splits: splits,
            files: rendered.map { DatasetJob.SideFile(name: $0.0, base64: Data($0.1).base64EncodedString()) },
            fingerprint: fingerprint)
    }
}
