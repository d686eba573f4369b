internal import ShardKitSupport
public import Examples
public import Foundation
public import Imaging
public import RecordIO

/// Where record `index` of a split sits: its shard, its position in the shard and, when the shard
/// has an index file, its place in the file.
public struct RecordLocator: Sendable, Equatable {
    /// The split asked for (`train`, `test`, …).
    public var split: String
    /// The record's position in the split, from 0.
    public var index: Int
    /// The shard's file name, relative to the dataset directory.
    public var shard: String
    /// The record's position in its shard, from 0.
    public var indexInShard: Int
    /// From the shard's index file; nil for a shard without one (ZLIB), read from its start.
    public var location: RecordLocation?
}

/// Fetches single records of a dataset by split and position, in constant time whatever the
/// position, as a map-style data loader or `shardkit get` needs:
///
/// 1. the shard, from the manifest's per-shard record counts (a binary search over their running
///    totals, computed once per split);
/// 2. the record's line of the shard's index file (`ShardIndex`: fixed-width lines, so one `pread`
///    at `position × width`, after one of the first line for the width);
/// 3. the record: one `pread` of its framed bytes in a plain shard; in a GZIP shard the
///    inflation of its gzip member from the member's start up to the record's end (at most
///    `ShardedWriter.gzipMemberBytes` plus the record); both CRCs checked either way.
///
/// Shards without an index file (ZLIB shards, or files listed without one) are read from their
/// start up to the record: linear in its position in the shard. Uneven index lines (written by
/// another tool) are read up to the record's line.
///
/// Not thread-safe: it keeps the open shards (one descriptor each) for later calls.
public final class DatasetReader {
    /// The dataset directory: the manifest's shard and index paths are relative to it.
    public let directory: URL
    /// The dataset's manifest, read once at `init`.
    public let manifest: Manifest
    /// Per split, the first record of each shard and, last, the split's record count.
    private var firstRecords: [String: [Int]] = [:]
    private var openShards: [String: RecordFile] = [:]

    /// Reads `directory/manifest.json`. A missing directory or manifest is a `.noInput` error, a
    /// manifest that does not decode a `.badInput` one.
    public init(directory path: String) throws(DatasetError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw DatasetError(.noInput, path: path, "no such dataset directory")
        }
        directory = URL(fileURLWithPath: path)
        let manifestPath = directory.appendingPathComponent(Manifest.fileName).path
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw DatasetError(
                .noInput, path: manifestPath, "no \(Manifest.fileName): not a complete ShardKit dataset (interrupted, or not written by shardkit)")
        }
        do { manifest = try Manifest.read(from: manifestPath) } catch {
            throw DatasetError(error.category == .missingInput ? .noInput : .badInput, path: manifestPath, error.reason)
        }
        for (name, split) in manifest.splits {
            var starts = [0]
            for shard in split.shards { starts.append(starts.last! + shard.records) }
            firstRecords[name] = starts
        }
    }

    /// The split names, sorted.
    public var splitNames: [String] { manifest.splits.keys.sorted() }

    /// The number of records of `split`.
    public func count(of split: String) throws(DatasetError) -> Int {
        try starts(of: split).last!
    }

    private func starts(of split: String) throws(DatasetError) -> [Int] {
        guard let starts = firstRecords[split] else {
            throw DatasetError(
                .usage, path: directory.path,
                "no split \"\(split)\" in this dataset; its splits are \(splitNames.joined(separator: ", "))")
        }
        return starts
    }

    /// Where record `index` of `split` is: the shard from the manifest, the place from the
    /// shard's index file. An unknown split or an index out of range is a `.usage` error.
    public func locate(split: String, index: Int) throws(DatasetError) -> RecordLocator {
        let starts = try starts(of: split)
        let count = starts.last!
        guard index >= 0 && index < count else {
            throw DatasetError(
                .usage, path: directory.path,
                count == 0
                    ? "split \(split) has no records"
                    : "split \(split) has \(count) records (0 to \(count - 1)); \(index) is out of range")
        }
        // The last shard whose first record is at or before `index` (empty shards share a start).
        var low = 0
        var high = starts.count - 2
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= index { low = middle } else { high = middle - 1 }
        }
        let shard = manifest.splits[split]!.shards[low]
        let inShard = index - starts[low]
        var location: RecordLocation?
        if let indexFile = shard.index {
            location = try ShardIndex.location(
                inShard, records: shard.records, indexAt: directory.appendingPathComponent(indexFile).path)
        }
        return RecordLocator(split: split, index: index, shard: shard.file, indexInShard: inShard, location: location)
    }

    /// The payload of record `index` of `split` (see the type's documentation for the cost).
    public func record(split: String, index: Int) throws(DatasetError) -> [UInt8] {
        try record(at: locate(split: split, index: index))
    }

    /// The payload of the record `locator` points at. A damaged record is a `.badInput` error
    /// naming the shard, the record's position in it and its byte offset (in the decompressed
    /// stream, for GZIP shards).
    public func record(at locator: RecordLocator) throws(DatasetError) -> [UInt8] {
        let path = directory.appendingPathComponent(locator.shard).path
        guard let location = locator.location else { return try sequentialRecord(locator.indexInShard, of: path) }
        do {
            let file: RecordFile
            if let open = openShards[locator.shard] {
                file = open
            } else {
                file = try RecordFile(path: path)
                openShards[locator.shard] = file
            }
            return try file.record(at: location, recordIndex: locator.indexInShard)
        } catch {
            throw DatasetError(error)
        }
    }

    /// Record `position` of a shard without an index, read from the shard's start.
    private func sequentialRecord(_ position: Int, of path: String) throws(DatasetError) -> [UInt8] {
        var seen = 0
        do {
            var reader = try RecordReader(path: path)
            while let payload = try reader.nextRecord() {
                if seen == position { return [UInt8](payload) }
                seen += 1
            }
        } catch {
            throw DatasetError(error)
        }
        throw DatasetError(
            .badInput, path: path, recordIndex: position, "the shard ends after \(seen) records; the manifest counts more")
    }

    /// Record `index` of `split` as a `tf.train.Example`; a payload that is none is `.badInput`.
    public func example(split: String, index: Int) throws(DatasetError) -> Example {
        try example(at: locate(split: split, index: index))
    }

    /// The record `locator` points at as a `tf.train.Example`; a payload that is none is `.badInput`.
    public func example(at locator: RecordLocator) throws(DatasetError) -> Example {
        let payload = try record(at: locator)
        do { return try Example(serializedBytes: payload) } catch {
            throw DatasetError(
                .badInput, path: directory.appendingPathComponent(locator.shard).path, recordIndex: locator.indexInShard,
                byteOffset: locator.location?.offset, "not a tf.train.Example: \(error)")
        }
    }

    /// The image of a record of `split` as PNG bytes, decoded as the manifest's `ImageSpec` for
    /// the split says: the stored bytes themselves when they are PNG; JPEG and raw pixels
    /// encoded as PNG. A dataset without images, or a record without the image feature, is a
    /// `.usage` error; an image that does not decode as the spec says, `.badInput`.
    public func imagePNG(of example: Example, split: String) throws(DatasetError) -> (png: [UInt8], image: Image) {
        guard let spec = manifest.image(of: split) else {
            throw DatasetError(.usage, path: directory.path, "the dataset's manifest declares no image feature")
        }
        guard let bytes = example.bytes(spec.key)?.first else {
            throw DatasetError(
                .usage, path: directory.path, "the record has no \"\(spec.key)\" bytes feature to write as an image")
        }
        let image: Image
        do { image = try spec.decode(bytes) } catch {
            throw DatasetError(
                .badInput, path: directory.path,
                "the record's \"\(spec.key)\" (\(bytes.count) bytes) is not a \(spec.shapeText) \(spec.encoding.rawValue) image: \(error.message)")
        }
        if spec.encoding == .png { return (bytes, image) }
        do { return (try PNGCodec.encode(image), image) } catch {
            throw DatasetError(.badInput, path: directory.path, "cannot encode the image as PNG: \(error)")
        }
    }
}
