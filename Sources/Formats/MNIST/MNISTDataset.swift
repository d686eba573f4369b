public import Foundation

/// The idx files of one MNIST-style dataset folder, found by name:
/// `*train-images-idx3-ubyte`, `*train-labels-idx1-ubyte`, `*t10k-…` or `*test-…` (EMNIST),
/// each with or without `.gz`, and with `-` or `.` before `idx` (`train-images.idx3-ubyte`).
/// A prefix is allowed (`emnist-digits-train-images-idx3-ubyte`) as long as only one dataset
/// is in the folder. When both a plain and a `.gz` file exist, the plain one is used.
public struct MNISTDataset: Sendable {
    /// The two splits idx datasets ship; the raw value is the split's name (`train`, `test`).
    public enum Split: String, Sendable, CaseIterable {
        /// `*train-*` files.
        case train
        /// `*t10k-*` or `*test-*` files.
        case test
    }

    /// The image and label file of one split.
    public struct Files: Sendable, Equatable {
        /// The idx3 image file (`.gz` or plain).
        public var images: URL
        /// The idx1 label file (`.gz` or plain).
        public var labels: URL
    }

    /// The folder searched, as given.
    public let directory: URL
    /// Files found per split; a split with neither file is absent.
    public let splits: [Split: Files]

    /// The files in `directory`; with `prefix`, only those whose names start with it (EMNIST's
    /// folder holds six sets: `prefix: "emnist-letters-"`).
    public init(directory: URL, prefix: String? = nil) throws(FormatError) {
        try self.init(names: try Self.names(in: directory), in: directory, prefix: prefix)
    }

    /// The files among `names`, the files directly in `directory` (a folder on disk, or a folder
    /// inside an archive, e.g. `…/gzip.zip/gzip`, whose entries are listed by the caller); the
    /// `Files` are `directory` + name.
    public init(names: [String], in directory: URL, prefix: String? = nil) throws(FormatError) {
        self.directory = directory
        let all = Self.candidates(names.sorted())
        var found = all
        if let prefix {
            found = all.mapValues { $0.filter { $0.prefix == prefix } }.filter { !$0.value.isEmpty }
            guard !found.isEmpty else {
                throw FormatError(
                    .missingFile, path: directory.path, "no idx files named \(prefix)…",
                    found: all.isEmpty ? nil : Self.prefixes(in: all).map { "'\($0)'" }.joined(separator: ", "))
            }
        }
        let prefixes = Set(found.values.flatMap { $0.map(\.prefix) })
        guard prefixes.count <= 1 else {
            throw FormatError(
                .io, path: directory.path, "more than one idx dataset in the folder",
                expected: "one", found: prefixes.sorted().map { "'\($0)'" }.joined(separator: ", "))
        }
        func pick(_ key: String) -> URL? {
            guard let candidates = found[key], !candidates.isEmpty else { return nil }
            let best = candidates.first { !$0.gz } ?? candidates[0]
            return directory.appendingPathComponent(best.name)
        }
        var splits: [Split: Files] = [:]
        for split in Split.allCases {
            let images = pick("\(split.rawValue)/images")
            let labels = pick("\(split.rawValue)/labels")
            switch (images, labels) {
            case (let i?, let l?): splits[split] = Files(images: i, labels: l)
            case (nil, nil): break
            case (let i?, nil):
                throw FormatError(.missingFile, path: i.path, "no label file beside this \(split.rawValue) image file")
            case (nil, let l?):
                throw FormatError(.missingFile, path: l.path, "no image file beside this \(split.rawValue) label file")
            }
        }
        guard !splits.isEmpty else {
            throw FormatError(
                .missingFile, path: directory.path, "no idx files (…-images-idx3-ubyte[.gz], …-labels-idx1-ubyte[.gz])")
        }
        self.splits = splits
    }

    /// The name prefixes of the idx files in `directory` (`""` for plain `train-images-…`),
    /// sorted: one per dataset the folder holds.
    public static func prefixes(in directory: URL) throws(FormatError) -> [String] {
        prefixes(names: try names(in: directory))
    }

    /// The same for files named `names`.
    public static func prefixes(names: [String]) -> [String] {
        prefixes(in: candidates(names.sorted()))
    }

    private static func prefixes(in found: [String: [Candidate]]) -> [String] {
        Set(found.values.flatMap { $0.map(\.prefix) }).sorted()
    }

    private typealias Candidate = (prefix: String, name: String, gz: Bool)

    /// The names in `directory`, as listed.
    private static func names(in directory: URL) throws(FormatError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw FormatError(.io, path: directory.path, "cannot list the folder: \(error.localizedDescription)")
        }
    }

    /// (split/kind) → the files among `names` (sorted) that could be it, with their prefix.
    private static func candidates(_ names: [String]) -> [String: [Candidate]] {
        var found: [String: [Candidate]] = [:]
        for name in names {
            let gz = name.hasSuffix(".gz")
            let stem = (gz ? String(name.dropLast(3)) : name).replacingOccurrences(of: ".idx", with: "-idx")
            for (splitWord, split) in [("train", Split.train), ("t10k", .test), ("test", .test)] {
                for (kindWord, kind) in [("images-idx3-ubyte", "images"), ("labels-idx1-ubyte", "labels")] {
                    let suffix = "\(splitWord)-\(kindWord)"
                    if stem.hasSuffix(suffix) {
                        let prefix = String(stem.dropLast(suffix.count))
                        found["\(split.rawValue)/\(kind)", default: []].append((prefix, name, gz))
                    }
                }
            }
        }
        return found
    }

    /// The files of `split`, or a `.missingFile` error naming the folder.
    public func files(for split: Split) throws(FormatError) -> Files {
        guard let files = splits[split] else {
            throw FormatError(.missingFile, path: directory.path, "no \(split.rawValue) split in the folder")
        }
        return files
    }

    /// A reader over `split`.
    public func reader(for split: Split) throws(FormatError) -> MNISTReader {
        let files = try files(for: split)
        return try MNISTReader(images: files.images, labels: files.labels)
    }
}
