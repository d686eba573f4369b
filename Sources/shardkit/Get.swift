import ArgumentParser
import Foundation
import Examples
import Imaging
import RecordIO
import Shards

/// `shardkit get`: one record by split and position, read through the index files.
struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch one record by split and position, in constant time through the index files.",
        usage: "shardkit get <directory> --split <split> --index <index> [<options>]",
        discussion: """
            The dataset directory must hold manifest.json. The shard comes from the manifest's \
            record counts, the record's place from the shard's index file (index/), and then only \
            that record is read (plain shards) or only its gzip member is inflated (GZIP shards); \
            both checksums are checked. ZLIB shards have no index and are read from their start.

            Without --dump or --image it prints where the record is. Exit status 64 for an unknown \
            split or an index out of range, 65 for a damaged record, 66 when the directory or its \
            manifest.json is missing.

            Examples:
              shardkit get out/mnist --split train --index 59999 --dump
              shardkit get out/mnist --split test --index 7 --image seven.png
            """)

    @Argument(help: "A dataset directory (with manifest.json).")
    var directory: String

    @Option(help: "The split to read from, e.g. train.")
    var split: String

    @Option(help: "The record's position in the split, from 0.")
    var index: Int

    @Flag(help: "Print the record as JSON, as inspect --dump does.")
    var dump = false

    @Option(help: "With --dump, show at most this many bytes of each bytes value (0: all of them).")
    var bytesPreview: Int = 32

    @Option(help: "Write the record's image to this PNG file.")
    var image: String?

    func validate() throws {
        guard index >= 0 else { throw ValidationError("--index must be 0 or more") }
        guard bytesPreview >= 0 else { throw ValidationError("--bytes-preview must be 0 or more") }
        if dump && image != nil { throw ValidationError("choose one of --dump and --image") }
    }

    func run() throws {
        try reportingErrors {
            let reader = try DatasetReader(directory: directory)
            let locator = try reader.locate(split: split, index: index)
            if dump {
                let example = try reader.example(at: locator)
                print(example.jsonString(maxBytesPreview: bytesPreview == 0 ? nil : bytesPreview))
            } else if let image {
                let example = try reader.example(at: locator)
                let (png, decoded) = try reader.imagePNG(of: example, split: split)
                do throws(RecordIOError) { try writeFileAtomically(png, to: image) } catch {
                    throw DatasetError(.output, path: image, "cannot write: \(error.reason)")
                }
                print("wrote \(image) (\(decoded.width)x\(decoded.height), \(decoded.channels) channel\(decoded.channels == 1 ? "" : "s"))")
            } else {
                let payload = try reader.record(at: locator)
                print(Self.describe(locator, payloadBytes: payload.count))
            }
        }
    }

    /// `train 7: mnist-train.tfrecord-00000-of-00002, record 7 of the shard, at byte 4096 (…), 585 bytes`.
    static func describe(_ locator: RecordLocator, payloadBytes: Int) -> String {
        var text = "\(locator.split) \(locator.index): \(locator.shard), record \(locator.indexInShard) of the shard"
        if let location = locator.location {
            text += ", at byte \(location.offset)"
            if let member = location.member {
                text += " of the decompressed stream (byte \(member.offsetInMember) of the gzip member at byte \(member.fileOffset))"
            }
        } else {
            text += " (no index: read from the shard's start)"
        }
        return text + ", \(payloadBytes) payload bytes"
    }
}
