import ArgumentParser
import Foundation
import Shards
import ShardKitSupport

/// `shardkit commit DIR`: writes the manifest of a dataset that workers wrote.
struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Finish a dataset written by workers (--worker I/N): check every shard, then write the manifest.",
        discussion: """
            Checks that every shard of every split has a receipt from the same job and that the \
            files match it (sizes: a stat per file, so the cost grows with shards, not records). If \
            any is missing it names the shards and the workers to run again, writes nothing and \
            exits 66. Otherwise it writes dataset_info.json, features.json, the label files and \
            manifest.json, last, and removes the workers' receipts: the folder is then exactly what \
            one process would have written. A folder already committed is left as it is (exit 0).

            Example:
              shardkit commit out/mnist
            """)

    @Argument(help: "The output folder the workers wrote into.")
    var directory: String

    func run() throws {
        try reportingErrors {
            let summary = try DatasetCommitter.commit(directory: URL(fileURLWithPath: directory))
            print(summary.committed ? "committed \(directory)" : "\(directory) is already committed; nothing to do")
            for split in summary.splits {
                print(
                    "  \(split.name): \(HumanReadable.count(split.records, "record")) in "
                        + "\(HumanReadable.count(split.shards, "shard")), \(HumanReadable.bytes(split.bytes))")
            }
        }
    }
}
