internal import ShardKitSupport
import RecordIO
public import Foundation

/// Finds the record files and manifests named on a command line: files as given, and in each
/// directory every `*.tfrecord*` file (not index files, temporaries or hidden files), sorted. A
/// dataset's index files live in its `index/` folder (`ShardIndex`), which is not searched.
public enum ShardFiles {
    /// The record files and manifests below `paths`.
    public struct Found: Sendable {
        /// Record files, in command-line order, each directory's files sorted by name.
        public var records: [URL]
        /// `manifest.json` files of the directories named.
        public var manifests: [URL]
        /// The directories named, with every file name in each (for what a manifest does not list).
        public var directories: [(url: URL, names: [String])] = []

        /// True when nothing was found to look at: no record file and no manifest.
        public var isEmpty: Bool { records.isEmpty && manifests.isEmpty }
    }

    /// Resolves `paths`; a path that does not exist is a `.noInput` error naming it.
    public static func resolve(_ paths: [String]) throws(DatasetError) -> Found {
        var found = Found(records: [], manifests: [])
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw DatasetError(.noInput, path: path, "no such file or directory")
            }
            let url = URL(fileURLWithPath: path)
            guard isDirectory.boolValue else {
                found.records.append(url)
                continue
            }
            let names: [String]
            do { names = try fm.contentsOfDirectory(atPath: path).sorted() } catch {
                throw DatasetError(.noInput, path: path, "cannot list directory: \(error.localizedDescription)")
            }
            found.directories.append((url, names))
            for name in names where isRecordFileName(name) {
                found.records.append(url.appendingPathComponent(name))
            }
            if names.contains("manifest.json") {
                found.manifests.append(url.appendingPathComponent("manifest.json"))
            }
        }
        return found
    }

    /// `mnist-train.tfrecord-00000-of-00004.index` yes: in `index/`, or beside the shards where
    /// earlier versions put it.
    static func isIndexFileName(_ name: String) -> Bool {
        !name.hasPrefix(".") && name.contains(".tfrecord") && name.hasSuffix(".index")
    }

    /// `mnist-train.tfrecord-00000-of-00004` yes; `….index`, `.…tmp…`, `manifest.json` no.
    static func isRecordFileName(_ name: String) -> Bool {
        !name.hasPrefix(".") && name.contains(".tfrecord") && !name.hasSuffix(".index") && !name.contains(".tmp")
    }
}
