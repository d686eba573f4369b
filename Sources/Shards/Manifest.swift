public import Examples
internal import ShardKitSupport
public import RecordIO
import Foundation

/// One shard file: its name relative to the dataset directory, record count, size in bytes,
/// SHA-256 (hex) of its bytes, and its index file's path relative to the dataset directory,
/// `index/{file}.index` (see `ShardIndex`; nil for ZLIB shards, which have none).
public struct ShardManifest: Codable, Sendable, Equatable {
    /// The shard's file name, e.g. `mnist-train.tfrecord-00000-of-00004`.
    public var file: String
    /// Records in the shard.
    public var records: Int
    /// The shard's size on disk (compressed size for compressed shards).
    public var bytes: Int64
    /// SHA-256 of the file's bytes, 64 lowercase hex digits; `verify` recomputes it.
    public var sha256: String
    /// The index file, `index/{file}.index`; nil when the shard has none.
    public var index: String?

    /// A shard entry as a writer reports it.
    public init(file: String, records: Int, bytes: Int64, sha256: String, index: String?) {
        self.file = file
        self.records = records
        self.bytes = bytes
        self.sha256 = sha256
        self.index = index
    }
}

/// The shards of one split with their totals.
public struct SplitManifest: Codable, Sendable, Equatable {
    /// The sum of the shards' records.
    public var records: Int
    /// The sum of the shards' sizes on disk.
    public var bytes: Int64
    /// The shards in order: shard k holds the records after those of shards 0…k−1.
    public var shards: [ShardManifest]
    /// How this split stores its images when that differs from the dataset's `image` (an
    /// augmentation that crops, resizes or grays some splits only); nil: as the dataset's.
    public var image: ImageSpec?

    /// Totals computed from the shards.
    public init(shards: [ShardManifest], image: ImageSpec? = nil) {
        self.shards = shards
        self.image = image
        records = shards.reduce(0) { $0 + $1.records }
        bytes = shards.reduce(0) { $0 + $1.bytes }
    }
}

/// `manifest.json`: the dataset's splits and shards, written last so that a directory with a
/// manifest is complete. Encoded pretty-printed with sorted keys: the same dataset gives the same
/// bytes.
public struct Manifest: Codable, Sendable, Equatable {
    /// The manifest's file name in the dataset directory.
    public static let fileName = "manifest.json"

    /// The dataset's name, the prefix of its shard names (`mnist`, `svhn_cropped`).
    public var name: String
    /// The dataset's version, as TFDS wants one (`1.0.0` for everything ShardKit writes).
    public var version: String
    /// The file format of the shards: `tfrecord`.
    public var format: String
    /// The compression of every shard of the dataset.
    public var compression: Compression
    /// The splits by name (`train`, `test`, …).
    public var splits: [String: SplitManifest]
    /// What the records hold, key by key (kinds and value counts, as the writer observed).
    public var features: [SchemaEntry]
    /// How the records store their images (shape and encoding), when they hold images: what
    /// every reader decodes them by.
    public var image: ImageSpec?
    /// Free-form facts about how the dataset was made (source format, seed, augmentation,
    /// skipped records); informational, no reader depends on them.
    public var metadata: [String: String]
    /// `sha256:` and the SHA-256 of this manifest's JSON written with `checksum` left out: any
    /// change to the file after it was written shows (see `checksumMismatch(in:)`).
    public var checksum: String?

    /// A manifest without a checksum; `encoded()` adds it when the manifest is written.
    public init(
        name: String, version: String, format: String = "tfrecord", compression: Compression = .none,
        splits: [String: SplitManifest] = [:], features: [SchemaEntry] = [], image: ImageSpec? = nil,
        metadata: [String: String] = [:]
    ) {
        self.name = name
        self.version = version
        self.format = format
        self.compression = compression
        self.splits = splits
        self.features = features
        self.image = image
        self.metadata = metadata
    }

    /// The JSON bytes (pretty-printed, sorted keys, newline-terminated), with `checksum` set to
    /// the SHA-256 of the same JSON without it.
    public func encoded() throws(RecordIOError) -> [UInt8] {
        var unsealed = self
        unsealed.checksum = nil
        var sealed = self
        sealed.checksum = "sha256:" + sha256(of: try unsealed.plainJSON())
        return try sealed.plainJSON()
    }

    private func plainJSON() throws(RecordIOError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return [UInt8](try encoder.encode(self)) + [UInt8(ascii: "\n")]
        } catch {
            throw RecordIOError(path: Self.fileName, kind: .invalidArgument("cannot encode manifest: \(error)"))
        }
    }

    /// Why the manifest file holding `bytes` is not exactly what `encoded()` wrote for the
    /// manifest it decodes to (a changed value, a changed byte, no checksum), or nil when it is.
    public static func checksumMismatch(in bytes: [UInt8]) -> String? {
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(bytes)) else {
            return "not a valid manifest"
        }
        guard let recorded = manifest.checksum else { return "the manifest has no checksum" }
        guard let expected = try? manifest.encoded() else { return "the manifest cannot be encoded again" }
        guard let sealed = try? JSONDecoder().decode(Manifest.self, from: Data(expected)),
            sealed.checksum == recorded
        else { return "the manifest's content does not match its checksum (\(recorded))" }
        guard expected == bytes else { return "the manifest's bytes differ from what its content encodes to" }
        return nil
    }

    /// How `split` stores its images: its own entry, else the dataset's `image`.
    public func image(of split: String) -> ImageSpec? { splits[split]?.image ?? image }

    /// Writes `directory/manifest.json` atomically (temporary file, fsync, rename).
    public func write(to directory: String) throws(RecordIOError) {
        try writeFileAtomically(try encoded(), to: joinPath(directory, Self.fileName))
    }

    /// Reads a manifest from a directory (its `manifest.json`) or from a file path.
    public static func read(from path: String) throws(RecordIOError) -> Manifest {
        let filePath = isDirectory(path) ? joinPath(path, fileName) : path
        guard let data = FileManager.default.contents(atPath: filePath) else {
            throw RecordIOError(path: filePath, kind: .io("cannot read the manifest"))
        }
        do {
            return try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw RecordIOError(path: filePath, kind: .invalidArgument("not a valid manifest: \(error)"))
        }
    }

    /// Merges manifests of the same dataset written separately (e.g. one run per split). Name,
    /// version, format and compression must agree; splits must be distinct; features must agree
    /// where given; metadata is the union and must not disagree on a key.
    public static func merged(_ parts: [Manifest]) throws(RecordIOError) -> Manifest {
        guard var result = parts.first else {
            throw RecordIOError(path: fileName, kind: .invalidArgument("nothing to merge"))
        }
        for part in parts.dropFirst() {
            try result.merge(part)
        }
        return result
    }

    /// Adds another manifest's splits, features and metadata to this one (see `merged`).
    public mutating func merge(_ other: Manifest) throws(RecordIOError) {
        func conflict(_ what: String) -> RecordIOError {
            RecordIOError(path: Self.fileName, kind: .invalidArgument("cannot merge manifests: \(what)"))
        }
        guard name == other.name, version == other.version, format == other.format,
            compression == other.compression
        else { throw conflict("name, version, format or compression differ") }
        for (split, manifest) in other.splits {
            if let existing = splits[split], existing != manifest { throw conflict("split \(split) appears twice") }
            splits[split] = manifest
        }
        if features.isEmpty {
            features = other.features
        } else if !other.features.isEmpty && features != other.features {
            throw conflict("features differ")
        }
        for (key, value) in other.metadata {
            if let existing = metadata[key], existing != value { throw conflict("metadata \(key) differs") }
            metadata[key] = value
        }
    }
}
