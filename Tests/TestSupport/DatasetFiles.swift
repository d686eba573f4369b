public import Foundation
import RecordIO

// Helpers for tests that damage a dataset folder and compare it before and after.

/// SHA-256 of every file below `directory`, hidden ones and those in subfolders included, by path
/// relative to it: two folders with equal results hold the same files with the same bytes.
public func fileHashes(below directory: URL) throws -> [String: String] {
    var hashes: [String: String] = [:]
    let names = FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []
    for name in names {
        var isFolder: ObjCBool = false
        let path = directory.appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
            continue
        }
        hashes[name] = try sha256(fileAt: path)
    }
    return hashes
}

/// `(offset, length)` of every record of a plain shard, from its index file in the dataset's
/// `index/` folder (lines `offset length`).
public func indexLocations(ofShard shard: URL) throws -> [(offset: Int, length: Int)] {
    let index = shard.deletingLastPathComponent().appendingPathComponent("index/\(shard.lastPathComponent).index")
    return try String(decoding: readBytes(index.path), as: UTF8.self).split(separator: "\n").map { line in
        let fields = line.split(separator: " ").compactMap { Int($0) }
        return (fields[0], fields[1])
    }
}
