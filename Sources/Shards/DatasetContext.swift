public import Foundation

/// What the directories of some shards say about them, for people reading them (`inspect`, its
/// contact sheets): each shard's split, how its images are stored (`ImageSpec`), and class names.
/// Read once from `manifest.json` and TFDS's `{key}.labels.txt`; a missing or unreadable file
/// only means less is known (inspection must work on bare record files too).
public struct DatasetContext: Sendable {
    /// The feature holding the images, from the first manifest with an image entry.
    public var imageKey: String?
    /// Shard file name → split, from the manifests.
    private var splitOfFile: [String: String] = [:]
    /// Directory path → its manifest.
    private var manifestOfDirectory: [String: Manifest] = [:]
    /// Feature key → class names (index i names class i), for the keys looked up so far.
    private var namesOfKey: [String: [String]] = [:]
    private let directories: [URL]
    private var manifests: [Manifest] = []

    /// Reads the manifests of `directories` (sorted by path, so the first one wins for the image key).
    public init(directories: [URL]) {
        self.directories = Array(Set(directories.map(\.standardizedFileURL))).sorted { $0.path < $1.path }
        for directory in self.directories {
            let path = directory.appendingPathComponent(Manifest.fileName).path
            guard FileManager.default.fileExists(atPath: path), let manifest = try? Manifest.read(from: path) else {
                continue
            }
            manifests.append(manifest)
            manifestOfDirectory[directory.path] = manifest
            if imageKey == nil { imageKey = manifest.image?.key }
            for (split, entry) in manifest.splits {
                for shard in entry.shards { splitOfFile[(shard.file as NSString).lastPathComponent] = split }
            }
        }
    }

    /// The context of the directories holding `files`.
    public init(files: [URL]) {
        self.init(directories: files.map { $0.deletingLastPathComponent() })
    }

    /// The split `file` belongs to: as its manifest lists it, else from a name of the form
    /// `{name}-{split}.tfrecord…` (how ShardKit and TFDS name shards); nil when neither says.
    public func split(of file: URL) -> String? {
        let name = file.lastPathComponent
        if let split = splitOfFile[name] { return split }
        guard let range = name.range(of: ".tfrecord") else { return nil }
        let stem = name[..<range.lowerBound]
        guard let dash = stem.lastIndex(of: "-") else { return nil }
        let split = stem[stem.index(after: dash)...]
        return split.isEmpty ? nil : String(split)
    }

    /// How the records of `file` store their images, as the manifest beside it says for the
    /// file's split; nil for a file with no manifest beside it (bare record files), or a dataset
    /// without images.
    public func image(of file: URL) -> ImageSpec? {
        guard let manifest = manifestOfDirectory[file.deletingLastPathComponent().standardizedFileURL.path] else {
            return nil
        }
        return split(of: file).flatMap { manifest.image(of: $0) } ?? manifest.image
    }

    /// The class names of the int64 feature `key`: TFDS's `{key}.labels.txt` beside the shards
    /// (one name per line, as ShardKit and TFDS write it), else a manifest's `{key}_names`
    /// metadata entry in the same form; nil when there are none.
    public mutating func classNames(of key: String) -> [String]? {
        if let names = namesOfKey[key] { return names.isEmpty ? nil : names }
        var found: [String] = []
        for directory in directories {
            let file = directory.appendingPathComponent("\(key).labels.txt")
            if let data = FileManager.default.contents(atPath: file.path) {
                found = Self.lines(String(decoding: data, as: UTF8.self))
                break
            }
        }
        if found.isEmpty, let text = manifests.lazy.compactMap({ $0.metadata["\(key)_names"] }).first {
            found = Self.lines(text)
        }
        namesOfKey[key] = found
        return found.isEmpty ? nil : found
    }

    /// Non-empty lines, trimmed, trailing empty lines dropped (an empty line in the middle keeps
    /// its place: class i stays on line i).
    static func lines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0).trimmingCharacters(in: .whitespaces)
        }.reversed().drop { $0.isEmpty }.reversed()
    }

    /// `files` in the order people read a dataset: per directory (in the order first named),
    /// train, then validation, then test, then other splits by name, then files of no known
    /// split; within a split in the order given. Returns each file with its split.
    public func readingOrder(_ files: [URL]) -> [(url: URL, split: String?)] {
        var directoryRank: [String: Int] = [:]
        for file in files {
            let directory = file.deletingLastPathComponent().standardizedFileURL.path
            if directoryRank[directory] == nil { directoryRank[directory] = directoryRank.count }
        }
        let tagged = files.enumerated().map { position, url in (position: position, url: url, split: split(of: url)) }
        return tagged.sorted { a, b in
            let da = directoryRank[a.url.deletingLastPathComponent().standardizedFileURL.path]!
            let db = directoryRank[b.url.deletingLastPathComponent().standardizedFileURL.path]!
            if da != db { return da < db }
            let ra = Self.splitRank(a.split)
            let rb = Self.splitRank(b.split)
            if ra != rb { return ra < rb }
            if a.split != b.split { return (a.split ?? "") < (b.split ?? "") }
            return a.position < b.position
        }.map { ($0.url, $0.split) }
    }

    /// 0 train, 1 validation, 2 test, 3 any other split, 4 none.
    static func splitRank(_ split: String?) -> Int {
        switch split {
        case "train": 0
        case "validation": 1
        case "test": 2
        case nil: 4
        default: 3
        }
    }
}
