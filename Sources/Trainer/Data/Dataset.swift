import RecordIO
public import Shards
import Examples

/// A dataset directory as the trainer sees it: its manifest, and per split the shard paths.
public struct Dataset: Sendable {
    /// The dataset directory, as given.
    public let directory: String
    /// Its `manifest.json`: splits, shards, features, image shape and metadata.
    public let manifest: Manifest

    /// Reads `directory/manifest.json`; throws `DataError.Kind.missing` when it cannot.
    public init(directory: String) throws(DataError) {
        self.directory = directory
        do {
            manifest = try Manifest.read(from: directory)
        } catch {
            throw DataError(
                .missing, path: directory, message: "no readable manifest.json: \(error.reason)", underlying: error)
        }
    }

    /// The split names, sorted.
    public var splits: [String] { manifest.splits.keys.sorted() }

    /// The records in `split` (0 if absent).
    public func recordCount(_ split: String) -> Int { manifest.splits[split]?.records ?? 0 }

    /// The shard paths of `split`, in manifest order.
    func shardPaths(_ split: String) throws(DataError) -> [String] {
        guard let s = manifest.splits[split] else {
            throw DataError(
                .unusable, path: directory, message: "no split '\(split)' (has \(splits.joined(separator: ", ")))")
        }
        return s.shards.map { directory.hasSuffix("/") ? directory + $0.file : directory + "/" + $0.file }
    }

    /// The shape `[H, W, C]` of the images `split` stores (-1: a size that varies), from the
    /// manifest's image spec, if any.
    func storedImageShape(_ split: String) -> [Int]? { manifest.image(of: split)?.shape }

    /// How `split` stores its images, as the manifest declares it; the loader decodes by it.
    func storedImage(_ split: String) throws(DataError) -> ImageSpec {
        guard let spec = manifest.image(of: split) else {
            throw DataError(
                .unusable, path: directory + "/manifest.json",
                message: "the manifest declares no image (an \"image\" entry with its key, shape and encoding)")
        }
        return spec
    }

    /// The split used for validation: `validation`, else `test`, else nil.
    public var validationSplit: String? {
        ["validation", "test"].first { manifest.splits[$0] != nil }
    }

    /// Checks that the manifest's schema has what `spec` reads (kinds and value counts).
    func check(_ spec: InputSpec) throws(DataError) {
        guard !manifest.features.isEmpty else { return }
        var wanted: [(String, FeatureKind, Int?)] = [(spec.imageKey, .bytes, nil)]
        switch spec.labels {
        case .classifier(let key, _): wanted.append((key, .int64, 1))
        case .digitString(let l, let d): wanted += [(l, .int64, 1), (d, .int64, 5)]
        }
        for (key, kind, count) in wanted {
            guard let f = manifest.features.first(where: { $0.key == key }) else {
                throw DataError(
                    path: directory + "/manifest.json",
                    message:
                        "the model needs feature '\(key)' (\(kind)); the dataset has \(manifest.features.map(\.key).joined(separator: ", "))"
                )
            }
            guard f.kind == kind, count == nil || (f.minCount == count && f.maxCount == count) else {
                throw DataError(
                    path: directory + "/manifest.json",
                    message:
                        "feature '\(key)': expected \(count.map { "\($0) " } ?? "")\(kind), found \(f.minCount)...\(f.maxCount) \(f.kind)"
                )
            }
        }
    }
}
